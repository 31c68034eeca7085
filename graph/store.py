"""The quad store: embedded Oxigraph, in memory, with an optional snapshot on disk.

One ``KnowledgeStore`` wraps a ``pyoxigraph.Store`` and adds what the project needs:

* replacing one named graph as a single transaction (the new content is written to
  a staging graph, then ``MOVE``d over the old one by one SPARQL update, which
  Oxigraph applies atomically), so readers never see a half-loaded graph;
* queries over the union of all named graphs by default;
* a version number that changes on every write, for ETags and caches;
* with a ``path``: the data is read from that folder at start and written back to it
  atomically after every write (see ``persistence``): the changed graphs in place
  when the change is small and known graph by graph, else the whole dataset into a
  fresh folder. Writes inside ``with store.batch():`` are written back once, at the end.

The folder on disk is a plain Oxigraph store that other tools (``oxigraph serve``)
can open. ``read_only=True`` opens the folder itself, without a copy in memory.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from mipex_kg.graph import persistence
from mipex_kg.graph.namespaces import GRAPH, sparql_prologue

STAGING_PREFIX = GRAPH + "staging/"


class KnowledgeStore:
    """An Oxigraph store with atomic graph replacement and a write version."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        """Open the store at ``path`` (created if missing), or an empty one in memory.

        Raises:
            OSError: the folder cannot be read, or another process is writing it.
        """
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._lock: persistence.WriterLock | None = None
        self._batch_depth = 0
        self._dirty = False
        #: graph -> its size on disk (as of the last write back), for every graph
        #: changed since; None when some change is not known graph by graph
        self._pending: dict[ox.NamedNode | ox.DefaultGraph, int] | None = {}
        if self.path is not None and read_only:
            if not self.path.is_dir():
                raise OSError(f"no store at {self.path}")
            self._store = ox.Store.read_only(str(self.path))
        else:
            self._store = ox.Store()
            if self.path is not None:
                self._lock = persistence.WriterLock(self.path)
                persistence.recover(self.path)
                persistence.read_into(self._store, self.path)
        self._instance = uuid.uuid4().hex[:12]
        self._writes = itertools.count(1)
        self._version = f"{self._instance}-0"
        self._write_lock = threading.RLock()
        #: staging graphs in use; ``query`` hides them (replaced, never mutated)
        self._staging: frozenset[ox.NamedNode] = frozenset()
        if not read_only:
            self._drop_staging_graphs()

    def close(self) -> None:
        """Write back anything pending and release the folder for other writers."""
        self._persist()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes: the snapshot on disk is written once, when the block ends."""
        with self._write_lock:
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1
            self._persist()

    def _persist(self) -> None:
        if self._dirty and self._batch_depth == 0 and self.path is not None and not self.read_only:
            pending, self._pending = self._pending, {}
            try:
                if pending == {}:
                    pass  # the writes said they changed no graph
                elif pending is not None and self._in_place(pending):
                    persistence.write_graphs(self._store, self.path, list(pending))
                else:
                    persistence.write_snapshot(self._store, self.path)
            except BaseException:
                self._pending = None  # whatever happened, the next write back is whole
                raise
            self._dirty = False

    def _in_place(self, pending: dict[ox.NamedNode | ox.DefaultGraph, int]) -> bool:
        """Whether to write ``pending`` graphs back in place rather than the whole store.

        In place costs about 20 us a triple removed or added (one RocksDB transaction),
        the whole store about 9 us a quad (bulk load into a fresh folder), so a change
        is written in place when it touches under a tenth of the store. Not when the
        new content has blank nodes: SPARQL ``INSERT DATA`` would rename them.
        """
        if not persistence.exists(self.path):
            return False
        touched = sum(pending.values())
        for graph in pending:
            for quad in self._store.quads_for_pattern(None, None, None, graph):
                touched += 1
                if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                    return False
        return touched * 10 <= len(self._store)

    def _changing(self, graphs: Iterable[ox.NamedNode | ox.DefaultGraph] | None) -> None:
        """Note the graphs a write is about to change (None: not known), before it runs."""
        if graphs is None:
            self._pending = None
        elif self._pending is not None:
            for graph in graphs:
                if graph not in self._pending:
                    self._pending[graph] = self._size(graph)

    def _size(self, graph: ox.NamedNode | ox.DefaultGraph) -> int:
        target = "DEFAULT" if isinstance(graph, ox.DefaultGraph) else f"<{graph.value}>"
        (row,) = self._store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {target} {{ ?s ?p ?o }} }}"
            if isinstance(graph, ox.NamedNode) else "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(row["n"].value)

    def _written(self) -> None:
        """Record a write: new version, and the snapshot on disk unless in a batch."""
        self._version = f"{self._instance}-{next(self._writes)}"
        self._dirty = True
        self._persist()

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for callers that need its full API."""
        return self._store

    @property
    def version(self) -> str:
        """Changes whenever anything is written through this object."""
        return self._version

    # -- reading -------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[ox.Variable, Any] | None = None,
        union_default_graph: bool = True,
        prologue: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Run a SPARQL query; the default graph is the union of all graphs.

        Staging graphs (content being validated or moved into place) are never seen:
        while there are any, the default graph and ``GRAPH ?g`` range over the others.

        Raises:
            SyntaxError: the query does not parse.
        """
        text = sparql_prologue() + sparql if prologue else sparql
        union = union_default_graph and "default_graph" not in kwargs
        if self._staging:
            visible = self.named_graphs()
            kwargs.setdefault("named_graphs", visible)
            if union:
                kwargs["default_graph"] = [ox.DefaultGraph(), *visible]
                union = False
        return self._store.query(
            text, substitutions=substitutions, use_default_graph_as_union=union, **kwargs)

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph except staging ones, sorted by IRI."""
        graphs = [
            g
            for g in self._store.named_graphs()
            if isinstance(g, ox.NamedNode) and not g.value.startswith(STAGING_PREFIX)
        ]
        return sorted(graphs, key=lambda g: g.value)

    def graph_sizes(self) -> dict[str, int]:
        """Triple count of every named graph, by graph IRI."""
        sizes: dict[str, int] = {}
        for solution in self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        ):
            graph = solution["g"].value
            if not graph.startswith(STAGING_PREFIX):
                sizes[graph] = int(solution["n"].value)
        return dict(sorted(sizes.items()))

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return self._store.contains_named_graph(graph)

    def triples(self, graph: ox.NamedNode) -> Iterator[ox.Triple]:
        """The triples of one named graph."""
        for quad in self._store.quads_for_pattern(None, None, None, graph):
            yield quad.triple

    def __len__(self) -> int:
        return len(self._store)

    def dump(
        self, output: IO[bytes] | None, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None
    ) -> bytes | None:
        """Serialise one graph (any format) or the whole dataset (N-Quads or TriG)."""
        if graph is None:
            return self._store.dump(output, fmt)
        return self._store.dump(output, fmt, from_graph=graph)

    # -- writing -------------------------------------------------------------------

    def replace_graph(self, graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> int:
        """Make ``graph`` hold exactly ``triples``, atomically; returns the triple count.

        The content goes to a fresh staging graph first (one transaction), then one
        SPARQL ``MOVE`` replaces the target (a second transaction). If anything fails
        before the move, the target is untouched and the staging graph is dropped.
        """
        with self._write_lock:
            staging, count = self.stage(triples)
            self.commit_staged({graph: staging})
        return count

    # -- staging graphs: content on its way in, invisible to readers ------------------

    def stage(self, triples: Iterable[ox.Triple | ox.Quad]) -> tuple[ox.NamedNode, int]:
        """Write ``triples`` (quads lose their graph) into a fresh staging graph.

        One transaction; the version does not change and ``query`` does not see the
        graph (nor do the engine's snapshots, which drop ``STAGING_PREFIX`` graphs).
        Returns the staging graph and its triple count. ``commit_staged`` moves it
        into place, ``discard`` drops it.
        """
        staging = ox.NamedNode(f"{STAGING_PREFIX}{uuid.uuid4().hex}")
        count = 0

        def quads() -> Iterator[ox.Quad]:
            nonlocal count
            for item in triples:
                count += 1
                yield ox.Quad(item.subject, item.predicate, item.object, staging)

        with self._write_lock:
            self._staging = self._staging | {staging}
            try:
                self._store.extend(quads())
            except BaseException:
                self.discard(staging)
                raise
        return staging, count

    def commit_staged(self, moves: dict[ox.NamedNode, ox.NamedNode]) -> None:
        """Replace each target graph by its staging graph: one SPARQL update, one transaction.

        ``moves`` maps target -> staging graph (from ``stage``). On failure the
        targets are untouched and the staging graphs are dropped.
        """
        if not moves:
            return
        update = " ; ".join(f"MOVE SILENT GRAPH <{staging.value}> TO <{target.value}>"
                            for target, staging in moves.items())
        with self._write_lock:
            self._changing(moves)
            try:
                self._store.update(update)
            finally:
                for staging in moves.values():
                    self.discard(staging)
            self._written()

    def discard(self, staging: ox.NamedNode) -> None:
        """Drop a staging graph (nothing happens if it is already gone)."""
        with self._write_lock:
            if self._store.contains_named_graph(staging):
                self._store.remove_graph(staging)
            self._staging = self._staging - {staging}

    def drop_graph(self, graph: ox.NamedNode) -> None:
        with self._write_lock:
            self._changing([graph])
            if self._store.contains_named_graph(graph):
                self._store.remove_graph(graph)
            self._written()

    def update(self, sparql_update: str, *, prologue: bool = True,
               graphs: Iterable[ox.NamedNode | ox.DefaultGraph] | None = None,
               **kwargs: Any) -> None:
        """Run a SPARQL update (one transaction), with the project's PREFIXes unless told not to.

        ``graphs``: every graph the update can change, when the caller knows them; the
        write back to disk is then in proportion to them (else the whole store).

        Raises:
            SyntaxError: the update does not parse.
        """
        text = sparql_prologue() + sparql_update if prologue else sparql_update
        with self._write_lock:
            self._changing(None if graphs is None else list(graphs))
            self._store.update(text, **kwargs)
            self._written()

    def flush(self) -> None:
        """Write back pending changes now (writes outside a batch are written back at once)."""
        with self._write_lock:
            self._persist()

    def _drop_staging_graphs(self) -> None:
        """Remove staging graphs left behind by a process that died mid-load."""
        for g in list(self._store.named_graphs()):
            if isinstance(g, ox.NamedNode) and g.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(g)

"""Every write the HTTP service makes, each checked by the write gate first.

The *write gate* is a callable the application is given (``create_app(...,
write_gate=...)``, kept on ``app.state.write_gate``)::

    gate(changes: Mapping[NamedNode | DefaultGraph, list[Triple]]) -> Sequence[str]

``changes`` maps every graph the write would change to its complete content after
the write (an empty list for a graph that would be emptied or dropped); the gate
returns the problems it finds (for example SHACL violations), and any problem
refuses the write (422) with nothing changed. The default gate accepts everything.

How each write learns its would-be content:

* Graph Store PUT / POST / DELETE: from the request body (and, for POST, the graph's
  current triples);
* SPARQL Update: the update runs first in a scratch in-memory copy of the graphs it
  can touch (``update_scope.touched_graphs``; of the whole store when a graph is a
  variable); the graphs whose triples differ between the store and the copy are the
  changes. Only when the gate accepts them does the same update run on the real
  store, in one transaction, naming those graphs so that the store writes back only
  what changed in them. With the default gate no copy is made.

Writes made through the HTTP service are serialised by one lock, so nothing
changes between the check and the write. Writes from elsewhere (a loader in the
same process) are detected by the store's version and the check is repeated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeAlias

import pyoxigraph as ox

from mipex_kg.api.errors import (
    NotFound,
    QueryEvaluationError,
    QueryFailed,
    QuerySyntaxError,
    ServiceUnavailable,
    WriteRefused,
)
from mipex_kg.api.update_scope import touched_graphs
from mipex_kg.graph.namespaces import PREFIXES
from mipex_kg.graph.quad_store import QuadStore, is_hidden
from mipex_kg.graph.store import KnowledgeStore

GraphName: TypeAlias = ox.NamedNode | ox.DefaultGraph
Changes: TypeAlias = Mapping[GraphName, list[ox.Triple]]
WriteGate: TypeAlias = Callable[[Changes], Sequence[str]]

_ATTEMPTS = 3


def accept_all(changes: Changes) -> list[str]:
    """The default write gate: no problems."""
    return []


class GraphWriter:
    """Writes to one store through one gate, one write at a time."""

    def __init__(self, store: QuadStore, gate: WriteGate, lock: threading.Lock) -> None:
        self.store = store
        self.gate = gate
        self.lock = lock

    # -- SPARQL Update ---------------------------------------------------------------

    def update(self, text: str, *, base_iri: str | None) -> None:
        """Run a SPARQL update if the gate accepts what it would change.

        Raises:
            QuerySyntaxError: the update does not parse.
            WriteRefused: the gate found problems; nothing changed.
        """
        with self.lock:
            if self.gate is accept_all:
                _run_update(self.store, text, base_iri)
                return
            scope = touched_graphs(text, prefixes=PREFIXES)
            for _ in range(_ATTEMPTS):
                version = self.store.version
                scratch = ox.Store()
                if scope is None:
                    scratch.load(self.store.dump(None, ox.RdfFormat.N_QUADS),
                                 format=ox.RdfFormat.N_QUADS)
                else:
                    for graph in scope:
                        scratch.extend(self.store.quads(graph=graph))
                _run_update(scratch, text, base_iri)
                changes = changed_graphs(self.store, scratch, scope)
                self._check(changes)
                if self.store.version == version:
                    _run_update(self.store, text, base_iri,
                                graphs=None if scope is None else list(changes))
                    return
        raise ServiceUnavailable("the store kept changing while the update was checked; try again")

    # -- Graph Store Protocol --------------------------------------------------------

    def put(self, graph: GraphName, triples: list[ox.Triple]) -> bool:
        """Make ``graph`` hold exactly ``triples``; returns whether it was created."""
        with self.lock:
            created = not self.exists(graph)
            self._check({graph: triples})
            if isinstance(graph, ox.NamedNode):
                self.store.replace_graph(graph, triples)
            else:
                self.store.update(f"DROP SILENT DEFAULT ; INSERT DATA {{ {_ntriples(triples)} }}",
                                  graphs=[graph])
            return created

    def post(self, graph: GraphName, triples: list[ox.Triple]) -> bool:
        """Add ``triples`` to ``graph`` (RDF merge); returns whether it was created."""
        with self.lock:
            created = not self.exists(graph)
            if self.gate is not accept_all:
                current = list(self.triples(graph))
                known = set(current)
                self._check({graph: current + [t for t in triples if t not in known]})
            if isinstance(graph, ox.NamedNode):
                self.store.add_triples(graph, triples)
            else:
                self.store.update(f"INSERT DATA {{ {_ntriples(triples)} }}", graphs=[graph])
            return created

    def delete(self, graph: GraphName) -> None:
        """Drop a named graph, or empty the default graph.

        Raises:
            NotFound: the named graph does not exist.
        """
        with self.lock:
            if not self.exists(graph):
                raise NotFound(f"no graph named <{graph}>")  # only named graphs can be missing
            self._check({graph: []})
            if isinstance(graph, ox.NamedNode):
                self.store.drop_graph(graph)
            else:
                self.store.update("CLEAR DEFAULT", graphs=[graph])

    # -- reading ---------------------------------------------------------------------

    def exists(self, graph: GraphName) -> bool:
        return isinstance(graph, ox.DefaultGraph) or self.store.has_graph(graph)

    def triples(self, graph: GraphName) -> list[ox.Triple]:
        return [q.triple for q in self.store.quads(graph=graph)]

    def _check(self, changes: Changes) -> None:
        if not changes:
            return
        problems = list(self.gate(changes))
        if problems:
            names = ", ".join("the default graph" if isinstance(g, ox.DefaultGraph)
                              else f"<{g.value}>" for g in changes)
            raise WriteRefused(
                f"the write was refused: {len(problems)} problem(s) in {names}; nothing changed",
                problems=problems,
            )


def changed_graphs(before: QuadStore, after: ox.Store, scope: set[GraphName] | None = None
                   ) -> dict[GraphName, list[ox.Triple]]:
    """The graphs whose triples differ between the store and a scratch copy, with their
    content in the copy.

    ``scope``: the only graphs that can differ (``after`` holds a copy of just those).
    """
    graphs: list[GraphName] = [ox.DefaultGraph()]
    listed = [*before.named_graphs(), *after.named_graphs()] if scope is None else scope
    for name in listed:
        if isinstance(name, ox.NamedNode) and name not in graphs and not is_hidden(name):
            graphs.append(name)
    changes: dict[GraphName, list[ox.Triple]] = {}
    for graph in graphs:
        old = before.dump(None, ox.RdfFormat.N_TRIPLES, graph) or b""
        new = after.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        if set(old.splitlines()) != set(new.splitlines()):
            changes[graph] = [q.triple for q in ox.parse(new, format=ox.RdfFormat.N_TRIPLES)]
    return changes


def _run_update(target: ox.Store | QuadStore, text: str, base_iri: str | None,
                graphs: list[GraphName] | None = None) -> None:
    """Run an update on a plain store or the service's store (which counts versions;
    ``graphs``: every graph the update changes, when known).

    The project's prefixes are predeclared through pyoxigraph (not as a text prologue,
    which would shift the line numbers of syntax errors).
    """
    try:
        if isinstance(target, KnowledgeStore):
            target.update(text, prologue=False, base_iri=base_iri, prefixes=PREFIXES,
                          graphs=graphs)
        elif isinstance(target, QuadStore):
            target.update(text, prologue=False, base_iri=base_iri, prefixes=PREFIXES)
        else:
            target.update(text, base_iri=base_iri, prefixes=PREFIXES)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from error
    except (RuntimeError, ValueError, TypeError) as error:
        raise QueryEvaluationError(f"the update cannot be run: {error}") from error
    except OSError as error:
        raise QueryFailed(f"the update failed in the store: {error}") from error


def _ntriples(triples: Sequence[ox.Triple]) -> str:
    """Triples as N-Triples text, which is also valid SPARQL triples syntax."""
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")

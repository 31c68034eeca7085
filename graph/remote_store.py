"""``RemoteStore``: the project's store on any SPARQL 1.1 engine, over HTTP only.

It speaks the SPARQL 1.1 Query, Update and Graph Store HTTP protocols (httpx) and
nothing engine-specific; where engines differ it is told by settings
(``graph.remote_config``). It offers what ``QuadStore`` promises:

* **queries** answer with pyoxigraph's own result objects: solutions (asked for as
  SPARQL XML) or a boolean, parsed by ``pyoxigraph.parse_query_results``; CONSTRUCT
  and DESCRIBE give ``RemoteTriples`` (asked for as N-Triples). The options of
  pyoxigraph become text and protocol parameters (``graph.remote_protocol``).
* **atomic replacement**: one update request drops the graph and inserts its new
  content (the engine applies one request as one transaction, as Oxigraph does), or,
  with ``MIPEX_KG_STORE_REPLACE=move``, the content goes to a staging graph through
  the Graph Store Protocol first and one ``MOVE`` puts it in place (for engines that
  refuse large updates; the staged triples are visible in the union default graph
  meanwhile, which is why it is not the default).
* **version**: every write this class sends ends, in the same request, with
  operations that drop the *version graph* it knows of and create an empty one with a
  fresh random name under ``VERSION_PREFIX``. An empty graph holds no triple, so
  nothing shows in any query's answer (a triple would, in the union default graph).
  ``version`` reads the names of those graphs again once older than
  ``MIPEX_KG_STORE_VERSION_TTL`` seconds, in a thread (the caller gets the known
  version at once), so writes by other service copies are noticed within about that
  time; it also counts this object's writes, which change it at
  once, also on engines that keep no empty graphs (Virtuoso: there only this copy's
  writes are seen, and an answer that lists no version graph keeps the version this
  copy knows). Two copies writing at once may leave two version graphs; the
  version is then both names, and the next write drops them.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

import httpx
import pyoxigraph as ox

from mipex_kg.api.sparql_text import query_form
from mipex_kg.graph.iris import STAGING_PREFIX
from mipex_kg.graph.namespaces import sparql_prologue
from mipex_kg.graph.quad_store import (
    VERSION_PREFIX,
    GraphName,
    QuadStore,
    counted_ntriples,
    insert_data,
    is_hidden,
    stay_offline,
)
from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_protocol import (
    N_TRIPLES,
    SPARQL_XML,
    Params,
    bind_values,
    dataset_params,
    declarations,
    parse_results,
    then,
)

#: How often a write (an update, or a Graph Store upload of a staging part) the engine
#: ended as a deadlock victim is sent again, and the first pause (doubled each time):
#: Virtuoso under REPEATABLE READ picks a victim when two writes, or a write and
#: readers, lock the same rows in opposite orders (SQLSTATE 40001, "SR172: Transaction
#: deadlocked"); the victim's transaction is rolled back, so sending it again is safe.
DEADLOCK_RETRIES = 5
DEADLOCK_PAUSE = 0.1

#: The first line of an answer that says the request was a deadlock victim. Virtuoso
#: answers 500, text/plain, "Virtuoso 40001 Error SR172: Transaction deadlocked", then
#: the query it ran (which may itself contain "40001": only the first line counts).
DEADLOCK_ANSWER = re.compile(r"^\S+ 40001 Error\b|\bSR172\b")


class RemoteStoreError(OSError):
    """The remote store refused or failed a request (its URL and answer, no credentials)."""


class DeadlockVictim(RemoteStoreError):
    """The store ended the request as the victim of a deadlock and rolled it back."""


class RemoteTriples:
    """The triples of a CONSTRUCT or DESCRIBE, as ``pyoxigraph.QueryTriples`` offers them."""

    def __init__(self, ntriples: bytes) -> None:
        self.ntriples = ntriples

    def __iter__(self) -> Iterator[ox.Triple]:
        for quad in ox.parse(self.ntriples, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple

    def serialize(self, output: IO[bytes] | None = None,
                  format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> bytes | None:  # noqa: A002
        if format == ox.RdfFormat.N_TRIPLES and output is None:
            return self.ntriples
        return ox.serialize(iter(self), output, format=format)


class RemoteStore(QuadStore):
    """A store reached through the SPARQL 1.1 protocols (see the module doc)."""

    #: Bytes of N-Triples per Graph Store request when a graph goes to a staging graph
    #: (Virtuoso refuses a body over 10 MB; several parts are one graph until the MOVE).
    upload_bytes = 4_000_000

    def __init__(self, endpoints: RemoteEndpoints) -> None:
        """Connect to the store and read its version.

        Raises:
            OSError: the store cannot be reached or refuses the credentials.
        """
        self.endpoints = endpoints
        self.load_sources: tuple[str, ...] = ()
        self._client = httpx.Client(**endpoints.client_options())  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self._version_graphs: list[str] = []
        self._writes = 0
        self.deadlock_retries = 0  # writes sent again after a deadlock (``_send_past_deadlocks``)
        self._version_read = float("-inf")
        self._refreshing = False
        self._graphs: tuple[str, list[ox.NamedNode]] | None = None
        try:
            self._read_version()
            self.engine_name = endpoints.engine or self._engine_named()
        except Exception:
            self._client.close()
            raise

    def __repr__(self) -> str:
        return f"RemoteStore(query_url={self.endpoints.query_url!r})"

    def close(self) -> None:
        self._client.close()

    def flush(self) -> None:
        """Nothing is pending: every write was one request, applied when it returned."""

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Nothing to group: every write is already one request, applied at once."""
        yield

    # -- the version -------------------------------------------------------------------

    @property
    def version(self) -> str:
        """This copy's idea of the store's version; never waits for the network: once
        older than the TTL, the version graphs are read again in a thread of their own
        (the value changes when that answer arrives), so a request handled on the event
        loop is never held up by the store."""
        with self._lock:
            stale = time.monotonic() - self._version_read > self.endpoints.version_ttl
            if stale and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh_version, name="store-version",
                                 daemon=True).start()
            return self._version_now()

    def _version_now(self) -> str:
        """The version as ``version`` gives it (with ``_lock`` held)."""
        names = "+".join(g[len(VERSION_PREFIX):] for g in self._version_graphs) or "0"
        return f"{names}-{self._writes}"

    def _refresh_version(self) -> None:
        """Read the version graphs again (a failure keeps the known version: the next
        read after the TTL tries again)."""
        try:
            with self._lock:
                writes = self._writes
            graphs = self._version_names()
            with self._lock:
                # not when a write of this copy came in meanwhile; and an engine that
                # lists no version graph at all (Virtuoso keeps no empty graph) says
                # nothing new: forgetting this copy's own would change the version
                # for no change of the data
                if self._writes == writes and graphs:
                    self._version_graphs = graphs
        except Exception:  # noqa: BLE001  (the store may be down: tried again after the TTL)
            pass
        finally:
            with self._lock:
                self._version_read = time.monotonic()
                self._refreshing = False

    def _engine_named(self) -> str:
        """The engine as its answers name it: the product of the ``Server`` header of
        an ``ASK {}`` (``Virtuoso/07.20.3229 (Linux) ...`` -> ``virtuoso``,
        ``Oxigraph/0.5.13`` -> ``oxigraph``); "" when the header is absent."""
        response = self._send("POST", self.endpoints.query_url, sparql=True,
                              data={"query": "ASK {}"}, headers={"Accept": SPARQL_XML})
        return engine_of(response.headers.get("server", ""))

    def _read_version(self) -> None:
        self._version_graphs = self._version_names()
        self._version_read = time.monotonic()

    def _version_names(self) -> list[str]:
        rows = self._select("SELECT ?g WHERE { GRAPH ?g { } "
                            f'FILTER(STRSTARTS(STR(?g), "{VERSION_PREFIX}")) }}')
        return sorted(row["g"].value for row in rows)

    def _written(self, version_graph: str,
                 carried: tuple[str, ox.NamedNode, bool] | None = None) -> None:
        """Move to the version this object's write made. ``carried``: the write was
        applied, and the named graphs known at the version it started from (the first
        item) are carried over it: its graph (second) now holds triples or is gone
        (third). Only when no other write came in between (the version is still that
        one); else the list is read again when next asked for."""
        with self._lock:
            known = self._graphs
            start = self._version_now()
            self._writes += 1
            self._version_graphs = [version_graph]
            self._version_read = time.monotonic()
            if carried is None or known is None or not known[0] == carried[0] == start:
                return
            _, graph, holds = carried
            graphs = [g for g in known[1] if g != graph] + ([graph] if holds else [])
            self._graphs = (self._version_now(), sorted(graphs, key=lambda g: g.value))

    # -- reading -----------------------------------------------------------------------

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              union_default_graph: bool = True, prologue: bool = True, **kwargs: Any) -> Any:
        stay_offline(sparql, update=False, load_sources=())
        union = kwargs.pop("use_default_graph_as_union", union_default_graph)
        text = bind_values(sparql, substitutions)
        text = declarations(kwargs.pop("prefixes", None), kwargs.pop("base_iri", None)) + text
        if prologue:
            text = sparql_prologue() + text
        params = dataset_params(kwargs.pop("default_graph", None), kwargs.pop("named_graphs", None),
                                union=union, union_parameter=self.endpoints.union_parameter,
                                every_graph=self.named_graphs)
        if kwargs:
            raise TypeError(f"options a remote store does not take: {', '.join(kwargs)}")
        if query_form(text) in ("CONSTRUCT", "DESCRIBE"):
            return RemoteTriples(self._ask(text, params, N_TRIPLES))
        return parse_results(self._ask(text, params, SPARQL_XML))

    def _select(self, text: str) -> Any:
        """The answer to one of this object's own queries, read at once: the boolean
        of an ASK, or a list of solutions. Not pyoxigraph's ``QuerySolutions``: that
        must be dropped on the thread that made it (else pyoxigraph raises), and
        these answers are made on the version thread and the service's worker threads."""
        result = parse_results(self._ask(text, [], SPARQL_XML))
        return result if isinstance(result, ox.QueryBoolean) else list(result)

    def _ask(self, text: str, params: Params, accept: str) -> bytes:
        response = self._send("POST", self.endpoints.query_url, params=params, sparql=True,
                              data={"query": text}, headers={"Accept": accept})
        return response.content

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph but hidden ones; remembered for the current version, and
        kept up to date through this object's own writes (``_write``'s ``leaves``):
        on Virtuoso the list is a scan of every quad (it keeps no empty graphs to list
        by ``GRAPH ?g {}``), which took most of a load's time when a write made it
        stale and the gate asked again."""
        version = self.version
        if self._graphs is not None and self._graphs[0] == version:
            return list(self._graphs[1])
        graphs = self._graph_names("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        if not graphs:  # engines that list only some graphs so (Virtuoso): those with triples
            graphs = self._graph_names("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        self._graphs = (version, graphs)
        return list(graphs)

    def _graph_names(self, query: str) -> list[ox.NamedNode]:
        names = (row["g"] for row in self._select(query))
        return sorted((g for g in names if isinstance(g, ox.NamedNode) and not self.hides(g)),
                      key=lambda g: g.value)

    def hides(self, graph: object) -> bool:
        """The store's own graphs, and those its engine keeps for itself
        (``MIPEX_KG_STORE_SYSTEM_GRAPHS``)."""
        return is_hidden(graph) or (isinstance(graph, ox.NamedNode)
                                    and graph.value.startswith(self.endpoints.system_graphs))

    def has_graph(self, graph: ox.NamedNode) -> bool:
        # a query, not the Graph Store Protocol's HEAD: Oxigraph 0.5 sends a body with
        # its 404 to HEAD, which breaks the connection (Virtuoso answers 501). An empty
        # graph counts where the engine keeps one (Oxigraph); on Virtuoso, whose
        # ``GRAPH <g> {}`` matches any IRI, a graph exists while it holds triples.
        return bool(self._select(f"ASK {{ {{ GRAPH ?g {{ }} FILTER(?g = {graph}) }} "
                                 f"UNION {{ GRAPH {graph} {{ ?s ?p ?o }} }} }}"))

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[ox.Quad]:
        """Matching quads. With ``graph`` None, those of every named graph (the default
        graph of the engine, which some engines make the union, is not read)."""
        if graph is not None and subject is None and predicate is None and obj is None:
            triples = self._graph_ntriples(graph)
            yield from (ox.Quad(q.subject, q.predicate, q.object, graph)
                        for q in ox.parse(triples, format=ox.RdfFormat.N_TRIPLES))
            return
        terms = [("s", subject), ("p", predicate), ("o", obj)]
        pattern = " ".join(str(term) if term is not None else f"?{name}" for name, term in terms)
        if isinstance(graph, ox.DefaultGraph):
            raise ValueError("a remote store cannot be asked for its default graph alone")
        where = f"GRAPH {graph if graph is not None else '?g'} {{ {pattern} }}"
        for row in self._select(f"SELECT * WHERE {{ {where} }}"):
            s, p, o = (term if term is not None else row[n] for n, term in terms)
            yield ox.Quad(s, p, o, graph if graph is not None else row["g"])

    def _graph_ntriples(self, graph: GraphName) -> bytes:
        """One graph as N-Triples (empty when it does not exist). The default graph of an
        engine whose default graph is the union (no union parameter) is taken as empty:
        that union is not a graph of its own, and the project writes named graphs."""
        if isinstance(graph, ox.DefaultGraph) and not self.endpoints.union_parameter:
            return b""
        params = [("default", "")] if isinstance(graph, ox.DefaultGraph) else [("graph", graph.value)]
        response = self._send("GET", self.endpoints.graph_store_url, params=params,
                              headers={"Accept": N_TRIPLES}, missing_ok=True)
        return b"" if response.status_code == 404 else response.content

    def __len__(self) -> int:
        """The triples of every named graph (hidden ones left out) and of the default
        graph, when the engine keeps that apart (it has a union parameter)."""
        named = sum(self.graph_sizes().values())
        if not self.endpoints.union_parameter:
            return named
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return named + int(next(iter(rows))["n"].value)

    def dump(self, output: IO[bytes] | None, fmt: ox.RdfFormat, graph: GraphName | None = None,
             *, prefixes: dict[str, str] | None = None) -> bytes | None:
        """One graph, or every named graph (as a dataset), fetched with the Graph Store
        Protocol and written by pyoxigraph (so any format it knows, with ``prefixes``)."""
        if graph is not None:
            triples = [q.triple for q in ox.parse(self._graph_ntriples(graph),
                                                  format=ox.RdfFormat.N_TRIPLES)]
            return ox.serialize(triples, output, format=fmt, prefixes=prefixes)
        quads = (quad for name in self.named_graphs() for quad in self.quads(graph=name))
        return ox.serialize(quads, output, format=fmt, prefixes=prefixes)

    # -- writing -----------------------------------------------------------------------

    def update(self, sparql_update: str, *, prologue: bool = True,
               graphs: Iterable[ox.NamedNode | ox.DefaultGraph] | None = None,
               **kwargs: Any) -> None:
        del graphs  # the engine keeps its own data: nothing to write back here
        stay_offline(sparql_update, update=True, load_sources=self.load_sources)
        kwargs.pop("graphs", None)  # which graphs change: only the embedded store uses it
        text = declarations(kwargs.pop("prefixes", None), kwargs.pop("base_iri", None))
        text += sparql_update
        if prologue:
            text = sparql_prologue() + text
        if kwargs:
            raise TypeError(f"options a remote store does not take: {', '.join(kwargs)}")
        self._write(text)

    def replace_graph(self, graph: ox.NamedNode,
                      triples: Iterable[ox.Triple | ox.Quad]) -> int:
        if self.endpoints.replace == "move":
            staging, count = self._stage(triples)
            self._from_staging(f"MOVE SILENT GRAPH {staging} TO GRAPH {graph}", staging,
                               leaves=(graph, True) if count else None)
            return count
        data, count = counted_ntriples(triples)
        self._write(f"DROP SILENT GRAPH {graph} ;\n"
                    f"INSERT DATA {{ GRAPH {graph} {{ {data} }} }}", ours=True,
                    leaves=(graph, True) if count else None)
        return count

    def add_triples(self, graph: ox.NamedNode, triples: Sequence[ox.Triple]) -> None:
        """Add ``triples`` to ``graph``: one ``INSERT DATA``, or (``replace`` = ``move``)
        through a staging graph and one ``ADD``, for engines that refuse large updates."""
        leaves = (graph, True) if triples else None
        if self.endpoints.replace != "move":
            self._write(insert_data(graph, triples), ours=True, leaves=leaves)
            return
        staging, _ = self._stage(triples)
        self._from_staging(f"ADD SILENT GRAPH {staging} TO GRAPH {graph} ;\n"
                           f"DROP SILENT GRAPH {staging}", staging, leaves=leaves)

    def _stage(self, triples: Iterable[ox.Triple | ox.Quad]) -> tuple[ox.NamedNode, int]:
        """A new staging graph holding ``triples``, uploaded with the Graph Store protocol
        in parts of at most ``upload_bytes`` (Virtuoso refuses large bodies); the
        triple count."""
        staging = ox.NamedNode(f"{STAGING_PREFIX}{uuid.uuid4().hex}")
        parts, count = upload_parts(triples, self.upload_bytes)
        try:
            for index, part in enumerate(parts):
                self._send_past_deadlocks(
                    "PUT" if index == 0 else "POST", self.endpoints.graph_store_url,
                    params=[("graph", staging.value)], content=part,
                    headers={"Content-Type": N_TRIPLES})
        except Exception:
            with contextlib.suppress(Exception):
                self._write(f"DROP SILENT GRAPH {staging}", ours=True)
            raise
        return staging, count

    def _from_staging(self, update: str, staging: ox.NamedNode,
                      leaves: tuple[ox.NamedNode, bool] | None) -> None:
        """Run the one update that puts a staging graph in place (dropped on failure)."""
        try:
            self._write(update, ours=True, leaves=leaves)
        except Exception:
            with contextlib.suppress(Exception):
                self._write(f"DROP SILENT GRAPH {staging}", ours=True)
            raise

    def drop_graph(self, graph: ox.NamedNode) -> None:
        self._write(f"DROP SILENT GRAPH {graph}", ours=True, leaves=(graph, False))

    def _write(self, update: str, *, ours: bool = False,
               leaves: tuple[ox.NamedNode, bool] | None = None) -> None:
        """Send one update request that also sets a new version (see the module doc).

        ``ours``: this class wrote ``update`` and it ends with an operation (not with
        ``;``, not a bare prologue), so the version's operations follow it without
        reading it token by token (``then``), which for the ``INSERT DATA`` of a
        workbook's half million triples took half of a load's time.

        ``leaves``: the one graph this write changes and whether it then holds triples
        (True) or is gone (False), so that a list of the named graphs known before it
        stays known after it; None: the list is read again when next asked for.
        """
        new_version = VERSION_PREFIX + uuid.uuid4().hex
        with self._lock:
            known = list(self._version_graphs)
            before = self._version_now()
        marks = " ;\n".join([f"DROP SILENT GRAPH <{g}>" for g in known]
                            + [f"CREATE SILENT GRAPH <{new_version}>"])
        text = f"{update} ;\n{marks}" if ours else then(update, marks)
        carried = None
        try:
            self._send_past_deadlocks("POST", self.endpoints.update_url,
                                      content=text.encode("utf-8"), sparql=True,
                                      headers={"Content-Type": "application/sparql-update"})
            if leaves is not None:
                carried = (before, *leaves)
        finally:
            # also after a failure: a request cut short may have been applied
            self._written(new_version, carried)

    # -- HTTP --------------------------------------------------------------------------

    def _send_past_deadlocks(self, method: str, url: str, **options: Any) -> httpx.Response:
        """``_send`` a write, sent again (``DEADLOCK_RETRIES`` times at most, pausing longer
        each time) while the store ends it as a deadlock victim: it was rolled back.

        Raises:
            DeadlockVictim: it was a victim every time (nothing of it was applied).
        """
        last: DeadlockVictim | None = None
        for attempt in range(DEADLOCK_RETRIES + 1):
            if attempt:
                self.deadlock_retries += 1
                time.sleep(DEADLOCK_PAUSE * 2 ** (attempt - 1))
            try:
                return self._send(method, url, **options)
            except DeadlockVictim as error:
                last = error
        raise DeadlockVictim(
            f"the remote store ended this {method} as the victim of a deadlock "
            f"{DEADLOCK_RETRIES + 1} times in a row, rolling it back each time (nothing of it "
            f"was applied); try again later. Last answer: {last}") from None

    def _send(self, method: str, url: str, *, missing_ok: bool = False, sparql: bool = False,
              **options: Any) -> httpx.Response:
        """One request; an error names the URL and the store's answer.

        Raises:
            SyntaxError: the store answered 400 to a query or update (it does not parse).
            RemoteStoreError: it could not be reached, or answered with another error.
        """
        try:
            response = self._client.request(method, url, **options)
        except httpx.HTTPError as error:
            raise RemoteStoreError(f"the remote store at {url} cannot be reached: "
                                   f"{type(error).__name__}: {error}") from None
        if response.is_success or (missing_ok and response.status_code == 404):
            return response
        raise store_error(response, url, method, sparql=sparql)


def engine_of(server_header: str) -> str:
    """The engine a ``Server`` header names: its first product, lower case, no version.

    >>> engine_of("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"), engine_of("")
    ('virtuoso', '')
    """
    product = server_header.strip().split("/", 1)[0].split(" ", 1)[0]
    return product.lower()


def store_error(response: httpx.Response, url: str, method: str, *, sparql: bool) -> Exception:
    """The exception for an error answer of the store (its text shortened); a 400 to a
    query or update is a ``SyntaxError``, as pyoxigraph raises."""
    text = response.text.strip()[:2000]
    if response.status_code == 400 and sparql:
        return SyntaxError(f"the remote store refused the request: {text}")
    if DEADLOCK_ANSWER.search(text.split("\n", 1)[0]):
        return DeadlockVictim(f"the remote store at {url} answered HTTP "
                              f"{response.status_code} to {method}: {text}")
    if response.status_code in (401, 403):
        return RemoteStoreError(f"the remote store at {url} refused the credentials "
                                f"(HTTP {response.status_code}); see MIPEX_KG_STORE_USER, "
                                "MIPEX_KG_STORE_PASSWORD and MIPEX_KG_STORE_AUTH")
    return RemoteStoreError(f"the remote store at {url} answered HTTP {response.status_code} "
                            f"to {method}: {text}")


def upload_parts(triples: Iterable[ox.Triple | ox.Quad], limit: int) -> tuple[list[bytes], int]:
    """``triples`` as N-Triples documents of about ``limit`` bytes at most, and their count.

    Every triple with a blank node goes into the first document: an engine reads each
    document's blank nodes as new ones, so a blank node split over two would become two.
    (The first document is larger than ``limit`` when those alone are.)
    """
    with_blanks: list[ox.Triple] = []
    ground: list[ox.Triple] = []
    for item in triples:
        triple = item.triple if isinstance(item, ox.Quad) else item
        blank = isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)
        (with_blanks if blank else ground).append(triple)
    parts: list[bytes] = []
    current = bytearray(ox.serialize(with_blanks, format=ox.RdfFormat.N_TRIPLES) or b"")
    body = ox.serialize(ground, format=ox.RdfFormat.N_TRIPLES) or b""
    for line in body.splitlines(keepends=True):
        if current and len(current) + len(line) > limit:
            parts.append(bytes(current))
            current = bytearray()
        current += line
    parts.append(bytes(current))
    return parts, len(with_blanks) + len(ground)

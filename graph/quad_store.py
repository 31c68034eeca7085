"""``QuadStore``: the one interface of the project's store, whatever holds the data.

Two kinds implement it:

* ``graph.store.KnowledgeStore``: embedded Oxigraph, in memory with a snapshot on disk
  (the default);
* ``graph.remote_store.RemoteStore``: any engine reached only through the SPARQL 1.1
  Query, Update and Graph Store HTTP protocols (Oxigraph server, Virtuoso, ...).

Everything else (loaders, recompute, the API, the command line) is written against
this class. What it promises, on both:

* ``query`` answers like ``pyoxigraph.Store.query`` (solutions, a boolean, or
  triples); the default graph is the union of every graph, the project's prefixes
  are declared, and ``substitutions`` bind variables before evaluation;
* ``replace_graph`` replaces one named graph so that no reader ever sees it half
  written; ``update`` is one transaction;
* ``version`` changes on every write (ETags and caches depend on it);
* graphs the store uses for itself (staging, version) are hidden from
  ``named_graphs``, ``graph_sizes`` and dumps.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Any

import pyoxigraph as ox

from mipex_kg.engine.network_words import may_connect
from mipex_kg.graph.iris import STAGING_PREFIX
from mipex_kg.graph.namespaces import GRAPH, PREFIXES

#: Where a remote store names the empty graph that carries its write version
#: (``RemoteStore.version``).
VERSION_PREFIX = GRAPH + "service/version/"

GraphName = ox.NamedNode | ox.DefaultGraph


def is_hidden(graph: object) -> bool:
    """Whether a graph is the store's own (staging or version graph), not data."""
    if not isinstance(graph, ox.NamedNode):
        return False
    return graph.value.startswith((STAGING_PREFIX, VERSION_PREFIX))


#: Subjects asked about in one ``quads_about`` query: Virtuoso 7.2 refuses a ``VALUES``
#: of some thousands ("Too many arguments for standard built-in function": 12 000 in a
#: test, not 4 000), which the recomputation after loading both workbooks reached.
SUBJECTS_PER_QUERY = 500


class QuadStore(ABC):
    """What the project needs of a quad store (see the module doc)."""

    #: URL prefixes that SPARQL Update's LOAD may read from (the service sets them
    #: from MIPEX_KG_LOAD_SOURCES); nothing else here may reach the network.
    load_sources: tuple[str, ...] = ()

    #: The engine that evaluates this store's queries, in lower case ("oxigraph",
    #: "virtuoso", ...): a named query runs its text for that engine where it has one
    #: (``api.query_registry``); "" for an engine not known.
    engine_name: str = ""

    @property
    @abstractmethod
    def version(self) -> str:
        """Changes whenever anything is written."""

    @abstractmethod
    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              union_default_graph: bool = True, prologue: bool = True, **kwargs: Any) -> Any:
        """Run a SPARQL query (``kwargs`` as ``pyoxigraph.Store.query``: ``base_iri``,
        ``prefixes``, ``default_graph``, ``named_graphs``).

        Raises:
            SyntaxError: the query does not parse.
        """

    @abstractmethod
    def update(self, sparql_update: str, *, prologue: bool = True,
               graphs: Iterable[ox.NamedNode | ox.DefaultGraph] | None = None,
               **kwargs: Any) -> None:
        """Run a SPARQL update as one transaction (``kwargs``: ``base_iri``, ``prefixes``).

        ``graphs``: every graph the update can change, when the caller knows them (a
        store that keeps its own copy on disk writes back only those; others ignore it).

        Raises:
            SyntaxError: the update does not parse.
        """

    @abstractmethod
    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph except hidden ones, sorted by IRI."""

    @abstractmethod
    def has_graph(self, graph: ox.NamedNode) -> bool:
        """Whether the named graph exists."""

    @abstractmethod
    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[ox.Quad]:
        """The quads that match a pattern (None: anything), hidden graphs included only
        when asked for by name."""

    @abstractmethod
    def __len__(self) -> int:
        """How many quads the store holds."""

    @abstractmethod
    def dump(self, output: IO[bytes] | None, fmt: ox.RdfFormat, graph: GraphName | None = None,
             *, prefixes: dict[str, str] | None = None) -> bytes | None:
        """Serialise one graph (any format) or the whole dataset (N-Quads or TriG)."""

    @abstractmethod
    def replace_graph(self, graph: ox.NamedNode,
                      triples: Iterable[ox.Triple | ox.Quad]) -> int:
        """Make ``graph`` hold exactly ``triples``, atomically; returns the triple count."""

    @abstractmethod
    def drop_graph(self, graph: ox.NamedNode) -> None:
        """Remove a named graph (nothing when it does not exist)."""

    def add_triples(self, graph: ox.NamedNode, triples: Sequence[ox.Triple]) -> None:
        """Add ``triples`` to ``graph`` (an RDF merge), atomically, in one update."""
        self.update(insert_data(graph, triples), prologue=False)

    def snapshot_ahead(self) -> AbstractContextManager[None]:
        """A block whose writes an on-disk snapshot may overlap (``KnowledgeStore``);
        nothing to gain elsewhere."""
        return nullcontext()

    def offer_ahead(self, graph: ox.NamedNode, content: Sequence[ox.Triple | ox.Quad]) -> None:
        """Before the gate: the new content of ``graph``, which ``replace_graph`` may be
        about to write, for an on-disk snapshot written ahead (``KnowledgeStore``);
        nothing to do elsewhere."""
        return None

    @abstractmethod
    def batch(self) -> AbstractContextManager[None]:
        """Group writes (the embedded store writes its snapshot once, at the end)."""

    def hides(self, graph: object) -> bool:
        """Whether ``graph`` is left out of ``named_graphs``, sizes and dumps (the
        store's own graphs; a remote store also leaves out its engine's)."""
        return is_hidden(graph)

    @abstractmethod
    def flush(self) -> None:
        """Make pending writes durable now (where the store buffers them)."""

    @abstractmethod
    def close(self) -> None:
        """Release what the store holds (files, connections)."""

    # -- built on the above ------------------------------------------------------------

    def triples(self, graph: ox.NamedNode) -> Iterator[ox.Triple]:
        """The triples of one named graph."""
        for quad in self.quads(None, None, None, graph):
            yield quad.triple

    def quads_about(self, subjects: Iterable[ox.NamedNode], *, graph: ox.NamedNode | None = None,
                    predicate: ox.NamedNode | None = None) -> list[ox.Quad]:
        """The quads of named graphs (or of ``graph``) whose subject is one of
        ``subjects`` (and predicate ``predicate``): one query for every
        ``SUBJECTS_PER_QUERY`` of them."""
        nodes = sorted(set(subjects), key=lambda n: n.value)
        p = str(predicate) if predicate is not None else "?p"
        g = str(graph) if graph is not None else "?g"
        found = []
        for start in range(0, len(nodes), SUBJECTS_PER_QUERY):
            values = " ".join(str(node) for node in nodes[start:start + SUBJECTS_PER_QUERY])
            rows = self.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} "
                              f"GRAPH {g} {{ ?s {p} ?o }} }}", prologue=False)
            found += [ox.Quad(row["s"], predicate or row["p"], row["o"], graph or row["g"])
                      for row in rows if graph is not None or not self.hides(row["g"])]
        return found

    def graph_sizes(self) -> dict[str, int]:
        """Triple count of every named graph, by graph IRI."""
        sizes = {
            row["g"].value: int(row["n"].value)
            for row in self.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                                  "GROUP BY ?g", prologue=False)
            if not self.hides(row["g"])
        }
        return dict(sorted(sizes.items()))


def insert_data(graph: ox.NamedNode, triples: Iterable[ox.Triple]) -> str:
    """The ``INSERT DATA`` update that adds ``triples`` to ``graph``."""
    data, _ = counted_ntriples(triples)
    return f"INSERT DATA {{ GRAPH {graph} {{ {data} }} }}"


def counted_ntriples(triples: Iterable[ox.Triple | ox.Quad]) -> tuple[str, int]:
    """Triples (or quads, their graph left out) as N-Triples text (also SPARQL triples
    syntax) and how many there were."""
    count = 0

    def counted() -> Iterator[ox.Triple]:
        nonlocal count
        for triple in triples:
            count += 1
            yield triple.triple if isinstance(triple, ox.Quad) else triple

    data = (ox.serialize(counted(), format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    return data, count


def stay_offline(text: str, *, update: bool, load_sources: tuple[str, ...]) -> None:
    """Queries and updates run in this process (loaders, recompute, tools) never reach
    the network: a text that may name SERVICE or LOAD is checked against a policy that
    allows no SERVICE and LOAD only from ``load_sources`` (``engine.guard``; the
    service's federated queries run in its engine instead).

    Raises:
        NetworkAccessRefused: the text would call another endpoint or load a URL.
    """
    if may_connect(text, update=update):  # the guard's own pre-check: cheap and sound
        from mipex_kg.engine.guard import NetworkPolicy  # here: query workers stay light

        policy = NetworkPolicy.of((), load_sources)
        if update:
            policy.check_update(text, prefixes=PREFIXES)
        else:
            policy.check_query(text, prefixes=PREFIXES)

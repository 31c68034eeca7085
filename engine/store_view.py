"""The store as the service's own builds read it: SPARQL through the query engine.

The landing page, VoID, the DCAT-AP catalogue and the service description are built
in the service process from aggregate queries over the whole store (scores per
edition, triples per graph, classes and properties). The service process does not
hold the data in memory while it serves (it reads and writes its folder, see
``KnowledgeStore.serve_from_disk``); the query workers do. Asked of the folder, the
landing page's counts took 12.9 s, asked of memory 0.7 s (858,722 quads, measured
here). ``EngineReads`` is that store with its ``query`` answered by the engine's
workers, under the engine's time limit, as the internal client; everything else
(versions, graph lists, quads of one graph) goes to the store itself.

It must be called from a thread of the event loop's pool (anyio), as the builds
are (``QueryEngine.run_in_process``): the engine runs on the loop.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import IO, Any

import anyio.from_thread
import pyoxigraph as ox

from mipex_kg.api.sparql_text import query_form
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.worker import QueryTask
from mipex_kg.graph.namespaces import PREFIXES
from mipex_kg.graph.quad_store import GraphName, QuadStore

#: The engine's name for reads the service makes for itself (its own fair share).
INTERNAL_CLIENT = "internal"
_JSON = "application/sparql-results+json"


class EngineReads(QuadStore):
    """``store`` whose SELECT and ASK queries the query engine answers."""

    def __init__(self, store: QuadStore, engine: QueryEngine) -> None:
        self.store = store
        self.engine = engine

    @property
    def version(self) -> str:
        return self.store.version

    @property
    def engine_name(self) -> str:  # type: ignore[override]
        """The store's engine (whose texts of the named queries apply)."""
        return self.store.engine_name

    def query(self, sparql: str, *, substitutions: dict[ox.Variable, Any] | None = None,
              union_default_graph: bool = True, prologue: bool = True, **kwargs: Any) -> Any:
        """A SELECT or ASK answered by a worker (``kwargs`` as ``QuadStore.query``);
        CONSTRUCT and DESCRIBE are asked of the store."""
        if query_form(sparql) not in ("SELECT", "ASK"):
            return self.store.query(sparql, substitutions=substitutions,
                                    union_default_graph=union_default_graph,
                                    prologue=prologue, **kwargs)
        union = kwargs.pop("use_default_graph_as_union", union_default_graph)
        default_graphs = _iris(kwargs.pop("default_graph", None))
        named_graphs = _iris(kwargs.pop("named_graphs", None))
        prefixes = {**(PREFIXES if prologue else {}), **kwargs.pop("prefixes", {})}
        base_iri = kwargs.pop("base_iri", None)
        if kwargs:
            raise TypeError(f"options the engine does not take: {', '.join(kwargs)}")
        task = QueryTask(
            query=sparql, results_format=_JSON, rdf_format="application/n-triples",
            row_limit=0, base_iri=base_iri, default_graphs=default_graphs,
            named_graphs=named_graphs, union_default_graph=union, prefixes=prefixes,
            substitutions={v.value: t for v, t in (substitutions or {}).items()} or None)
        outcome = anyio.from_thread.run(
            functools.partial(self.engine.run, task, client=INTERNAL_CLIENT))
        return ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)

    # -- everything else: the store itself ---------------------------------------------

    def update(self, sparql_update: str, *, prologue: bool = True,
               graphs: Iterable[ox.NamedNode | ox.DefaultGraph] | None = None,
               **kwargs: Any) -> None:
        self.store.update(sparql_update, prologue=prologue, graphs=graphs, **kwargs)

    def named_graphs(self) -> list[ox.NamedNode]:
        return self.store.named_graphs()

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return self.store.has_graph(graph)

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[ox.Quad]:
        return self.store.quads(subject, predicate, obj, graph)

    def __len__(self) -> int:
        return len(self.store)

    def dump(self, output: IO[bytes] | None, fmt: ox.RdfFormat, graph: GraphName | None = None,
             *, prefixes: dict[str, str] | None = None) -> bytes | None:
        return self.store.dump(output, fmt, graph, prefixes=prefixes)

    def replace_graph(self, graph: ox.NamedNode,
                      triples: Iterable[ox.Triple | ox.Quad]) -> int:
        return self.store.replace_graph(graph, triples)

    def drop_graph(self, graph: ox.NamedNode) -> None:
        self.store.drop_graph(graph)

    def batch(self) -> AbstractContextManager[None]:
        return self.store.batch()

    def hides(self, graph: object) -> bool:
        return self.store.hides(graph)

    def flush(self) -> None:
        self.store.flush()

    def close(self) -> None:
        """Nothing: the store belongs to whoever opened it."""


def _iris(graphs: Any) -> tuple[str, ...] | None:
    if graphs is None:
        return None
    many = graphs if isinstance(graphs, (list, tuple)) else [graphs]
    return tuple(g.value for g in many)

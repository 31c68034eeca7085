"""``EngineReads``: the service's own aggregate reads answered by the engine's workers.

A real engine (worker processes) over a store in memory; the reads are made from a
thread of anyio's pool, as the routes' builds make them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import pyoxigraph as ox
import pytest

from mipex_kg.api.errors import QueryTimeout
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.store_view import EngineReads
from mipex_kg.graph.store import KnowledgeStore

from tests.api.live import settings_for_tests

EX = "http://example.org/"
G, H = ox.NamedNode(EX + "g"), ox.NamedNode(EX + "h")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def with_engine(check: Callable[[KnowledgeStore, EngineReads], Any]) -> Any:
    store = KnowledgeStore()
    store.update("".join(f"INSERT DATA {{ GRAPH <{g}> {{ <{EX}s{i}> <{EX}p> {i} }} }} ;\n"
                         for g in (G.value, H.value) for i in range(1000)) + "INSERT DATA {}",
                 prologue=False)
    engine = QueryEngine(store, settings_for_tests(query_timeout=1.0, query_workers=2,
                                                   fast_lane_workers=1))
    try:
        engine.warm()
        reads = EngineReads(store, engine)

        async def main() -> Any:
            return await anyio.to_thread.run_sync(check, store, reads)

        return anyio.run(main)
    finally:
        engine.close()


def rows(results: Any) -> list[tuple[str, ...]]:
    return sorted(tuple(str(row[v]) for v in results.variables) for row in results)


def test_the_engine_gives_what_the_store_gives() -> None:
    def check(store: KnowledgeStore, reads: EngineReads) -> None:
        counts = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        assert rows(reads.query(counts)) == rows(store.query(counts))
        one = "SELECT ?s ?o WHERE { ?s ?p ?o }"
        found = reads.query(one, substitutions={ox.Variable("s"): ox.NamedNode(EX + "s7")})
        assert rows(found) == [(f"<{EX}s7>", '"7"^^<http://www.w3.org/2001/XMLSchema#integer>')] * 2
        assert len(list(reads.query("SELECT * WHERE { ?s ?p ?o }", default_graph=[G]))) == 1000
        assert bool(reads.query("ASK { ?s rdfs:label ?o }")) is False  # the PREFIXes apply
        assert reads.graph_sizes() == {G.value: 1000, H.value: 1000}

    with_engine(check)


def test_its_time_limit_applies() -> None:
    def check(store: KnowledgeStore, reads: EngineReads) -> None:
        with pytest.raises(QueryTimeout):
            reads.query(RUNAWAY)

    with_engine(check)

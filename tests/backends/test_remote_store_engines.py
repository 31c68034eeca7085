"""``RemoteStore`` behaviours that differ by engine, on each real engine.

Oxigraph server and Virtuoso, started on 127.0.0.1 by the session's fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from mipex_kg.graph.quad_store import SUBJECTS_PER_QUERY
from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_store import RemoteStore

from tests.backends.conftest import remote_on
from tests.backends.oxigraph_server import emptied

EX = "http://example.org/"


@pytest.fixture(params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def engine_store(request: pytest.FixtureRequest) -> Iterator[RemoteStore]:
    store = remote_on(request)
    try:
        yield store
    finally:  # the engines are the session's: later tests must find them empty
        emptied(store).close()


def triples(count: int, graph_tag: str = "") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"),
                      ox.Literal(f"v{graph_tag}{i}")) for i in range(count)]


def test_quads_about_thousands_of_subjects(engine_store: RemoteStore) -> None:
    """Virtuoso refuses a VALUES of some thousands (here 12 000 in one query, not
    4 000); the store asks in parts."""
    count = 12_000
    assert count > SUBJECTS_PER_QUERY
    graph = ox.NamedNode(f"{EX}g")
    engine_store.replace_graph(graph, triples(count))
    subjects = [ox.NamedNode(f"{EX}s{i}") for i in range(count)] + [ox.NamedNode(f"{EX}none")]
    found = engine_store.quads_about(subjects, predicate=ox.NamedNode(f"{EX}p"))
    assert sorted(q.object.value for q in found) == sorted(f"v{i}" for i in range(count))
    assert {q.graph_name for q in found} == {graph}


def test_the_known_graphs_follow_the_stores_own_writes(engine_store: RemoteStore) -> None:
    """The list of named graphs, carried over each write instead of read again, is
    what a store that knows nothing reads from the engine, after every kind of write."""
    a, b, c = (ox.NamedNode(f"{EX}{name}") for name in "abc")
    writes = [
        lambda: engine_store.replace_graph(a, triples(3)),
        lambda: engine_store.replace_graph(b, triples(2, "b")),
        lambda: engine_store.add_triples(c, triples(1, "c")),
        lambda: engine_store.replace_graph(a, triples(4, "a")),
        lambda: engine_store.drop_graph(b),
        lambda: engine_store.replace_graph(c, []),
        lambda: engine_store.drop_graph(ox.NamedNode(f"{EX}never")),
    ]
    engine_store.named_graphs()  # known from here on
    for write in writes:
        write()
        assert engine_store.named_graphs() == read_afresh(engine_store.endpoints)
    assert engine_store.named_graphs() == [a]


def read_afresh(endpoints: RemoteEndpoints) -> list[ox.NamedNode]:
    """The named graphs as a new store object reads them from the engine."""
    fresh = RemoteStore(endpoints)
    try:
        return fresh.named_graphs()
    finally:
        fresh.close()

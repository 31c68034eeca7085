"""The store: atomic graph replacement, union queries, the snapshot on disk."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph import persistence
from mipex_kg.graph.store import KnowledgeStore

G = ox.NamedNode("https://w3id.org/mipex-kg/graph/test")


def triples(n: int, value: str = "v") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                      ox.Literal(f"{value}{i}")) for i in range(n)]


def test_replace_graph_replaces_and_counts() -> None:
    store = KnowledgeStore()
    assert store.replace_graph(G, triples(5)) == 5
    assert store.replace_graph(G, triples(3, "w")) == 3
    assert store.graph_sizes() == {G.value: 3}
    values = {r["o"].value for r in store.query("SELECT ?o WHERE { ?s ?p ?o }")}
    assert values == {"w0", "w1", "w2"}


def test_a_failing_replacement_leaves_the_graph_as_it_was() -> None:
    store = KnowledgeStore()
    store.replace_graph(G, triples(4))
    version = store.version

    def broken() -> list[ox.Triple]:
        yield from triples(2, "new")
        raise RuntimeError("the producer failed half-way")

    with pytest.raises(RuntimeError):
        store.replace_graph(G, broken())
    assert store.graph_sizes() == {G.value: 4}
    assert not any(g.value.startswith("https://w3id.org/mipex-kg/graph/staging/")
                   for g in store.oxigraph.named_graphs())
    assert store.version == version


def test_staged_content_is_invisible_until_committed() -> None:
    store = KnowledgeStore()
    store.replace_graph(G, triples(2))
    version = store.version
    staging, count = store.stage(triples(3, "new"))
    assert count == 3 and store.version == version
    seen = {r["o"].value for r in store.query("SELECT ?o WHERE { ?s ?p ?o }")}
    assert seen == {"v0", "v1"}  # the union default graph leaves staging graphs out
    named = {r["g"].value for r in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert named == {G.value}
    assert store.named_graphs() == [G] and store.graph_sizes() == {G.value: 2}
    store.commit_staged({G: staging})
    assert store.version != version
    seen = {r["o"].value for r in store.query("SELECT ?o WHERE { ?s ?p ?o }")}
    assert seen == {"new0", "new1", "new2"}
    assert not store.has_graph(staging)


def test_a_discarded_staging_graph_leaves_nothing() -> None:
    store = KnowledgeStore()
    staging, _ = store.stage(triples(2))
    store.discard(staging)
    assert len(store) == 0 and list(store.query("SELECT * WHERE { ?s ?p ?o }")) == []


def test_the_version_changes_on_every_write() -> None:
    store = KnowledgeStore()
    seen = {store.version}
    store.replace_graph(G, triples(1))
    seen.add(store.version)
    store.update("INSERT DATA { GRAPH <http://g2> { <http://a> <http://b> 1 } }")
    seen.add(store.version)
    assert len(seen) == 3


def test_the_snapshot_on_disk_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(7))
    store.close()
    reopened = KnowledgeStore(path, read_only=True)
    assert reopened.graph_sizes() == {G.value: 7}
    assert len(ox.Store.read_only(str(path))) == 7  # a plain Oxigraph store


def test_a_batch_writes_the_snapshot_once_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    with store.batch():
        store.replace_graph(G, triples(2))
        assert not persistence._is_store(path)  # nothing written yet
        store.replace_graph(ox.NamedNode("http://g2"), triples(1))
    assert len(ox.Store.read_only(str(path))) == 3


def test_a_second_writer_is_refused_while_readers_are_not(tmp_path: Path) -> None:
    path = tmp_path / "store"
    writer = KnowledgeStore(path)
    writer.replace_graph(G, triples(1))
    with pytest.raises(OSError, match="another process"):
        KnowledgeStore(path)
    assert len(KnowledgeStore(path, read_only=True)) == 1
    writer.close()
    KnowledgeStore(path).close()


def test_an_interrupted_swap_is_repaired_on_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(3))
    store.close()
    path.rename(path.with_name(f".{path.name}.previous"))  # crash between the two renames
    (tmp_path / f".{path.name}.new-deadbeef").mkdir()  # and a half-written new folder
    reopened = KnowledgeStore(path)
    assert reopened.graph_sizes() == {G.value: 3}
    assert not list(tmp_path.glob(".store.new-*"))


def test_a_small_change_is_written_back_in_place(tmp_path: Path) -> None:
    path = tmp_path / "store"
    small = ox.NamedNode("https://w3id.org/mipex-kg/graph/small")
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(200))
    folder = path.stat().st_ino  # a whole snapshot is a fresh folder renamed into place
    store.replace_graph(small, triples(3, "a"))
    store.update(f"INSERT DATA {{ GRAPH <{small.value}> {{ <http://example.org/x> "
                 f"<http://example.org/p> 'b' }} }}", graphs=[small])
    store.update("INSERT DATA { <http://example.org/d> <http://example.org/p> 'd' }",
                 graphs=[ox.DefaultGraph()])
    store.drop_graph(small)
    store.replace_graph(small, triples(2, "c"))
    assert path.stat().st_ino == folder  # written in place, each time
    store.replace_graph(small, [ox.Triple(ox.BlankNode(), ox.NamedNode("http://example.org/p"),
                                          ox.Literal("blank"))])
    assert path.stat().st_ino != folder  # blank nodes: the whole store, in a fresh folder
    folder = path.stat().st_ino
    store.replace_graph(small, triples(30, "big"))  # over a tenth of the store
    assert path.stat().st_ino != folder
    folder = path.stat().st_ino
    store.update("INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://b> 1 } }")
    assert path.stat().st_ino != folder  # graphs not named: the whole store
    expected = sorted((store.dump(None, ox.RdfFormat.N_QUADS) or b"").splitlines())
    store.close()
    reopened = KnowledgeStore(path, read_only=True)
    assert sorted((reopened.dump(None, ox.RdfFormat.N_QUADS) or b"").splitlines()) == expected


def test_writes_in_place_reach_the_disk(tmp_path: Path) -> None:
    path = tmp_path / "store"
    small = ox.NamedNode("https://w3id.org/mipex-kg/graph/small")
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(100))
    store.replace_graph(small, triples(3, "a"))
    store.update("INSERT DATA { <http://example.org/d> <http://example.org/p> 'd' }",
                 graphs=[ox.DefaultGraph()])
    store.replace_graph(small, triples(2, "c"))
    store.close()
    reopened = KnowledgeStore(path, read_only=True)
    assert reopened.graph_sizes() == {G.value: 100, small.value: 2}
    values = {r["o"].value for r in reopened.query(
        "SELECT ?o WHERE { ?s ?p ?o }", union_default_graph=False)}
    assert values == {"d"}

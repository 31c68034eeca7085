"""The store: atomic graph replacement, union queries, the snapshot on disk.

The first tests run on each kind of store (``any_store``: embedded, Oxigraph server)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph import persistence
from mipex_kg.graph.quad_store import QuadStore, is_hidden
from mipex_kg.graph.store import KnowledgeStore

G = ox.NamedNode("https://w3id.org/mipex-kg/graph/test")


def triples(n: int, value: str = "v") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                      ox.Literal(f"{value}{i}")) for i in range(n)]


def test_replace_graph_replaces_and_counts(any_store: QuadStore) -> None:
    store = any_store
    assert store.replace_graph(G, triples(5)) == 5
    assert store.replace_graph(G, triples(3, "w")) == 3
    assert store.graph_sizes() == {G.value: 3}
    values = {r["o"].value for r in store.query("SELECT ?o WHERE { ?s ex:p ?o }",
                                                 prefixes={"ex": "http://example.org/"})}
    assert values == {"w0", "w1", "w2"}
    assert len(store) == 3


@pytest.mark.parametrize("shape", ["quads of another graph", "a literal holding _:",
                                   "blank nodes"])
def test_a_new_graph_holds_its_content_whatever_its_shape(shape: str, tmp_path: Path) -> None:
    """Triples go in as text; quads, a literal that looks like a blank node label, and
    real blank nodes take the other ways: each graph holds exactly its content."""
    store = KnowledgeStore(tmp_path / "store")
    other = ox.NamedNode("https://w3id.org/mipex-kg/graph/other")
    p, s = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/s")
    content: list[ox.Triple | ox.Quad] = {
        "quads of another graph": [ox.Quad(s, p, ox.Literal(f"v{i}"), other) for i in range(3)],
        "a literal holding _:": [ox.Triple(s, p, ox.Literal("see _:b0")),
                                 ox.Triple(s, p, ox.Literal("x"))],
        "blank nodes": [ox.Triple(ox.BlankNode(), p, ox.Literal("y")),
                        ox.Triple(s, p, ox.BlankNode())],
    }[shape]
    assert store.replace_graph(G, content) == len(content)
    assert store.graph_sizes() == {G.value: len(content)}
    objects = {str(q.object) for q in store.quads(graph=G) if isinstance(q.object, ox.Literal)}
    assert objects == {str(c.object) for c in content if isinstance(c.object, ox.Literal)}
    store.close()
    assert KnowledgeStore(tmp_path / "store").graph_sizes() == {G.value: len(content)}


def test_a_failing_replacement_leaves_the_graph_as_it_was(any_store: QuadStore) -> None:
    store = any_store
    store.replace_graph(G, triples(4))
    version = store.version

    def broken() -> list[ox.Triple]:
        yield from triples(2, "new")
        raise RuntimeError("the producer failed half-way")

    with pytest.raises(RuntimeError):
        store.replace_graph(G, broken())
    assert store.graph_sizes() == {G.value: 4}
    assert not any(is_hidden(q.graph_name) and q.graph_name.value.startswith(
        "https://w3id.org/mipex-kg/graph/staging/") for q in store.quads(None, None, None, None))
    assert store.version == version


def test_the_version_changes_on_every_write(any_store: QuadStore) -> None:
    store = any_store
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


def test_a_reader_between_the_two_renames_sees_the_old_dataset(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(3))
    store.close()
    path.rename(path.with_name(f".{path.name}.previous"))  # as a swap leaves it in between
    assert KnowledgeStore(path, read_only=True).graph_sizes() == {G.value: 3}
    assert not path.exists()  # a reader repairs nothing



def test_a_store_served_from_disk_reads_and_writes_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(G, triples(4))
    store.serve_from_disk()
    assert store.on_disk
    assert store.graph_sizes() == {G.value: 4}  # what was in memory is in the folder
    version = store.version
    store.replace_graph(G, triples(2, "w"))
    store.update("INSERT DATA { GRAPH <http://g2> { <http://a> <http://b> 1 } }",
                 graphs=[ox.NamedNode("http://g2")])
    assert store.version != version
    assert store.graph_sizes() == {G.value: 2, "http://g2": 1}
    # each write is committed at once, and readers get a copy the writer does not touch
    # (reading a RocksDB folder that another handle writes is undefined behaviour)
    reader = KnowledgeStore(path, read_only=True)
    assert reader.graph_sizes() == {G.value: 2, "http://g2": 1}
    store.drop_graph(ox.NamedNode("http://g2"))
    assert reader.graph_sizes() == {G.value: 2, "http://g2": 1}  # its copy stays as it was
    assert KnowledgeStore(path, read_only=True).graph_sizes() == {G.value: 2}
    store.close()
    assert not any(p.name.endswith(".readers") for p in tmp_path.iterdir())  # withdrawn
    reopened = KnowledgeStore(path)  # the folder was released
    assert reopened.graph_sizes() == {G.value: 2}
    reopened.close()


def test_serving_from_disk_needs_a_folder(tmp_path: Path) -> None:
    memory = KnowledgeStore()
    memory.serve_from_disk()
    assert not memory.on_disk
    path = tmp_path / "store"
    writer = KnowledgeStore(path)
    writer.replace_graph(G, triples(1))
    writer.close()
    reader = KnowledgeStore(path, read_only=True)
    reader.serve_from_disk()
    assert not reader.on_disk

"""Writing back to the folder: small known changes in place, everything else whole."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.delta import Delta
from mipex_kg.graph.store import KnowledgeStore, SerializedTriples

BIG = ox.NamedNode("https://w3id.org/mipex-kg/graph/big")
SMALL = ox.NamedNode("https://w3id.org/mipex-kg/graph/small")
P = ox.NamedNode("http://example.org/p")


def triples(n: int, value: str = "v", subject: str = "s") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"http://example.org/{subject}{i}"), P,
                      ox.Literal(f"{value}{i}")) for i in range(n)]


def on_disk(path: Path) -> set[ox.Quad]:
    store = KnowledgeStore(path, read_only=True)
    return set(store.oxigraph)


def folder_identity(path: Path) -> int:
    """The folder's inode: a whole snapshot puts a new folder in its place."""
    return path.stat().st_ino


def test_a_small_change_is_written_in_place(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(BIG, triples(500))
    whole = folder_identity(path)
    store.replace_graph(SMALL, triples(10, subject="t"))
    store.replace_graph(SMALL, triples(12, "w", subject="t"))
    store.update(f"DELETE DATA {{ GRAPH <{SMALL.value}> {{ <http://example.org/t0> <{P.value}> "
                 '"w0" } }', graphs=[SMALL])
    assert len(store) == 511
    assert folder_identity(path) == whole  # never rewritten whole
    assert on_disk(path) == set(store.oxigraph)
    store.close()


def test_a_change_nobody_named_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(BIG, triples(500))
    whole = folder_identity(path)
    store.update(f"INSERT DATA {{ GRAPH <{SMALL.value}> {{ <http://example.org/x> <{P.value}> 1 }} }}")
    assert folder_identity(path) != whole
    assert on_disk(path) == set(store.oxigraph)
    store.close()


def test_a_large_change_and_blank_nodes_are_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(BIG, triples(500))
    before = folder_identity(path)
    store.replace_graph(SMALL, triples(100, subject="t"))  # a fifth of the store
    after_large = folder_identity(path)
    store.replace_graph(SMALL, [ox.Triple(ox.BlankNode(), P, ox.Literal("b"))])
    assert before != after_large != folder_identity(path)
    reopened = KnowledgeStore(path, read_only=True)
    assert len(reopened) == len(store)
    store.close()


def test_writes_in_a_batch_are_written_back_once_and_netted(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    store.replace_graph(BIG, triples(500))
    whole = folder_identity(path)
    with store.batch():
        store.replace_graph(SMALL, triples(5, subject="t"))
        store.drop_graph(SMALL)  # nets out: nothing to write
        store.replace_graph(SMALL, triples(3, "z", subject="t"))
    assert folder_identity(path) == whole
    assert on_disk(path) == set(store.oxigraph)
    store.close()
    assert set(KnowledgeStore(path, read_only=True).oxigraph) == on_disk(path)


def test_the_delta_nets_additions_and_removals() -> None:
    delta = Delta()
    a, b = (ox.Quad(ox.NamedNode(f"http://example.org/{n}"), P, ox.Literal(n), SMALL) for n in "ab")
    delta.record([], [a, b])
    delta.record([a, b], [b])
    assert delta.added == {b} and delta.removed == set()
    delta.record([b], [])
    assert len(delta) == 0 and delta.as_update() == ""


def test_a_snapshot_written_ahead_holds_the_writes_made_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    with store.batch():
        store.replace_graph(BIG, triples(500))
        store.replace_graph(SMALL, triples(50, subject="t"))
        with store.snapshot_ahead():
            store.replace_graph(SMALL, triples(300, "w", subject="t"))  # large: tracked anyway
            store.replace_graph(ox.NamedNode("https://w3id.org/mipex-kg/graph/b"),
                                [ox.Triple(ox.BlankNode("x"), P, ox.Literal("b"))])
        assert on_disk(path) == set(store.oxigraph)  # in place before the batch ends
    assert on_disk(path) == set(store.oxigraph)
    store.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]


def test_a_snapshot_ahead_is_dropped_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    with store.batch():
        store.replace_graph(BIG, triples(500))
        try:
            with store.snapshot_ahead():
                store.replace_graph(SMALL, triples(5, subject="t"))
                raise RuntimeError("the recomputation failed")
        except RuntimeError:
            pass
    assert on_disk(path) == set(store.oxigraph)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]
    store.close()


def test_a_first_load_starts_the_snapshot_at_its_first_graph(tmp_path: Path) -> None:
    """New graphs go to the snapshot as they come; a graph dropped and written again
    after that still ends up on disk (the parts handed over never undo a tracked change)."""
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    with store.batch(), store.snapshot_ahead():
        store.replace_graph(BIG, triples(500))
        assert [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]
        store.replace_graph(SMALL, triples(300, subject="t"))
        store.drop_graph(BIG)
        store.replace_graph(BIG, triples(500))  # new again, after a tracked change
        store.replace_graph(ox.NamedNode("https://w3id.org/mipex-kg/graph/c"),
                            triples(200, subject="c"))
    assert len(store) == 1000
    assert on_disk(path) == set(store.oxigraph)
    store.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]


def test_a_failed_first_load_leaves_the_graphs_written_before_it(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    try:
        with store.batch(), store.snapshot_ahead():
            store.replace_graph(BIG, triples(500))
            raise RuntimeError("the second workbook is broken")
    except RuntimeError:
        pass
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]
    held = set(store.oxigraph)
    store.close()  # writes back what the batch left, whole, as before the snapshot ahead
    assert len(held) == 500 and on_disk(path) == held


def test_a_graph_offered_before_the_gate_and_committed_is_on_disk_once(tmp_path: Path) -> None:
    """``offer_ahead`` hands a new graph to the snapshot before its commit; the commit of
    the same content then only loads it into the store."""
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    content = SerializedTriples(triples(500))
    with store.batch(), store.snapshot_ahead():
        store.offer_ahead(BIG, content)
        assert [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]
        assert len(store) == 0  # the store itself is not touched before the commit
        store.replace_graph(BIG, content)
        store.replace_graph(SMALL, triples(300, subject="t"))
    assert len(store) == 800
    assert on_disk(path) == set(store.oxigraph)
    store.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]


def test_a_graph_offered_and_refused_never_reaches_the_disk(tmp_path: Path) -> None:
    """The gate refused an offered graph and the caller went on: the snapshot ahead held
    it, so it is dropped and the batch writes the store whole, without it."""
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    refused = ox.NamedNode("https://w3id.org/mipex-kg/graph/refused")
    with store.batch(), store.snapshot_ahead():
        store.replace_graph(BIG, triples(500))
        store.offer_ahead(refused, SerializedTriples(triples(300, subject="r")))
        store.replace_graph(SMALL, triples(200, subject="t"))
    assert not store.has_graph(refused)
    assert on_disk(path) == set(store.oxigraph) and len(store) == 700
    store.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".store.new")]


def test_a_graph_offered_and_committed_otherwise_is_on_disk_as_committed(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = KnowledgeStore(path)
    with store.batch(), store.snapshot_ahead():
        store.offer_ahead(BIG, SerializedTriples(triples(500)))
        store.replace_graph(BIG, triples(400, "w"))  # other content than offered
    assert on_disk(path) == set(store.oxigraph) and len(store) == 400
    store.close()

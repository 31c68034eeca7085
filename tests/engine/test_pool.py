"""The worker pool on its own: workers as threads of one process, a memory cap, recovery.

The engine is driven directly on an event loop (no HTTP), on a tiny store.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.api.errors import QueryFailed, QueryTimeout
from mipex_kg.engine.pool import QueryPool
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.worker import QueryTask
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

JSON = "application/sparql-results+json"
# 3 x 3000 triples, every solution's strings kept: far more than 200 MiB
GREEDY = ("SELECT ?a ?c ?e (GROUP_CONCAT(STR(?b)) AS ?g) "
          "WHERE { ?a ?x ?b . ?c ?y ?d . ?e ?z ?f } GROUP BY ?a ?c ?e")


@pytest.fixture
def engine() -> Iterator[QueryEngine]:
    store = KnowledgeStore()
    store.update("INSERT DATA { "
                 + " ".join(f"<http://a/{i}> <http://b> {i} ." for i in range(3000)) + " }")
    built = QueryEngine(store, Settings(store=None, query_workers=2, query_memory_mb=200,
                                        query_timeout=60, fast_lane_timeout=60))
    yield built
    built.close()


def run(engine: QueryEngine, query: str) -> bytes:
    async def ask() -> bytes:
        return (await engine.run(QueryTask(query, JSON, "text/turtle", 100), client="t")).body
    return asyncio.run(ask())


def test_a_query_past_its_memory_cap_fails_alone(engine: QueryEngine) -> None:
    first = engine.pool.worker_pids()
    with pytest.raises(QueryFailed, match="MIPEX_KG_QUERY_MEMORY_MB"):
        run(engine, GREEDY)
    assert b'"boolean":true' in run(engine, "ASK { <http://a/1> ?p ?o }")
    assert len(engine.pool.worker_pids()) == 1  # both workers are threads of one process
    assert not set(first) & set(engine.pool.worker_pids())  # the failed one was replaced


def test_a_query_whose_process_is_stopped_for_another_is_run_again(
        engine: QueryEngine) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?x ?b . ?c ?y ?d }"  # 9 M solutions
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?x ?b . ?c ?y ?d . ?e ?z ?f }"

    async def both() -> tuple[bytes, BaseException | None]:
        async def stopped() -> BaseException | None:
            try:
                await engine.run(QueryTask(runaway, JSON, "text/turtle", 100), client="a",
                                 timeout=0.3)
            except QueryTimeout as error:
                return error
            return None

        victim = asyncio.create_task(engine.run(QueryTask(slow, JSON, "text/turtle", 100),
                                                client="b"))
        await asyncio.sleep(0)  # the slow query is sent first
        stop = await stopped()
        return (await victim).body, stop

    engine.warm()
    before = engine.pool.worker_pids()
    body, stop = asyncio.run(both())
    assert isinstance(stop, QueryTimeout)
    assert b'"9000000"' in body or b'9000000' in body  # answered despite the stop
    assert engine.pool.worker_pids() != before


def test_workers_follow_the_store_to_its_new_version(engine: QueryEngine) -> None:
    assert b'"boolean":false' in run(engine, "ASK { <http://new> ?p ?o }")
    first = set(engine.pool.worker_pids())
    engine.store.update("INSERT DATA { <http://new> <http://b> 1 }")
    engine.warm()
    assert not first & set(engine.pool.worker_pids())  # all forked from the new data
    assert b'"boolean":true' in run(engine, "ASK { <http://new> ?p ?o }")


def _private_dirty_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1])
    raise AssertionError("no Private_Dirty line")


def test_short_lane_processes_take_their_own_copy_of_the_data_at_once(
        engine: QueryEngine) -> None:
    engine.warm()
    short, = engine.pool.worker_pids()
    long, = engine.long_pool.worker_pids()
    # same zygote, no query yet: only the short lane's process has copied its pages
    assert _private_dirty_kib(short) > 2 * _private_dirty_kib(long)


def test_waiting_for_a_worker_does_not_make_a_client_heavy() -> None:
    store = KnowledgeStore()
    store.update("INSERT DATA { <http://a/1> <http://b> 1 }")
    engine = QueryEngine(store, Settings(store=None, query_workers=1, fast_lane_timeout=1.0))
    engine.warm()

    async def scenario() -> bytes:
        async with engine.pool.turn(None):  # another query holds the only short worker
            waiting = asyncio.create_task(
                engine.run(QueryTask("ASK { ?s ?p 1 }", JSON, "text/turtle", 10), client="p"))
            await asyncio.sleep(0.8)  # longer than half the short lane's time
        return (await waiting).body

    try:
        assert b'"boolean":true' in asyncio.run(scenario())
        assert not engine.admission.is_heavy("p")  # it waited; its query was quick
    finally:
        engine.close()


def test_workers_of_a_store_served_from_disk_take_the_change_not_a_whole_dump(
        tmp_path: Path) -> None:
    store = KnowledgeStore(tmp_path / "store")
    store.update("INSERT DATA { GRAPH <http://g0> { "  # a change of up to a tenth is tracked
                 + " ".join(f"<http://a/{i}> <http://b> {i} ." for i in range(100)) + " } }")
    engine = QueryEngine(store, Settings(store=None, query_workers=2, query_timeout=60,
                                         fast_lane_timeout=60))
    try:
        engine.warm()  # as mipex-kg serve does: the first dump, whole, from memory
        store.serve_from_disk()
        assert snapshot_files(engine) == ["snapshot-1.nq"]
        store.update("INSERT DATA { GRAPH <http://g> { <http://new> <http://b> 2 } }",
                     graphs=[ox.NamedNode("http://g")])
        engine.warm()
        # the zygote loaded the first dump and the change: no second dump was made
        assert snapshot_files(engine) == ["snapshot-1.nq"]
        assert b'"boolean":true' in run(engine, "ASK { <http://new> ?p 2 }")
        store.replace_graph(ox.NamedNode("http://g"), [ox.Triple(
            ox.NamedNode("http://c"), ox.NamedNode("http://b"), ox.Literal("3"))])
        assert b'"boolean":false' in run(engine, "ASK { <http://new> ?p ?o }")
        assert b'"boolean":true' in run(engine, 'ASK { <http://c> ?p "3" }')
        store.update("INSERT DATA { GRAPH <http://h> { <http://d> <http://b> 4 } }")  # unsaid
        assert b'"boolean":true' in run(engine, "ASK { <http://d> ?p 4 }")
        assert snapshot_files(engine) == ["snapshot-4.nq"]  # a whole dump, the old one gone
    finally:
        engine.close()
        store.close()


def snapshot_files(engine: QueryEngine) -> list[str]:
    """The snapshot and change files in the engine's scratch folder (not its lock)."""
    assert engine.snapshots is not None and engine.snapshots._folder is not None
    return sorted(p.name for p in engine.snapshots._folder.path.iterdir()
                  if p.name != "owner.lock")


def test_quick_queries_of_a_heavy_client_do_not_keep_it_heavy() -> None:
    """A heavy client's queries run in the long lane; one that is quick there must not
    start its client's heavy time again, or a client that once sent a heavy query
    would stay in the long lane for as long as it keeps sending any."""
    store = KnowledgeStore()
    store.update("INSERT DATA { <http://a/1> <http://b> 1 }")
    engine = QueryEngine(store, Settings(store=None, query_workers=2, fast_lane_timeout=1.0))
    engine.warm()
    admission = engine.admission
    try:
        admission.mark_heavy("p")
        heavy_until = admission._heavy_until["p"]
        task = QueryTask("ASK { ?s ?p 1 }", JSON, "text/turtle", 10)
        assert b'"boolean":true' in asyncio.run(engine.run(task, client="p")).body
        assert admission.long_running() == 0  # it ran in the long lane and left it
        assert admission._heavy_until["p"] == heavy_until  # not extended
    finally:
        engine.close()


def test_an_idle_pool_replaces_processes_that_ran_queries_by_fresh_forks() -> None:
    """A pool with ``refresh_after`` moves its workers to a fresh fork of the zygote
    once it has been idle that long after queries (the fork shares the data's pages
    again); one whose processes ran nothing since keeps them."""
    store = KnowledgeStore()
    store.update("INSERT DATA { <http://a> <http://b> 1 }")
    pool = QueryPool(store, workers=2, processes=1, refresh_after=0.2)

    async def ask() -> tuple[object, ...] | None:
        async with pool.turn(None) as worker:
            await pool.send(worker, QueryTask("ASK { <http://a> ?p ?o }", JSON, "text/turtle", 1))
            return await pool.answer(worker, 30.0)

    def pids_other_than(old: list[int]) -> list[int]:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            now = pool.worker_pids()
            if now and now != old:
                return now
            time.sleep(0.05)
        return pool.worker_pids()

    try:
        pool.warm()
        first = pool.worker_pids()
        assert len(first) == 1
        reply = asyncio.run(ask())
        assert reply is not None and b"true" in reply[2]  # type: ignore[operator]
        fresh = pids_other_than(first)
        assert len(fresh) == 1 and fresh != first
        assert first[0] not in fresh
        time.sleep(1.0)  # five idle periods: nothing ran on the fresh process
        assert pool.worker_pids() == fresh
        reply = asyncio.run(ask())  # and it answers
        assert reply is not None and b"true" in reply[2]  # type: ignore[operator]
    finally:
        pool.close()


def test_a_failed_in_process_read_hands_over_none_of_its_locals(engine: QueryEngine) -> None:
    """A page's build runs in a thread and may fail while a pyoxigraph iterator is one of
    its locals; the error is raised again in the event loop's thread. Had the build's
    frame kept its locals, the iterator could be dropped there, which pyoxigraph refuses
    ("unsendable, but is being dropped on another thread"; whether it happens depends
    on which thread lets go of the error last, so the frame is what is checked). The
    traceback itself stays, for the log."""
    store = KnowledgeStore()
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> <urn:o> } }")

    def build() -> None:
        rows = store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }")  # noqa: F841 - held
        raise LookupError("no such page")

    with pytest.raises(LookupError, match="no such page") as raised:
        asyncio.run(engine.run_in_process("t", build))
    frames = {frame.f_code.co_name: frame for frame, _ in traceback.walk_tb(raised.value.__traceback__)}
    assert "run_in_process" in frames and frames["build"].f_locals == {}  # kept for the log, emptied

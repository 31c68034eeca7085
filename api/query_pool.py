"""Queries run in worker processes, and a query past the time limit is really stopped.

pyoxigraph cannot cancel a query, and a thread that runs one cannot be stopped. So
every SPARQL query runs in one of a few worker *processes*; the request sends the
query over a socket and waits at most ``timeout`` seconds for the answer. When the
time is up the worker is killed (SIGKILL: its memory and CPU are freed at once), the
client gets a 503 naming the limit, and a fresh worker is started in its place.
Other requests are served by the other workers meanwhile; a request that finds
every worker busy waits up to the same limit for one, then gets a 503 too.

Each worker needs the data. The pool takes a *snapshot* of the store whenever the
store's version has changed since the last one (so an answer never predates a
write): the dataset is dumped to an N-Quads file, and each worker loads it into
its own in-memory store (queries run 4-6x faster in memory than on disk, see
../shared/PERFORMANCE.md; the cost is one copy of the data per worker). A worker
loads a new snapshot before its next query; loading is not counted against the
time limit. Snapshot files are deleted once no worker is loading them.

    pool = QueryPool(store, workers=2, timeout=30.0)
    outcome = pool.run(QueryTask(...))          # in a thread: QueryOutcome, or an ApiError
    outcome = await pool.run(QueryTask(...))    # on the event loop (an async route)
    pool.close()

On an event loop ``run`` neither blocks it nor uses a thread: the query is written
to the worker's socket, the loop watches the socket (``add_reader``) with a timer for
the limit, and the answer is read as it arrives. (A thread hop per query cost more
CPU than a small query itself: 0.1-0.15 ms per request, and as much in latency.)
Only the rare slow steps go to a thread: dumping a new snapshot, loading it into a
worker, replacing a killed worker. Idle workers are taken last in, first out, so
under light load one worker, with warm caches, answers everything.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from mipex_kg.api.errors import (
    QueryEvaluationError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ServiceUnavailable,
    WorkersBusy,
)
from mipex_kg.api.query_worker import (
    HEADER,
    QueryOutcome,
    QueryTask,
    Snapshot,
    frame,
    query_message,
    receive_message,
    unpickle,
)
from mipex_kg.graph.store import KnowledgeStore

log = logging.getLogger(__name__)

#: How long a worker may take to start and load a snapshot (not the query limit).
LOAD_TIMEOUT = 600.0

#: Bytes read at once from a worker's socket (an answer this small arrives in one read).
_FIRST_READ = 64 * 1024


_WORKER_MAIN = "import sys; from mipex_kg.api.query_worker import main; main(int(sys.argv[1]))"

#: glibc's per-thread cache of freed blocks, per size: 7 by default. Queries allocate
#: and free many small blocks; with 256, a small query's worker time fell by a tenth.
#: (An explicit ``glibc.malloc.tcache_count`` in GLIBC_TUNABLES is kept; other C
#: libraries ignore the variable.)
_MALLOC_TUNABLE = "glibc.malloc.tcache_count=256"


def _worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    tunables = env.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.tcache_count=" not in tunables:
        env["GLIBC_TUNABLES"] = f"{tunables}:{_MALLOC_TUNABLE}" if tunables else _MALLOC_TUNABLE
    return env


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    sock: socket.socket
    snapshot: Snapshot | None = None
    loading: Snapshot | None = None
    inbox: bytearray = field(default_factory=lambda: bytearray(_FIRST_READ))
    prefixes: dict[str, str] | None = None  # the ones it was sent last (query_message)


class QueryPool:
    """A few worker processes that answer SPARQL queries with a hard time limit."""

    def __init__(self, store: KnowledgeStore, *, workers: int = 2, timeout: float = 30.0) -> None:
        """Prepare the pool; processes start on ``start()`` or the first query.

        Args:
            store: the store to query (its ``version`` decides when to re-snapshot).
            workers: how many queries may run at the same time.
            timeout: seconds a query may run, and a request may wait for a worker
                (0 or less: no limit).
        """
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        self.store = store
        self.size = workers
        self.timeout = timeout
        self._limit = timeout if timeout > 0 else None
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        # idle workers; threads wait on the condition, event loops with futures
        self._idle: collections.deque[_Worker] = collections.deque()
        self._idle_changed = threading.Condition(threading.Lock())
        self._waiters: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._folder: Path | None = None
        self._numbers = itertools.count(1)
        self._started = False
        self._closed = False

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker processes (idempotent)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._folder = Path(tempfile.mkdtemp(prefix="mipex-kg-snapshots-"))
            fresh = [self._spawn() for _ in range(self.size)]
        for worker in fresh:
            self._release(worker)

    def warm(self) -> None:
        """Start the workers and load the current data into the idle ones.

        Called at start-up and after each write through the API, so that the next
        query does not wait for the data to load.
        """
        self.start()
        if self._closed:
            return
        snapshot = self.current_snapshot()
        for _ in range(self.size):
            worker = self._take_idle(needing=snapshot)
            if worker is None:
                return
            try:
                self._load(worker, snapshot)
            except (QueryFailed, EOFError, OSError) as error:
                log.warning("a query worker failed to load the data at start-up: %s", error)
                self._replace(worker)
            else:
                self._release(worker)

    def close(self) -> None:
        """Stop every worker and delete the snapshots."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        with self._idle_changed:  # requests waiting for a worker get a 503 now
            waiters, self._waiters = list(self._waiters), collections.deque()
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                waiter.get_loop().call_soon_threadsafe(_fail, waiter, _shutting_down)
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.sock.sendall(frame(("stop",)))
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=2)
            self._kill(worker)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers (for monitoring and tests)."""
        with self._lock:
            return sorted(w.process.pid for w in self._workers)

    def _spawn(self) -> _Worker:
        # A plain interpreter running query_worker.main, not multiprocessing's spawn:
        # that would re-import the parent's __main__ (any script that builds the app
        # without an ``if __name__ == "__main__"`` guard would start workers forever).
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_worker_environment(),
            )
        worker = _Worker(process, ours)
        self._workers.add(worker)
        return worker

    def _kill(self, worker: _Worker) -> None:
        if worker.process.poll() is None:
            worker.process.kill()
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("query worker %s did not exit after SIGKILL", worker.process.pid)
        worker.sock.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place."""
        self._kill(worker)
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                return
            fresh = self._spawn()
        self._release(fresh)

    # -- idle workers ----------------------------------------------------------------

    def _take_idle(self, *, needing: Snapshot) -> _Worker | None:
        """An idle worker that has not loaded ``needing`` yet, if any."""
        with self._idle_changed:
            for worker in self._idle:
                if worker.snapshot != needing:
                    self._idle.remove(worker)
                    return worker
        return None

    def _acquire(self) -> _Worker:
        """An idle worker, waiting in this thread up to the limit."""
        with self._idle_changed:
            if not self._idle_changed.wait_for(lambda: self._idle, self._limit):
                raise self._busy()
            return self._idle.pop()

    async def _acquire_async(self) -> _Worker:
        """An idle worker, waiting on the event loop up to the limit."""
        loop = asyncio.get_running_loop()
        with self._idle_changed:
            if self._idle:
                return self._idle.pop()
            waiter: asyncio.Future[_Worker] = loop.create_future()
            self._waiters.append(waiter)
        timer = loop.call_later(self._limit, _fail, waiter, self._busy) if self._limit else None
        try:
            return await waiter
        finally:
            if timer is not None:
                timer.cancel()

    def _release(self, worker: _Worker) -> None:
        """Give ``worker`` to the longest waiting event-loop request, else to the idle."""
        with self._idle_changed:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.done():
                    continue  # gave up waiting
                loop = waiter.get_loop()
                if loop is _running_loop():  # on its own loop: no wake-up needed
                    waiter.set_result(worker)
                    return
                with contextlib.suppress(RuntimeError):  # its loop is closed
                    loop.call_soon_threadsafe(self._hand_over, waiter, worker)
                    return
            self._idle.append(worker)  # taken last in, first out: its caches are warm
            self._idle_changed.notify()

    def _hand_over(self, waiter: asyncio.Future[_Worker], worker: _Worker) -> None:
        if waiter.done():  # it gave up meanwhile: the next one gets the worker
            self._release(worker)
        else:
            waiter.set_result(worker)

    def _busy(self) -> WorkersBusy:
        return WorkersBusy(
            f"all {self.size} query workers stayed busy for the whole query time limit "
            f"({self.timeout:g} s); try again later"
        )

    def _timed_out(self, task: QueryTask) -> QueryTimeout:
        log.warning("query stopped at the time limit of %g s: %.300s",
                    self.timeout, " ".join(task.query.split()))
        return QueryTimeout(
            f"the query ran longer than the time limit of {self.timeout:g} s "
            "(setting MIPEX_KG_QUERY_TIMEOUT) and was stopped"
        )

    # -- queries ---------------------------------------------------------------------

    def run(self, task: QueryTask) -> QueryOutcome | Awaitable[QueryOutcome]:
        """Answer ``task`` in a worker, within the time limit.

        Called in a thread without a running event loop, it blocks and returns the
        outcome. Called on an event loop (an ``async def`` route), it returns an
        awaitable and leaves the loop free while the worker works.

        Raises:
            QuerySyntaxError: the query does not parse (400).
            QueryEvaluationError: the query cannot be evaluated (400).
            QueryTimeout: it ran past the limit and was stopped (503).
            WorkersBusy: no worker became free within the limit (503).
            QueryFailed: the worker failed or died (503).
            ServiceUnavailable: the pool is closed (the service is shutting down).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._run_blocking(task)
        return self._run_async(task)

    def _run_blocking(self, task: QueryTask) -> QueryOutcome:
        self.start()
        if self._closed:
            raise _shutting_down()
        snapshot = self.current_snapshot()
        worker = self._acquire()
        healthy = False
        try:
            if worker.snapshot != snapshot:
                self._load(worker, snapshot)
            _send_query(worker, task)
            reply = receive_message(worker.sock, self._limit, worker.inbox)
            if reply is None:
                raise self._timed_out(task)
            healthy = True
        except (EOFError, OSError) as error:
            raise QueryFailed(
                "the query worker stopped unexpectedly (out of memory?); try again"
            ) from error
        finally:
            if healthy:
                self._release(worker)
            else:
                self._replace(worker)
        return _outcome(reply)

    async def _run_async(self, task: QueryTask) -> QueryOutcome:
        snapshot = self._snapshot
        if not self._started or snapshot is None or snapshot.version != self.store.version:
            # start-up or a write since the last snapshot: dumping takes a while
            await run_in_threadpool(self.start)
            snapshot = await run_in_threadpool(self.current_snapshot)
        if self._closed:
            raise _shutting_down()
        worker = await self._acquire_async()
        healthy = False
        try:
            if worker.snapshot != snapshot:
                await run_in_threadpool(self._load, worker, snapshot)
            _send_query(worker, task)
            reply = await _receive_async(worker.sock, self._limit, worker.inbox)
            if reply is None:
                raise self._timed_out(task)
            healthy = True
        except (EOFError, OSError) as error:
            raise QueryFailed(
                "the query worker stopped unexpectedly (out of memory?); try again"
            ) from error
        finally:
            if healthy:
                self._release(worker)
            else:
                # also when the request is cancelled: an answer may still come, and
                # a worker with an unread answer cannot take the next query
                await asyncio.shield(run_in_threadpool(self._replace, worker))
        return _outcome(reply)

    def _load(self, worker: _Worker, snapshot: Snapshot) -> None:
        worker.loading = snapshot
        try:
            worker.sock.sendall(frame(("load", snapshot)))
            reply = receive_message(worker.sock, LOAD_TIMEOUT, worker.inbox)
            if reply is None:
                raise QueryFailed(f"a query worker took over {LOAD_TIMEOUT:g} s to load the data")
            if reply[0] != "loaded":
                raise QueryFailed(f"a query worker could not load the data: {reply[2]}")
            worker.snapshot = snapshot
        finally:
            worker.loading = None
        self._collect_snapshots()

    # -- snapshots -------------------------------------------------------------------

    def current_snapshot(self) -> Snapshot:
        """A snapshot of the store at its current version (made when missing)."""
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == self.store.version:
            return snapshot
        with self._snapshot_lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.version != self.store.version:
                snapshot = self._make_snapshot()
                self._snapshot = snapshot
        self._collect_snapshots()
        return snapshot

    def _make_snapshot(self) -> Snapshot:
        # The version is read first: a write during the dump makes the next request
        # dump again, never serve an answer older than its version.
        version = self.store.version
        assert self._folder is not None
        path = self._folder / f"snapshot-{next(self._numbers)}.nq"
        self.store.oxigraph.dump(str(path), ox.RdfFormat.N_QUADS)
        return Snapshot(version, str(path))

    def _collect_snapshots(self) -> None:
        """Delete the snapshots that neither the pool nor a loading worker still needs."""
        with self._snapshot_lock, self._lock:
            if self._folder is None:
                return
            keep = {self._snapshot.path} if self._snapshot else set()
            keep |= {w.loading.path for w in self._workers if w.loading is not None}
            for entry in self._folder.iterdir():
                if str(entry) not in keep:
                    entry.unlink(missing_ok=True)


async def _receive_async(
    sock: socket.socket, limit: float | None, inbox: bytearray
) -> tuple[object, ...] | None:
    """The next message on ``sock``, read as it arrives; None after ``limit`` seconds.

    The socket stays blocking (the blocking path uses it too); it is only read when
    the loop says it is readable, and then ``recv_into`` returns what is there. A
    small message (the usual answer) arrives whole in the first read, into ``inbox``
    (the worker's buffer, reused); a larger one gets a buffer of its size.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[object, ...] | None] = loop.create_future()
    buffer = inbox
    view = memoryview(buffer)
    got = 0
    size = -1  # of the whole message, once its header is in

    def readable() -> None:
        nonlocal buffer, view, got, size
        if done.done():
            return
        try:
            count = sock.recv_into(view[got:])
        except OSError as error:
            done.set_exception(error)
            return
        if count == 0:
            done.set_exception(EOFError("the query worker closed its socket"))
            return
        got += count
        if size < 0 and got >= HEADER.size:
            size = HEADER.size + HEADER.unpack_from(buffer)[0]
            if size > len(buffer):  # a large answer: read the rest straight into place
                larger = bytearray(size)
                larger[:got] = view[:got]
                view.release()
                buffer, view = larger, memoryview(larger)
        if 0 <= size <= got:
            with memoryview(buffer) as message:
                done.set_result(unpickle(message[HEADER.size:size]))
            view.release()

    fd = sock.fileno()
    loop.add_reader(fd, readable)
    timer = loop.call_later(limit, _expire, done) if limit is not None else None
    try:
        return await done
    finally:
        with contextlib.suppress(OSError, ValueError):  # the pool closed the socket
            loop.remove_reader(fd)
        if timer is not None:
            timer.cancel()


def _shutting_down() -> ServiceUnavailable:
    return ServiceUnavailable("the service is shutting down")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _expire(future: asyncio.Future[tuple[object, ...] | None]) -> None:
    if not future.done():
        future.set_result(None)


def _fail(future: asyncio.Future[_Worker], error: Callable[[], Exception]) -> None:
    if not future.done():
        future.set_exception(error())


def _send_query(worker: _Worker, task: QueryTask) -> None:
    worker.sock.sendall(frame(query_message(task, worker.prefixes)))
    worker.prefixes = task.prefixes


def _outcome(reply: tuple[object, ...]) -> QueryOutcome:
    if reply[0] == "ok":
        family, body, truncated = reply[1:]
        return QueryOutcome(family, body, truncated)  # type: ignore[arg-type]
    kind, message = reply[1], str(reply[2])
    if kind == "syntax":
        raise QuerySyntaxError(message)
    if kind == "evaluation":
        raise QueryEvaluationError(f"the query cannot be evaluated: {message}")
    raise QueryFailed(f"the query failed in the store ({kind}): {message}")

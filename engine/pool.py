"""Worker processes that answer SPARQL queries, and can be stopped at any moment.

pyoxigraph cannot cancel a query, and a thread that runs one cannot be stopped. So
every SPARQL query runs in one of a few worker *processes*; the caller sends the
query over a socket pair and waits for the answer as long as it wants to. A query
that must stop (past its time limit, or its client gone) has its worker killed
(SIGKILL: memory and CPU freed at once) and a fresh worker takes its place.

Workers are locked off the network (``engine.sandbox``) unless the pool is made
with ``sandboxed=False`` (the one that answers allowed federated queries).

Each worker needs the data. The pool takes a *snapshot* of the store whenever the
store's version has changed since the last one (so an answer never predates a
write): the dataset is dumped to an N-Quads file, which one *zygote* process loads
into memory; workers are forked from it (``worker.zygote_main``), so they share that
one copy (copy-on-write: queries only read it) and a killed worker is replaced in
milliseconds, not in the seconds a load takes. A worker that holds an older version
is replaced by a fork of the current zygote before its next query; a zygote stops
when its last worker has gone, and its snapshot file is deleted then.

The pool is used from the event loop: ``acquire`` waits for an idle worker (first
come, first served, up to a deadline), ``ask`` sends a query and waits for the answer
up to a time (None when the time ran out and the worker still works: the caller may
wait again, or ``discard`` the worker), ``release`` / ``discard`` end the turn.
Idle workers are taken last in, first out, so under light load one worker, with warm
caches, answers everything. ``engine.query_engine`` decides who gets a worker when.
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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from mipex_kg.api.errors import QueryFailed, ServiceUnavailable, WorkersBusy
from mipex_kg.engine.worker import (
    FORK,
    HEADER,
    KILL,
    PID,
    STOP,
    QueryTask,
    Snapshot,
    frame,
    query_message,
    unpickle,
)
from mipex_kg.graph.store import KnowledgeStore
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

#: How long a worker may take to start and load a snapshot (not the query limit).
LOAD_TIMEOUT = 600.0

#: Bytes read at once from a worker's socket (an answer this small arrives in one read).
_FIRST_READ = 64 * 1024

_ZYGOTE_MAIN = ("import sys; from mipex_kg.engine.worker import zygote_main; "
                "zygote_main(int(sys.argv[1]), sys.argv[2], sandboxed=sys.argv[3] == 'sandboxed', "
                "memory_mb=int(sys.argv[4]))")

#: glibc's per-thread cache of freed blocks, per size: 7 by default. Queries allocate
#: and free many small blocks; with 256, a small query's worker time fell by a tenth.
_MALLOC_TUNABLE = "glibc.malloc.tcache_count=256"


def _worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    tunables = env.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.tcache_count=" not in tunables:
        env["GLIBC_TUNABLES"] = f"{tunables}:{_MALLOC_TUNABLE}" if tunables else _MALLOC_TUNABLE
    return env


class Zygote:
    """A process that holds one snapshot in memory and forks workers from it."""

    def __init__(self, snapshot: Snapshot, *, sandboxed: bool, memory_mb: int = 0) -> None:
        """Start the zygote and wait until it has loaded ``snapshot`` (blocking).

        Raises:
            QueryFailed: it could not load the snapshot in time.
        """
        self.snapshot = snapshot
        self.workers = 0  # forked and not yet killed
        self.retired = False
        self.stopped = False
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_MAIN, str(theirs.fileno()), snapshot.path,
                 "sandboxed" if sandboxed else "open", str(memory_mb)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                env=_worker_environment())
        self.control = ours
        self.control.settimeout(LOAD_TIMEOUT)
        try:
            status = self._read_pid()
        except OSError as error:
            self.stop()
            raise QueryFailed(f"the query process could not load the data: {error}") from None
        if status != 0:
            reason = self.control.recv(4096).decode(errors="replace")
            self.stop()
            raise QueryFailed(f"the query process could not load the data: {reason}")
        self.control.settimeout(30.0)

    def _read_pid(self) -> int:
        data = b""
        while len(data) < PID.size:
            chunk = self.control.recv(PID.size - len(data))
            if not chunk:
                raise OSError("the zygote closed its socket")
            data += chunk
        return int(PID.unpack(data)[0])

    def fork(self) -> Worker:
        """A new worker with this zygote's data (blocking, milliseconds).

        Raises:
            ZygoteGone: the zygote has stopped (a newer one replaced it).
        """
        ours, theirs = socket.socketpair()
        with theirs, self._lock:
            if self.stopped:
                ours.close()
                raise ZygoteGone
            socket.send_fds(self.control, [FORK], [theirs.fileno()])
            pid = self._read_pid()
            self.workers += 1
        return Worker(pid, ours, self)

    def kill(self, worker: Worker) -> None:
        """Kill and reap ``worker`` (a child of this zygote)."""
        worker.sock.close()
        with self._lock:
            if not self.stopped:
                with contextlib.suppress(OSError):
                    self.control.sendall(KILL + PID.pack(worker.pid))
                    self._read_pid()
            self.workers -= 1
            if self.retired and self.workers <= 0:
                self._stop()

    def retire(self) -> None:
        """No more forks: stop as soon as the last worker is gone."""
        with self._lock:
            self.retired = True
            if self.workers <= 0:
                self._stop()

    def stop(self) -> None:
        """End the zygote (and any worker still alive); delete its snapshot file."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        # every use of the control socket holds the lock: none is waiting on it now
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(OSError):
            self.control.sendall(STOP)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.control.close()
        with contextlib.suppress(OSError):
            os.unlink(self.snapshot.path)


class ZygoteGone(Exception):
    """The zygote asked to fork has stopped; ask the pool's current one."""


@dataclass(eq=False)
class Worker:
    """One forked worker process, its end of the socket pair, and its zygote."""

    pid: int
    sock: socket.socket
    zygote: Zygote
    inbox: bytearray = field(default_factory=lambda: bytearray(_FIRST_READ))
    prefixes: dict[str, str] | None = None  # the ones it was sent last (query_message)
    niceness: int = 0

    def renice(self, niceness: int) -> None:
        """Lower (or restore) the CPU priority of the worker's process."""
        if niceness == self.niceness:
            return
        try:
            os.setpriority(os.PRIO_PROCESS, self.pid, niceness)
            self.niceness = niceness
        except OSError:  # not allowed to raise it back (not root): it stays lower
            pass


class QueryPool:
    """A few worker processes that answer SPARQL queries."""

    def __init__(self, store: KnowledgeStore, *, workers: int = 2,
                 sandboxed: bool = True, memory_mb: int = 0) -> None:
        """Prepare the pool; processes start on ``start()`` or the first query.

        Args:
            store: the store to query (its ``version`` decides when to re-snapshot).
            workers: how many queries may run at the same time.
            sandboxed: lock the workers off the network (``engine.sandbox``).
            memory_mb: what one worker may allocate beyond the shared data (0: no cap).
        """
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        self.store = store
        self.size = workers
        self.sandboxed = sandboxed
        self.memory_mb = memory_mb
        self._workers: set[Worker] = set()
        self._lock = threading.Lock()
        self._idle: collections.deque[Worker] = collections.deque()
        self._idle_lock = threading.Lock()
        self._waiters: collections.deque[asyncio.Future[Worker]] = collections.deque()
        self._zygote_lock = threading.Lock()
        self._zygote: Zygote | None = None  # the one holding the current version
        self._zygotes: set[Zygote] = set()  # every one still running
        self._folder: Path | None = None
        self._numbers = itertools.count(1)
        self._started = False
        self._closed = False

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Load the data into a zygote and fork the workers (idempotent, blocking)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._folder = Path(tempfile.mkdtemp(prefix="mipex-kg-snapshots-"))
        for _ in range(self.size):
            worker = self._fork()
            with self._lock:
                self._workers.add(worker)
            self.release(worker)

    def warm(self) -> None:
        """Start, and give every idle worker the current data (blocking).

        Called at start-up and after each write, so that the next query does not
        wait for the data to load.
        """
        self.start()
        if self._closed:
            return
        for _ in range(self.size):  # each idle worker at most once
            worker = self._take_idle(older_than=self.current_zygote())
            if worker is None:
                return
            self._renew(worker)
            self.release(worker)

    def close(self) -> None:
        """Stop every worker and zygote and delete the snapshots."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        with self._idle_lock:  # requests waiting for a worker get a 503 now
            waiters, self._waiters = list(self._waiters), collections.deque()
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                waiter.get_loop().call_soon_threadsafe(_fail, waiter, _shutting_down())
        for worker in workers:
            worker.zygote.kill(worker)
        with self._zygote_lock:
            zygotes, self._zygotes, self._zygote = list(self._zygotes), set(), None
        for zygote in zygotes:
            zygote.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def running(self) -> bool:
        """Started and not closed: the pool takes queries (for the readiness check)."""
        with self._lock:
            return self._started and not self._closed

    def worker_pids(self) -> list[int]:
        """The process ids of the current workers (for monitoring and tests)."""
        with self._lock:
            return sorted(w.pid for w in self._workers)

    def current_zygote(self) -> Zygote:
        """The zygote holding the store's current version, started when missing (blocking).

        The version is read before the dump: a write during the dump makes the next
        request dump again, never serve an answer older than its version.
        """
        with self._zygote_lock:
            previous = self._zygote
            if previous is not None and previous.snapshot.version == self.store.version:
                return previous
            if self._closed:
                raise _shutting_down()
            version = self.store.version
            assert self._folder is not None
            path = self._folder / f"snapshot-{next(self._numbers)}.nq"
            self.store.oxigraph.dump(str(path), ox.RdfFormat.N_QUADS)
            zygote = Zygote(Snapshot(version, str(path)), sandboxed=self.sandboxed,
                            memory_mb=self.memory_mb)
            self._zygote = zygote
            self._zygotes.add(zygote)
        if previous is not None:
            previous.retire()
        return zygote

    def _fork(self) -> Worker:
        """A worker forked from the current zygote (blocking)."""
        while True:
            try:
                return self.current_zygote().fork()
            except ZygoteGone:  # replaced by a newer one meanwhile: fork from that
                continue

    def _renew(self, worker: Worker) -> None:
        """Replace ``worker``'s process by a fork of the current zygote, in place (blocking)."""
        fresh = self._fork()
        worker.zygote.kill(worker)
        worker.pid, worker.sock, worker.zygote = fresh.pid, fresh.sock, fresh.zygote
        worker.prefixes, worker.niceness = None, 0

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place (blocking)."""
        with self._lock:
            self._workers.discard(worker)
        worker.zygote.kill(worker)
        if self._closed:
            return
        try:
            fresh = self._fork()
        except (QueryFailed, OSError, ServiceUnavailable) as error:
            log.error("could not start a query worker in place of a stopped one: %s", error)
            return
        with self._lock:
            self._workers.add(fresh)
        self.release(fresh)

    # -- taking turns ----------------------------------------------------------------

    def _take_idle(self, *, older_than: Zygote) -> Worker | None:
        """An idle worker forked from another zygote than ``older_than``, if any."""
        with self._idle_lock:
            for worker in self._idle:
                if worker.zygote is not older_than:
                    self._idle.remove(worker)
                    return worker
        return None

    async def acquire(self, wait: float | None) -> Worker:
        """An idle worker, waiting on the event loop up to ``wait`` seconds (None: no limit).

        Raises:
            WorkersBusy: none became free in time (503).
            ServiceUnavailable: the pool is closed.
        """
        if not self._started:
            await run_in_threadpool(self.start)
        if self._closed:
            raise _shutting_down()
        loop = asyncio.get_running_loop()
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
            waiter: asyncio.Future[Worker] = loop.create_future()
            self._waiters.append(waiter)
        timer = None
        if wait is not None:
            busy = WorkersBusy(f"all {self.size} query workers stayed busy for {wait:g} s; "
                               "try again later", headers={"Retry-After": str(max(1, round(wait)))})
            timer = loop.call_later(max(wait, 0.0), _fail, waiter, busy)
        try:
            return await waiter
        finally:
            if timer is not None:
                timer.cancel()

    def release(self, worker: Worker) -> None:
        """Give ``worker`` to the longest waiting request, else to the idle ones."""
        with self._idle_lock:
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

    def _hand_over(self, waiter: asyncio.Future[Worker], worker: Worker) -> None:
        if waiter.done():  # it gave up meanwhile: the next one gets the worker
            self.release(worker)
        else:
            waiter.set_result(worker)

    @contextlib.asynccontextmanager
    async def turn(self, wait: float | None,
                   queued: Callable[[], contextlib.AbstractContextManager[object]]
                   = contextlib.nullcontext) -> AsyncIterator[Worker]:
        """A worker for the block (``acquire``): given back when the block ends normally,
        killed and replaced when it ends by an exception (a time limit, a failure, the
        request cancelled): a worker may still be working, or hold an unread answer.
        ``queued`` is entered while the request waits for the worker."""
        with queued():
            worker = await self.acquire(wait)
        try:
            yield worker
        except BaseException:
            await self.discard(worker)
            raise
        worker.renice(0)
        self.release(worker)

    async def discard(self, worker: Worker) -> None:
        """Kill ``worker`` (its query is abandoned) and start a fresh one in its place."""
        await asyncio.shield(run_in_threadpool(self._replace, worker))

    # -- queries ---------------------------------------------------------------------

    async def send(self, worker: Worker, task: QueryTask) -> None:
        """Make sure ``worker`` holds the current data, then give it ``task``."""
        zygote = self._zygote
        if (zygote is None or worker.zygote is not zygote
                or zygote.snapshot.version != self.store.version):
            await run_in_threadpool(self._renew, worker)
        worker.sock.sendall(frame(query_message(task, worker.prefixes)))
        worker.prefixes = task.prefixes

    async def answer(self, worker: Worker, wait: float | None) -> tuple[object, ...] | None:
        """The worker's reply, or None when it did not come within ``wait`` seconds.

        Raises:
            QueryFailed: the worker died (503).
        """
        try:
            return await _receive_async(worker.sock, wait, worker.inbox)
        except (EOFError, OSError) as error:
            raise QueryFailed(
                "the query worker stopped: the query needed more memory than one query may "
                "use (setting MIPEX_KG_QUERY_MEMORY_MB), or the worker failed; try again"
            ) from error


async def _receive_async(
    sock: socket.socket, limit: float | None, inbox: bytearray
) -> tuple[object, ...] | None:
    """The next message on ``sock``, read as it arrives; None after ``limit`` seconds.

    The socket stays blocking (``warm`` uses it from a thread); it is only read when
    the loop says it is readable. A small message (the usual answer) arrives whole in
    the first read, into ``inbox`` (the worker's buffer, reused); a larger one gets a
    buffer of its size. A message that has started to arrive when the limit comes is
    read to its end (the limit is for the query, not for the transfer).
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

    def expire() -> None:
        if not done.done() and got == 0:
            done.set_result(None)

    fd = sock.fileno()
    loop.add_reader(fd, readable)
    timer = loop.call_later(max(limit, 0.0), expire) if limit is not None else None
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


def _fail(future: asyncio.Future[Worker], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)

"""Worker processes that answer SPARQL queries, and can be stopped at any moment.

pyoxigraph cannot cancel a query, and a thread that runs one cannot be stopped. So
every SPARQL query runs in a worker *process*; the caller sends the query over a
socket and waits for the answer as long as it wants to. A query that must stop (past
its time limit, or its client gone) has its process killed (SIGKILL: memory and CPU
freed at once) and a fresh process takes its place.

A worker process answers on several sockets at once, one thread each (pyoxigraph
lets go of the GIL while it evaluates), so its queries share one copy of the data.
The pool hands out *workers*: one socket, that is one query at a time, of some
process. ``workers`` of them may run at once, in ``processes`` processes (the
threads of one process share its data; see ``worker.zygote_main`` for why that
copy is not shared across processes). Killing a process for one query stops the
other queries running in it too: those get ``WorkerLost``, and the engine runs them
again once.

Workers are locked off the network (``engine.sandbox``) unless the pool is made
with ``sandboxed=False`` (the one that answers allowed federated queries).

Each process needs the data. The pool takes a *snapshot* of the store whenever the
store's version has changed since the last one (so an answer never predates a
write): the dataset is dumped to an N-Quads file (or, when the store knows what
changed since the last dump, that change is written as a SPARQL update beside it:
``KnowledgeStore.dump_for_workers``), which one *zygote* process loads into memory;
worker processes are forked from it (``worker.zygote_main``), so a
killed one is replaced in milliseconds, not in the seconds a load takes. A worker
whose process holds an older version is moved to a process forked from the current
zygote before its next query; a process goes when none of its workers is left, a
zygote when its last process has gone (the snapshot files go once it has loaded
them; the last whole dump is kept for the next change).

The pool is used from the event loop: ``acquire`` waits for an idle worker (first
come, first served, up to a deadline), ``send`` gives it a query, ``answer`` waits
for the reply up to a time (None when the time ran out and the worker still works:
the caller may wait again, or ``discard`` the worker), ``release`` / ``discard`` end
the turn (``turn`` does both). Idle workers are taken last in, first out, so under
light load one worker, with warm caches, answers everything. A pool made with
``refresh_after`` moves its workers to fresh forks once it has been idle that long
after queries (``QueryPool._refresh_if_idle``: the pages they wrote go back).
``engine.query_engine`` decides who gets a worker when.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from mipex_kg.api.errors import QueryFailed, ServiceUnavailable, WorkersBusy
from mipex_kg.engine.scratch_folder import ScratchFolder
from mipex_kg.engine.worker import (
    COPY,
    FORK,
    HEADER,
    KILL,
    PID,
    SHARE,
    STOP,
    QueryTask,
    Snapshot,
    frame,
    query_message,
    receive_message,
    unpickle,
)
from mipex_kg.graph.store import KnowledgeStore

log = logging.getLogger(__name__)

#: The workers' snapshots live in a folder named so (``engine.scratch_folder``: one
#: left by a service that was killed is removed when the next one starts).
SNAPSHOT_FOLDER_PREFIX = "mipex-kg-snapshots-"

#: How long a worker may take to start and load a snapshot (not the query limit).
LOAD_TIMEOUT = 600.0

#: Bytes read at once from a worker's socket (an answer this small arrives in one read).
_FIRST_READ = 64 * 1024

_ZYGOTE_MAIN = ("import sys; from mipex_kg.engine.worker import zygote_main; "
                "zygote_main(int(sys.argv[1]), sys.argv[2], sandboxed=sys.argv[3] == 'sandboxed', "
                "memory_mb=int(sys.argv[4]), changes=sys.argv[5] or None)")

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
    """A process that holds one snapshot in memory and forks worker processes from it."""

    def __init__(self, snapshot: Snapshot, *, sandboxed: bool, memory_mb: int = 0) -> None:
        """Start the zygote and wait until it has loaded ``snapshot`` (blocking).

        Raises:
            QueryFailed: it could not load the snapshot in time.
        """
        self.snapshot = snapshot
        self.processes = 0  # forked and not yet killed
        self.retired = False
        self.stopped = False
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE_MAIN, str(theirs.fileno()), snapshot.path,
                 "sandboxed" if sandboxed else "open", str(memory_mb), snapshot.changes or ""],
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

    def fork(self, threads: int, *, copy_data: bool = False) -> WorkerProcess:
        """A new worker process with this zygote's data and ``threads`` workers
        (blocking, milliseconds; with ``copy_data`` its threads start once it has its
        own copy of the data's pages, a few tenths of a second).

        Raises:
            ZygoteGone: the zygote has stopped (a newer one replaced it).
            OSError: the new process did not start its threads.
        """
        pairs = [socket.socketpair() for _ in range(threads)]
        try:
            with self._lock:
                if self.stopped:
                    raise ZygoteGone
                socket.send_fds(self.control, [FORK + (COPY if copy_data else SHARE)],
                                [theirs.fileno() for _, theirs in pairs])
                pid = self._read_pid()
                self.processes += 1
        except BaseException:
            for ours, _ in pairs:
                ours.close()
            raise
        finally:
            for _, theirs in pairs:
                theirs.close()
        process = WorkerProcess(pid, self)
        try:
            for ours, _ in pairs:
                ours.settimeout(30.0)
                ready = receive_message(ours)  # ("ready", thread id)
                ours.settimeout(None)
                assert ready is not None and ready[0] == "ready"
                process.spares.append(Worker(process, ours, int(ready[1])))  # type: ignore[call-overload]
        except (OSError, EOFError, AssertionError) as error:
            self.kill(process)
            raise OSError(f"a query process did not start: {error}") from None
        return process

    def kill(self, process: WorkerProcess) -> None:
        """Kill and reap ``process`` (a child of this zygote), once."""
        with self._lock:
            if process.reaped:
                return
            process.reaped = True
            if not self.stopped:
                with contextlib.suppress(OSError):
                    self.control.sendall(KILL + PID.pack(process.pid))
                    self._read_pid()
            self.processes -= 1
            if self.retired and self.processes <= 0:
                self._stop()

    def retire(self) -> None:
        """No more forks: stop as soon as the last process is gone."""
        with self._lock:
            self.retired = True
            if self.processes <= 0:
                self._stop()

    def stop(self) -> None:
        """End the zygote (and any process still alive); its snapshot files are the
        ``Snapshots``' to delete."""
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


class ZygoteGone(Exception):
    """The zygote asked to fork has stopped; ask the pool's current one."""


class WorkerLost(QueryFailed):
    """The worker's process ended under a query that did not cause it: the process
    was killed for another of its queries, or died while several were running.
    The query may be run again."""


@dataclass(eq=False)
class WorkerProcess:
    """One forked worker process: its pid, its zygote, and its workers not in use."""

    pid: int
    zygote: Zygote
    spares: list[Worker] = field(default_factory=list)  # its workers no one holds
    bound: int = 0  # its workers in the pool's hands
    alive: bool = True  # False once the pool has killed it or seen it die
    reaped: bool = False
    lost_for: Worker | None = None  # the worker it was killed for (None: it died)
    ran: bool = False  # it has been sent a query (so it may have written the data's pages)
    spent: bool = False  # to be replaced by a fresh fork (``QueryPool`` ``refresh_after``)


@dataclass(eq=False)
class Worker:
    """One thread of a worker process, and the caller's end of its socket.

    The pool's ``slots`` are the workers it lends out; a slot keeps its identity
    while the process behind it changes (``QueryPool._bind``).
    """

    process: WorkerProcess | None
    sock: socket.socket | None
    tid: int = 0  # the thread's native id, for its CPU priority
    inbox: bytearray = field(default_factory=lambda: bytearray(_FIRST_READ))
    prefixes: dict[str, str] | None = None  # the ones it was sent last (query_message)
    niceness: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def renice(self, niceness: int) -> None:
        """Lower (or restore) the CPU priority of the worker's thread."""
        if niceness == self.niceness:
            return
        try:
            os.setpriority(os.PRIO_PROCESS, self.tid, niceness)
            self.niceness = niceness
        except OSError:  # gone, or not allowed to raise it back (not root)
            pass


class Snapshots:
    """The zygote holding the store's current version, for one or more pools.

    Pools that share it (the engine's short and long lanes) fork their processes
    from the same zygote, so the data is loaded, and held, once.
    """

    def __init__(self, store: KnowledgeStore, *, sandboxed: bool = True,
                 memory_mb: int = 0) -> None:
        self.store = store
        self.sandboxed = sandboxed
        self.memory_mb = memory_mb
        self._lock = threading.Lock()
        self._current: Zygote | None = None
        self._zygotes: set[Zygote] = set()  # every one still running
        self._folder: ScratchFolder | None = None
        self._base: Snapshot | None = None  # the last whole dump, kept for the next changes
        self._numbers = itertools.count(1)
        self._closed = False

    def current(self) -> Zygote:
        """The zygote holding the store's current version, started when missing (blocking).

        The zygote loads the last whole dump and the change since (both files)
        when the store knows that change (``KnowledgeStore.dump_for_workers``: a
        store served from its folder, after small writes), else a fresh whole dump.
        A write during this makes the next request do it again, never serve an
        answer older than its version.
        """
        with self._lock:
            previous = self._current
            if previous is not None and previous.snapshot.version == self.store.version:
                return previous
            if self._closed:
                raise _shutting_down()
            if self._folder is None:
                self._folder = ScratchFolder(SNAPSHOT_FOLDER_PREFIX)
            number = next(self._numbers)
            path = self._folder.path / f"snapshot-{number}.nq"
            base = self._base
            version, delta = self.store.dump_for_workers(
                path, base.version if base is not None else None)
            if delta is not None and base is not None:
                changes = self._folder.path / f"changes-{number}.ru"
                changes.write_text(delta.as_update(), encoding="utf-8")
                snapshot = Snapshot(version, base.path, str(changes))
            else:
                snapshot = Snapshot(version, str(path))
            try:
                zygote = Zygote(snapshot, sandboxed=self.sandboxed, memory_mb=self.memory_mb)
            except BaseException:
                if snapshot.changes is None:
                    _delete(snapshot.path)  # a whole dump that did not load
                raise
            finally:  # read once the zygote has loaded
                if snapshot.changes is not None:
                    _delete(snapshot.changes)
            if snapshot.changes is None:  # the new whole dump; the previous one can go
                if base is not None:
                    _delete(base.path)
                self._base = snapshot
            self._current = zygote
            self._zygotes.add(zygote)
        if previous is not None:
            previous.retire()
        return zygote

    def is_current(self, zygote: Zygote) -> bool:
        """Whether ``zygote`` holds the store's current version."""
        return zygote is self._current and zygote.snapshot.version == self.store.version

    def close(self) -> None:
        """Stop every zygote (and its processes) and delete the snapshots."""
        with self._lock:
            self._closed = True
            zygotes, self._zygotes, self._current = list(self._zygotes), set(), None
        for zygote in zygotes:
            zygote.stop()
        if self._folder is not None:
            self._folder.remove()


class QueryPool:
    """Worker processes, each with a few threads, that answer SPARQL queries."""

    def __init__(self, store: KnowledgeStore, *, workers: int = 4, processes: int = 1,
                 sandboxed: bool = True, memory_mb: int = 0,
                 snapshots: Snapshots | None = None, copy_data: bool = False,
                 refresh_after: float | None = None) -> None:
        """Prepare the pool; processes start on ``start()`` or the first query.

        Args:
            store: the store to query (its ``version`` decides when to re-snapshot).
            workers: how many queries may run at the same time.
            processes: how many processes they run in (each with its copy of the data).
            sandboxed: lock the workers off the network (``engine.sandbox``).
            memory_mb: what one process may allocate beyond the shared data (0: no cap).
            snapshots: the zygotes to fork from, shared with other pools (closed by
                their owner); by default the pool's own (then ``sandboxed`` and
                ``memory_mb`` apply).
            copy_data: each process takes its own copy of the data's pages when it
                starts (``worker.copy_data_pages``): for a pool that will be busy.
            refresh_after: once every worker has been idle for this many seconds,
                processes that ran queries are replaced by fresh forks of the zygote
                (``_refresh_if_idle``): for a pool that shares the zygote's pages and
                is busy only now and then (None: never).
        """
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        self.store = store
        self.size = workers
        self.threads = -(-workers // max(1, min(processes, workers)))  # per process
        self.copy_data = copy_data
        self.refresh_after = refresh_after
        self._refresh_timer: threading.Timer | None = None
        self._idle_turns = 0  # how often the pool has become wholly idle (see _refresh_if_idle)
        self._owns_snapshots = snapshots is None
        self.snapshots = snapshots or Snapshots(store, sandboxed=sandboxed, memory_mb=memory_mb)
        self._slots: list[Worker] = []
        self._processes: set[WorkerProcess] = set()
        self._lock = threading.Lock()
        self._bind_lock = threading.Lock()
        self._idle: collections.deque[Worker] = collections.deque()
        self._idle_lock = threading.Lock()
        self._waiters: collections.deque[asyncio.Future[Worker]] = collections.deque()
        self._started = False
        self._closed = False

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Load the data into a zygote and fork the processes (idempotent, blocking)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._slots = [Worker(None, None) for _ in range(self.size)]
        for slot in self._slots:
            self._bind(slot)
            self.release(slot)

    def warm(self) -> None:
        """Start, and move every idle worker to the current data (blocking).

        Called at start-up and after each write, so that the next query does not
        wait for the data to load.
        """
        self.start()
        if self._closed:
            return
        for _ in range(self.size):  # each idle worker at most once
            slot = self._take_idle(stale=True)
            if slot is None:
                return
            self._bind(slot)
            self.release(slot)

    def close(self) -> None:
        """Stop every process and zygote and delete the snapshots."""
        with self._lock:
            self._closed = True
            processes, self._processes = list(self._processes), set()
        with self._idle_lock:  # requests waiting for a worker get a 503 now
            waiters, self._waiters = list(self._waiters), collections.deque()
            if self._refresh_timer is not None:
                self._refresh_timer.cancel()
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                waiter.get_loop().call_soon_threadsafe(_fail, waiter, _shutting_down())
        for process in processes:
            process.alive = False
            process.zygote.kill(process)
            for spare in process.spares:
                assert spare.sock is not None
                spare.sock.close()
        for slot in self._slots:
            if slot.sock is not None:
                slot.sock.close()
        if self._owns_snapshots:
            self.snapshots.close()

    @property
    def running(self) -> bool:
        """Started and not closed: the pool takes queries (for the readiness check)."""
        with self._lock:
            return self._started and not self._closed

    def worker_pids(self) -> list[int]:
        """The process ids of the live worker processes (for monitoring and tests)."""
        with self._lock:
            return sorted(p.pid for p in self._processes if p.alive)

    def current_zygote(self) -> Zygote:
        """The zygote holding the store's current version (``Snapshots.current``)."""
        return self.snapshots.current()

    def _is_current(self, slot: Worker) -> bool:
        process = slot.process
        return (process is not None and process.alive and not process.spent
                and self.snapshots.is_current(process.zygote))

    def _bind(self, slot: Worker) -> None:
        """Put ``slot`` on a thread of a live process with the current data (blocking).

        It takes a spare thread of such a process, or forks a new process (whose other
        threads become spares for the next slots to move).
        """
        with self._bind_lock:
            zygote = self.current_zygote()
            if self._is_current(slot):
                return
            self._unbind(slot)
            fresh = self._spare_of(zygote)
            if fresh is None:
                process = self._fork()
                with self._lock:
                    self._processes.add(process)
                fresh = process.spares.pop()
            assert fresh.process is not None
            fresh.process.bound += 1
            slot.process, slot.sock, slot.tid = fresh.process, fresh.sock, fresh.tid
            slot.prefixes, slot.niceness = None, 0

    def _spare_of(self, zygote: Zygote) -> Worker | None:
        with self._lock:
            for process in self._processes:
                if (process.alive and not process.spent and process.zygote is zygote
                        and process.spares):
                    return process.spares.pop()
        return None

    def _unbind(self, slot: Worker) -> None:
        """Close ``slot``'s socket; a process none of whose threads is bound any more
        is stopped when it is old or dead (its idle threads end with their sockets)."""
        process = slot.process
        if slot.sock is not None:
            slot.sock.close()
        slot.process, slot.sock = None, None
        if process is None:
            return
        with self._lock:
            process.bound -= 1
            done = process.bound <= 0 and not self._is_current_process(process)
            if done:
                self._processes.discard(process)
        if done:
            for spare in process.spares:
                assert spare.sock is not None
                spare.sock.close()
            process.spares.clear()
            process.alive = False
            process.zygote.kill(process)

    def _is_current_process(self, process: WorkerProcess) -> bool:
        return (process.alive and not process.spent
                and self.snapshots.is_current(process.zygote))

    def _refresh_when_idle(self) -> None:
        """Called with ``_idle_lock`` held (it guards the timer too) when every worker
        has become idle: in ``refresh_after`` seconds, if none has been taken
        meanwhile, refresh (``_refresh_if_idle``)."""
        assert self.refresh_after is not None
        self._idle_turns += 1
        if self._refresh_timer is not None:
            self._refresh_timer.cancel()
        if self._closed:
            return
        self._refresh_timer = threading.Timer(self.refresh_after, self._refresh_if_idle,
                                              args=(self._idle_turns,))
        self._refresh_timer.daemon = True
        self._refresh_timer.start()

    def _refresh_if_idle(self, turn: int) -> None:
        """Replace the processes that ran queries by fresh forks of the zygote, if the
        pool is still wholly idle since idle ``turn`` (blocking: a fork, milliseconds).

        Oxigraph's in-memory store writes to the pages its queries read (reference
        counts and locks in its quad nodes), so a process forked without its own copy
        of the data (``copy_data``) gets one page by page as it runs queries, until it
        holds a second copy of most of the data beside the zygote's. A fresh fork
        shares every page with the zygote again; its next queries pay the page copies
        again (page faults), which is why only an idle pool is refreshed.
        """
        with self._idle_lock:
            if turn != self._idle_turns or len(self._idle) < self.size:
                return
        with self._lock:
            if self._closed:
                return
            spent = [process for process in self._processes if process.alive and process.ran]
            for process in spent:
                process.spent = True
        if spent:
            try:
                self.warm()  # moves the idle workers to fresh processes; the spent ones end
            except Exception:  # on a timer's thread, where no caller would see it
                log.exception("refreshing the idle query workers failed; each moves to a "
                              "fresh process when it is next given a query")

    def _fork(self) -> WorkerProcess:
        """A worker process forked from the current zygote (blocking)."""
        while True:
            try:
                return self.current_zygote().fork(self.threads, copy_data=self.copy_data)
            except ZygoteGone:  # replaced by a newer one meanwhile: fork from that
                continue

    def _replace(self, slot: Worker, *, died: bool) -> None:
        """Stop ``slot``'s process (it ``died``: it has already ended) and put the slot
        on a fresh one (blocking). Its other running queries get ``WorkerLost``."""
        process = slot.process
        if process is not None:
            with self._lock:
                first = process.alive
                if first:
                    process.alive = False
                    process.lost_for = None if died else slot
            if first:
                process.zygote.kill(process)
        if self._closed:
            return
        try:
            self._bind(slot)
        except (QueryFailed, OSError, ServiceUnavailable) as error:
            log.error("could not start a query process in place of a stopped one: %s", error)
            return
        self.release(slot)

    # -- taking turns ----------------------------------------------------------------

    def _take_idle(self, *, stale: bool) -> Worker | None:
        """An idle worker whose process is not current (``stale``), if any."""
        with self._idle_lock:
            for slot in self._idle:
                if stale and not self._is_current(slot):
                    self._idle.remove(slot)
                    return slot
        return None

    def _idle_now(self) -> Worker | None:
        """An idle worker of a started pool, if there is one now (no waiting)."""
        with self._idle_lock:
            if self._started and not self._closed and self._idle:
                return self._idle.pop()
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
            if self.refresh_after is not None and len(self._idle) == self.size:
                self._refresh_when_idle()

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
        ``queued`` is entered while the request waits for the worker (not when one is
        idle: a request served at once never counts against the queue's limit)."""
        worker = self._idle_now()
        if worker is None:
            with queued():
                worker = await self.acquire(wait)
        try:
            yield worker
        except BaseException as error:
            await self.discard(worker, died=isinstance(error, WorkerLost))
            raise
        worker.renice(0)
        self.release(worker)

    async def discard(self, worker: Worker, *, died: bool = False) -> None:
        """Stop ``worker``'s process (its query is abandoned; it ``died``: it has ended
        already) and put the worker on a fresh one."""
        await asyncio.shield(run_in_threadpool(self._replace, worker, died=died))

    # -- queries ---------------------------------------------------------------------

    async def send(self, worker: Worker, task: QueryTask) -> None:
        """Make sure ``worker`` holds the current data, then give it ``task``.

        Raises:
            WorkerLost: its process had ended.
        """
        if not self._is_current(worker):
            await run_in_threadpool(self._bind, worker)
        assert worker.sock is not None and worker.process is not None
        worker.process.ran = True
        try:
            worker.sock.sendall(frame(query_message(task, worker.prefixes)))
        except OSError as error:
            raise _lost() from error
        worker.prefixes = task.prefixes

    async def answer(self, worker: Worker, wait: float | None) -> tuple[object, ...] | None:
        """The worker's reply, or None when it did not come within ``wait`` seconds.

        Raises:
            WorkerLost: its process ended (503 if it happens again).
        """
        assert worker.sock is not None
        try:
            return await _receive_async(worker.sock, wait, worker.inbox)
        except (EOFError, OSError) as error:
            raise _lost() from error


def _lost() -> WorkerLost:
    return WorkerLost(
        "the query worker stopped: the query needed more memory than one query may use "
        "(setting MIPEX_KG_QUERY_MEMORY_MB), or the worker failed; try again")


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


def _delete(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


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

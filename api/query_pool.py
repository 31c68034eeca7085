"""Queries run in worker processes, and a query past the time limit is really stopped.

pyoxigraph cannot cancel a query, and a thread that runs one cannot be stopped. So
every SPARQL query runs in one of a few worker *processes*; the request thread
sends the query over a pipe and waits at most ``timeout`` seconds for the answer.
When the time is up the worker is killed (SIGKILL: its memory and CPU are freed at
once), the client gets a 503 naming the limit, and a fresh worker is started in its
place. Other requests are served by the other workers meanwhile; a request that
finds every worker busy waits up to the same limit for one, then gets a 503 too.

Each worker needs the data. The pool takes a *snapshot* of the store whenever the
store's version has changed since the last one (so an answer never predates a
write): the dataset is dumped to an N-Quads file, and each worker loads it into
its own in-memory store (queries run 4-6x faster in memory than on disk, see
../shared/PERFORMANCE.md; the cost is one copy of the data per worker). A worker
loads a new snapshot before its next query; loading is not counted against the
time limit. Snapshot files are deleted once no worker is loading them.

    pool = QueryPool(store, workers=2, timeout=30.0)
    outcome = pool.run(QueryTask(...))     # QueryOutcome, or raises an ApiError
    pool.close()
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.api.errors import (
    QueryEvaluationError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ServiceUnavailable,
    WorkersBusy,
)
from mipex_kg.api.query_worker import QueryOutcome, QueryTask, Snapshot
from mipex_kg.graph.store import KnowledgeStore

log = logging.getLogger(__name__)

#: How long a worker may take to start and load a snapshot (not the query limit).
LOAD_TIMEOUT = 600.0


_WORKER_MAIN = "import sys; from mipex_kg.api.query_worker import main; main(int(sys.argv[1]))"


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    snapshot: Snapshot | None = None
    loading: Snapshot | None = None


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
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
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
            for _ in range(self.size):
                self._idle.put(self._spawn())

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
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            try:
                if worker.snapshot != snapshot:
                    self._load(worker, snapshot)
            except (QueryFailed, EOFError, OSError) as error:
                log.warning("a query worker failed to load the data at start-up: %s", error)
                self._replace(worker)
            else:
                self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker and delete the snapshots."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(("stop",))
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
            )
        worker = _Worker(process, Connection(ours.detach()))
        self._workers.add(worker)
        return worker

    def _kill(self, worker: _Worker) -> None:
        if worker.process.poll() is None:
            worker.process.kill()
        try:
            worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("query worker %s did not exit after SIGKILL", worker.process.pid)
        worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and put a fresh one in its place."""
        self._kill(worker)
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                return
            fresh = self._spawn()
        self._idle.put(fresh)

    # -- queries ---------------------------------------------------------------------

    def run(self, task: QueryTask) -> QueryOutcome:
        """Answer ``task`` in a worker, within the time limit.

        Raises:
            QuerySyntaxError: the query does not parse (400).
            QueryEvaluationError: the query cannot be evaluated (400).
            QueryTimeout: it ran past the limit and was stopped (503).
            WorkersBusy: no worker became free within the limit (503).
            QueryFailed: the worker failed or died (503).
            ServiceUnavailable: the pool is closed (the service is shutting down).
        """
        self.start()
        if self._closed:
            raise ServiceUnavailable("the service is shutting down")
        snapshot = self.current_snapshot()
        try:
            worker = self._idle.get(timeout=self._limit)
        except queue.Empty:
            raise WorkersBusy(
                f"all {self.size} query workers stayed busy for the whole query time limit "
                f"({self.timeout:g} s); try again later"
            ) from None
        healthy = False
        try:
            if worker.snapshot != snapshot:
                self._load(worker, snapshot)
            worker.conn.send(("query", task))
            if not worker.conn.poll(self._limit):
                log.warning("query stopped at the time limit of %g s: %.300s",
                            self.timeout, " ".join(task.query.split()))
                raise QueryTimeout(
                    f"the query ran longer than the time limit of {self.timeout:g} s "
                    "(setting MIPEX_KG_QUERY_TIMEOUT) and was stopped"
                )
            reply = worker.conn.recv()
            healthy = True
        except (EOFError, OSError) as error:
            raise QueryFailed(
                "the query worker stopped unexpectedly (out of memory?); try again"
            ) from error
        finally:
            if healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)
        return _outcome(reply)

    def _load(self, worker: _Worker, snapshot: Snapshot) -> None:
        worker.loading = snapshot
        try:
            worker.conn.send(("load", snapshot))
            if not worker.conn.poll(LOAD_TIMEOUT):
                raise QueryFailed(f"a query worker took over {LOAD_TIMEOUT:g} s to load the data")
            reply = worker.conn.recv()
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


def _outcome(reply: tuple[object, ...]) -> QueryOutcome:
    if reply[0] == "ok":
        outcome = reply[1]
        assert isinstance(outcome, QueryOutcome)
        return outcome
    kind, message = reply[1], str(reply[2])
    if kind == "syntax":
        raise QuerySyntaxError(message)
    if kind == "evaluation":
        raise QueryEvaluationError(f"the query cannot be evaluated: {message}")
    raise QueryFailed(f"the query failed in the store ({kind}): {message}")

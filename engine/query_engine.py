"""``QueryEngine``: the one way every read of the service runs a SPARQL query.

    engine = QueryEngine(store, settings)
    outcome = await engine.run(task, client="203.0.113.5")          # on the event loop
    outcome = await engine.run(task, client=..., timeout=5.0)       # a shorter limit

For each query, in order:

1. **text**: codepoint escapes outside strings and IRIs are decoded (SPARQL 1.1
   §19.2; Oxigraph would refuse them); a text nested deeper than the engine's stack
   allows is refused (400, ``engine.nesting``); then ``engine.guard`` reads the query
   with a SPARQL parser (**network**): a SERVICE that is not an allowed federation
   endpoint is refused (400). An allowed federated query
   goes to its own worker, the only one that may open connections; every other
   worker is locked off the network by the kernel (``engine.sandbox``).
2. **admission**: the client's limit (429), the queue's (503) (``engine.admission``).
3. **time**: the query runs in a worker (a thread of a worker process,
   ``engine.pool``) for at most its time limit (the request's ``timeout``, never more
   than ``MIPEX_KG_QUERY_TIMEOUT``); past it the process is killed and the client gets
   a 503 that names the limit. A query whose client goes away (the caller is
   cancelled) has its process killed too. Other queries that were running in a killed
   (or dead) process are run again once.
4. **fair share**: a query first runs in the short lane (``pool``). One still running
   after ``MIPEX_KG_FAST_LANE_TIMEOUT`` seconds is stopped there and, if a long slot
   is free, run again from the start in the long lane (``long_pool``, another process,
   its threads niced), else it gets 503 with ``Retry-After``; its client counts as
   heavy for a while (so does the client of a query that took over half that time, or
   whose process died twice under it), and a heavy client's queries go straight to the
   long lane when a slot is free. The short lane thus never runs a long query.

With a remote store there are no worker processes: the query is forwarded to the
store (``engine.remote_queries``), the HTTP request cut at the time limit; steps 1
and 2 apply all the same, step 4 does not (the store's engine schedules its own work).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from mipex_kg.api.errors import (
    QueryEvaluationError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    WorkersBusy,
)
from mipex_kg.engine.admission import Admission, Limits
from mipex_kg.engine.clients import ClientIdentity
from mipex_kg.engine.guard import NetworkPolicy, decode_outside_literals, network_use
from mipex_kg.engine.nesting import check_nesting
from mipex_kg.engine.pool import QueryPool, Snapshots, WorkerLost
from mipex_kg.engine.remote_queries import RemoteQueries
from mipex_kg.engine.worker import QueryOutcome, QueryTask
from mipex_kg.graph.handoff import kept_here
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.remote_store import RemoteStore
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

T = TypeVar("T")

#: The niceness of a worker while it runs a long query (short ones keep 0).
LONG_QUERY_NICENESS = 10

#: Seconds the long lane (and the federated-query worker) may stay idle before their
#: processes that ran queries are replaced by fresh forks sharing the zygote's pages
#: (``QueryPool`` ``refresh_after``): their queries had copied most of the data's
#: pages (about 190 MiB of 255), which a fresh fork gives back.
REFRESH_AFTER = 5.0


def federation_endpoints(settings: Settings) -> list[str]:
    """The remote endpoints a query may call with SERVICE (from the settings)."""
    names = ("eu_country_endpoint", "eu_nuts_endpoint", "cordis_endpoint")
    return [value for name in names if (value := getattr(settings, name, None))]


class QueryEngine:
    """The worker pools (or, for a remote store, the forwarding to it), the network
    policy and the admission rules, together."""

    def __init__(self, store: QuadStore, settings: Settings) -> None:
        workers = max(settings.query_workers, 1)
        short = min(max(settings.fast_lane_workers, 0), workers - 1) if workers > 1 else 0
        self.store = store
        self.settings = settings
        self.timeout = settings.query_timeout if settings.query_timeout > 0 else None
        self.short_timeout = settings.fast_lane_timeout
        self.remote: RemoteQueries | None = None
        self.snapshots: Snapshots | None = None
        self.pool: QueryPool | None = None
        self.long_pool: QueryPool | None = None
        self.federation_pool: QueryPool | None = None
        if isinstance(store, RemoteStore):
            self.remote = RemoteQueries(store, workers)
        else:
            assert isinstance(store, KnowledgeStore)
            self.snapshots = Snapshots(store, memory_mb=settings.query_memory_mb)
            self.pool = QueryPool(store, workers=workers, processes=settings.query_processes,
                                  snapshots=self.snapshots, copy_data=True)
            self.long_pool = QueryPool(store, workers=max(workers - short, 1), processes=1,
                                       snapshots=self.snapshots, refresh_after=REFRESH_AFTER)
            self.federation_pool = QueryPool(store, workers=1, processes=1, sandboxed=False,
                                             memory_mb=settings.query_memory_mb,
                                             refresh_after=REFRESH_AFTER)
        self.policy = NetworkPolicy.of(federation_endpoints(settings), settings.load_sources)
        self.clients = ClientIdentity(settings.trusted_proxies)
        self._in_process = asyncio.Semaphore(workers)
        self.admission = Admission(Limits(
            client_max_in_flight=max(settings.client_max_in_flight, 1),
            queue_limit=max(settings.queue_limit, 0),
            long_slots=workers - short,
        ))

    # -- life cycle --------------------------------------------------------------------

    def warm(self) -> None:
        """Start the workers and load the current data (blocking; after start and writes).

        The federated-query worker starts on the first federated query. Nothing to
        do for a remote store.
        """
        if self.pool is not None and self.long_pool is not None:
            self.pool.warm()
            self.long_pool.warm()

    @property
    def running(self) -> bool:
        """Both lanes' workers are started and not stopped (``api.readiness``); with a
        remote store, the engine is not closed (the store's own check is the probe's)."""
        if self.pool is None or self.long_pool is None:
            return self.remote is not None and not self.remote.closed
        return self.pool.running and self.long_pool.running

    def close(self) -> None:
        if self.remote is not None:
            self.remote.close()
        for pool in (self.pool, self.long_pool, self.snapshots, self.federation_pool):
            if pool is not None:
                pool.close()

    # -- queries -----------------------------------------------------------------------

    def limit_for(self, timeout: float | None) -> float | None:
        """The time limit of a request that asked for ``timeout`` seconds (None: default)."""
        if timeout is None or timeout <= 0:
            return self.timeout
        return timeout if self.timeout is None else min(timeout, self.timeout)

    async def run(self, task: QueryTask, *, client: str,
                  timeout: float | None = None) -> QueryOutcome:
        """Answer ``task`` for ``client`` within the limits (see the module doc).

        Raises:
            NetworkAccessRefused: a SERVICE that is not allowed (400).
            QuerySyntaxError, QueryEvaluationError: a bad query (400).
            TooManyRequests: the client's limit (429).
            QueryTimeout, WorkersBusy, QueryFailed: stopped, no capacity, worker died (503).
        """
        if "\\" in task.query:  # SPARQL 1.1 escapes outside strings and IRIs (see guard)
            task = dataclasses.replace(task, query=decode_outside_literals(task.query))
        check_nesting(task.query)
        federated = self.policy.check_query(task.query, base_iri=task.base_iri,
                                            prefixes=task.prefixes)
        limit = self.limit_for(timeout)
        async with self.admission.admit(client):
            if self.remote is not None:
                reply = await self._run_remote(task, limit)
            elif federated:
                reply = await self._run_federated(task, limit)
            else:
                reply = await self._run_shared(task, client, limit)
        return _outcome(reply)

    async def _run_remote(self, task: QueryTask, limit: float | None) -> tuple[object, ...]:
        assert self.remote is not None
        try:
            return await self.remote.answer(task, limit, self.admission.waiting)
        except TimeoutError:
            raise self._timed_out(limit) from None

    async def _run_federated(self, task: QueryTask, limit: float | None) -> tuple[object, ...]:
        assert self.federation_pool is not None
        async with self.federation_pool.turn(limit, self.admission.waiting) as worker:
            await self.federation_pool.send(worker, task)
            reply = await self.federation_pool.answer(worker, limit)
            if reply is None:
                raise self._timed_out(limit)
            if reply[0] != "ok" and reply[1] != "syntax":  # say which endpoints it called
                use = network_use(task.query, update=False, base_iri=task.base_iri,
                                  prefixes=task.prefixes)
                called = ", ".join(f"<{service}>" for service in use.services)
                return (*reply[:2], f"{reply[2]} (the query calls SERVICE {called})")
            return reply

    async def _run_shared(self, task: QueryTask, client: str,
                          limit: float | None) -> tuple[object, ...]:
        """``_run_once``, and once more if its worker's process ended under it (killed
        for another query, or died): the second time its end counts as this query's."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await self._run_once(task, client, limit)
        except WorkerLost:
            left = None if limit is None else limit - (loop.time() - started)
            if left is not None and left <= 0:
                raise self._timed_out(limit) from None
            try:
                return await self._run_once(task, client, left)
            except QueryFailed:
                self.admission.mark_heavy(client)  # past the memory cap, again
                raise

    async def _run_once(self, task: QueryTask, client: str,
                        limit: float | None) -> tuple[object, ...]:
        """The query in the short lane, or in the long one: from the start for a heavy
        client, else when it ran past the short lane's time (it is stopped there, and
        run again from the start in the long lane if a slot is free)."""
        loop = asyncio.get_running_loop()
        started = loop.time()

        def left() -> float | None:
            return None if limit is None else max(limit - (loop.time() - started), 0.0)

        assert self.pool is not None and self.long_pool is not None
        ran = 0.0  # seconds the query has run so far (waiting and loading data not counted)
        ran_long = True  # in the long lane: it ran past half the short lane's time, or failed
        if not self.admission.is_heavy(client):
            short = self.short_timeout if limit is None else min(self.short_timeout, limit)
            reply, ran = await self._ask(self.pool, task, left(), short)
            if reply is not None:
                if ran > self.short_timeout / 2:
                    self.admission.mark_heavy(client)  # costly, though it finished
                return reply
            if limit is not None and limit <= short:
                raise self._timed_out(limit)
            self._become_long(client)
        else:
            await self.admission.long_slot(client, left())
        try:
            run_limit = None if limit is None else max(limit - ran, 0.0)
            reply, ran_here = await self._ask(self.long_pool, task, left(), run_limit,
                                              niceness=LONG_QUERY_NICENESS)
            if reply is None:
                raise self._timed_out(limit)
            ran_long = ran + ran_here > self.short_timeout / 2
            return reply
        finally:
            # the client stays heavy for a while after a query that ran long, not after
            # a quick one it sent while heavy (else it would stay heavy for good)
            self.admission.free_long_slot(client, ran_long=ran_long)

    async def _ask(self, pool: QueryPool, task: QueryTask, wait: float | None,
                   limit: float | None, *, niceness: int = 0
                   ) -> tuple[tuple[object, ...] | None, float]:
        """The reply of a worker of ``pool`` within ``limit`` seconds (after up to
        ``wait`` for a worker; None when the limit ran out: that worker is stopped),
        and the seconds the worker took (waiting for it, or for new data, not counted)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with pool.turn(wait, self.admission.waiting) as worker:
                await pool.send(worker, task)
                started = loop.time()
                worker.renice(niceness)
                reply = await pool.answer(worker, limit)
                if reply is None:
                    raise _RanOut  # inside the turn: the worker is stopped
                return reply, loop.time() - started
        except _RanOut:
            return None, loop.time() - started

    def _become_long(self, client: str) -> bool:
        """A short query ran past its time: it goes on as long if a long slot is free."""
        self.admission.mark_heavy(client)
        if not self.admission.try_long_slot(client):
            raise WorkersBusy(
                f"the query ran past {self.short_timeout:g} s and every worker for long "
                "queries is busy; try again later", headers={"Retry-After": "5"})
        return True

    async def run_in_process(self, client: str, work: Callable[..., T], *args: Any) -> T:
        """A read that does not go to a worker (pages, catalogue, VoID, downloads).

        Those read the store directly, one resource or one graph at a time, or serve
        a cached build; they still count against the client's limit (429) and the
        queue (503), and at most as many run at once as there are query workers.
        """
        async with self.admission.admit(client):
            with self.admission.waiting():
                await asyncio.wait_for(self._in_process.acquire(), self.timeout)
            try:
                return await run_in_threadpool(kept_here, work, *args)
            finally:
                self._in_process.release()

    def _timed_out(self, limit: float | None) -> QueryTimeout:
        return QueryTimeout(
            f"the query ran longer than the time limit of {limit:g} s "
            "(request parameter timeout, at most the setting MIPEX_KG_QUERY_TIMEOUT) "
            "and was stopped"
        )


class _RanOut(Exception):
    """A worker did not answer within its time."""


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

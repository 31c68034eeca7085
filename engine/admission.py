"""Fair sharing of the query workers between clients.

A few clients with heavy queries must not starve everyone else. ``Admission`` keeps
the state the engine decides with, all of it on the event loop:

* **per-client limit**: a client may have ``client_max_in_flight`` queries running
  or waiting; one more is refused with 429 and ``Retry-After``;
* **bounded queue**: at most ``queue_limit`` queries wait for a worker in all; one
  more is refused with 503 and ``Retry-After``;
* **long slots**: only ``long_slots`` workers (the pool's size less the workers kept
  for short queries) may run a *long* query at a time. A query is long when it runs
  past the short-query time, or when its client is *heavy*: it has a long query
  running, or had one run past half the short-query time in the last ``heavy_memory``
  seconds. A heavy client's queries wait for a long slot; everyone else's take any idle worker, so the workers kept
  free of long queries answer short ones at once, whatever the heavy clients do.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from mipex_kg.api.errors import TooManyRequests, WorkersBusy


class Slots:
    """A count of free slots with a first-come, first-served queue of waiters."""

    def __init__(self, count: int) -> None:
        self.free = count
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        if self.free > 0:
            self.free -= 1
            return True
        return False

    async def take(self, wait: float | None) -> None:
        """A slot, waiting up to ``wait`` seconds (TimeoutError after that)."""
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), wait)
        except (TimeoutError, asyncio.CancelledError):
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed over just as the wait ended: pass it on
            else:
                waiter.cancel()
            raise

    def give(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


@dataclass(frozen=True)
class Limits:
    """The numbers of the policy (see the module doc and ``core/settings.py``)."""

    client_max_in_flight: int = 6
    queue_limit: int = 32
    long_slots: int = 3
    heavy_memory: float = 60.0


class Admission:
    """Per-client counts, heavy clients, and the long-query slots."""

    def __init__(self, limits: Limits, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.limits = limits
        self._clock = clock
        self._in_flight: Counter[str] = Counter()
        self._waiting = 0
        self._heavy_until: dict[str, float] = {}
        self._long = Slots(limits.long_slots)
        self._long_running: Counter[str] = Counter()

    # -- how many ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def admit(self, client: str) -> AsyncIterator[None]:
        """Count a request of ``client`` while it runs or waits (429 over its limit)."""
        if self._in_flight[client] >= self.limits.client_max_in_flight:
            raise TooManyRequests(
                f"this client already has {self.limits.client_max_in_flight} queries running "
                "or waiting (setting MIPEX_KG_CLIENT_MAX_IN_FLIGHT); wait for their answers",
                headers={"Retry-After": "1"},
            )
        self._in_flight[client] += 1
        try:
            yield
        finally:
            self._in_flight[client] -= 1
            if self._in_flight[client] <= 0:
                del self._in_flight[client]

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Count a request while it waits for a worker (503 when the queue is full)."""
        if self._waiting >= self.limits.queue_limit:
            raise WorkersBusy(
                f"{self.limits.queue_limit} queries are already waiting for a worker "
                "(setting MIPEX_KG_QUEUE_LIMIT); try again shortly",
                headers={"Retry-After": "2"},
            )
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1

    # -- heavy clients and long slots --------------------------------------------------

    def is_heavy(self, client: str) -> bool:
        if self._long_running[client]:
            return True
        until = self._heavy_until.get(client)
        if until is None:
            return False
        if until < self._clock():
            del self._heavy_until[client]
            return False
        return True

    def in_flight(self, client: str) -> int:
        """How many queries ``client`` has running or waiting now."""
        return self._in_flight[client]

    def long_running(self) -> int:
        """How many long queries run now."""
        return sum(self._long_running.values())

    def mark_heavy(self, client: str) -> None:
        self._heavy_until[client] = self._clock() + self.limits.heavy_memory

    async def long_slot(self, client: str, wait: float | None) -> None:
        """Wait up to ``wait`` seconds for a long slot (503 with Retry-After after that)."""
        try:
            if not self._long.try_take():  # a free slot is taken without queueing
                with self.waiting():
                    await self._long.take(wait)
        except TimeoutError:
            raise WorkersBusy(
                f"all {self.limits.long_slots} workers for long queries stayed busy for "
                f"{wait:g} s; try again later", headers={"Retry-After": str(max(1, round(wait or 1)))}
            ) from None
        self._long_running[client] += 1

    def try_long_slot(self, client: str) -> bool:
        """Take a long slot if one is free now."""
        if not self._long.try_take():
            return False
        self._long_running[client] += 1
        return True

    def free_long_slot(self, client: str, *, ran_long: bool = True) -> None:
        """Give the slot back; the client stays heavy for ``heavy_memory`` seconds more
        if its query ``ran_long`` (not after a quick query it sent while heavy)."""
        self._long.give()
        self._long_running[client] -= 1
        if self._long_running[client] <= 0:
            del self._long_running[client]
        if ran_long:
            self.mark_heavy(client)

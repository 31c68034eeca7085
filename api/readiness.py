"""``Readiness``: may a load balancer send this service copy queries now?

Ready means both: the query engine is running (its workers started at start-up and
not yet stopped at shutdown), and the store answers ``ASK {}`` within
``timeout`` seconds (the embedded store always does; a remote store only while its
engine is up and reachable).

The check is built so that neither a flood of queries nor a flood of checks can make
it wrong or costly:

* it never goes through the query engine's admission, queue or workers, so a copy
  whose workers are all busy is still "ready" (it is alive and will answer in turn;
  taking it out of the pool would only push its load onto the other copies), and
  the answer does not wait behind the queue;
* the ``ASK`` runs on a thread of its own (not the shared thread pool that a flood of
  requests can fill), at most one at a time: a store that hangs ties up that one
  thread, and later checks report the hang instead of starting more;
* one answer serves every check for ``reuse_for`` seconds, so N load balancers
  probing every second cost the store at most one ``ASK`` a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

log = logging.getLogger(__name__)


class _Engine(Protocol):
    @property
    def running(self) -> bool: ...


class _Store(Protocol):
    def query(self, sparql: str, **kwargs: Any) -> Any: ...


class Readiness:
    """The readiness of one service copy, checked on demand, reused briefly."""

    def __init__(self, store: _Store, engine: _Engine, *, timeout: float = 5.0,
                 reuse_for: float = 1.0) -> None:
        self.store = store
        self.engine = engine
        self.timeout = timeout
        self.reuse_for = reuse_for
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
        self._asking: Future[Any] | None = None
        self._lock = asyncio.Lock()
        self._checked_at = -float("inf")
        self._reason: str | None = None

    async def why_not_ready(self) -> str | None:
        """None when ready; otherwise why not, in words fit for a response body."""
        if time.monotonic() - self._checked_at < self.reuse_for:
            return self._reason
        async with self._lock:  # concurrent checks wait for one probe
            if time.monotonic() - self._checked_at >= self.reuse_for:
                self._reason = await self._probe()
                self._checked_at = time.monotonic()
            return self._reason

    async def _probe(self) -> str | None:
        if not self.engine.running:
            return "the query engine is not running (starting or shutting down)"
        if self._asking is None or self._asking.done():
            self._asking = self._thread.submit(self._ask)
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._asking), self.timeout)
        except TimeoutError:
            return f"the store did not answer ASK {{}} within {self.timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means: not ready
            # the message may name the store's internal address: logged, not answered
            log.warning("readiness: the store cannot be queried: %s", error)
            return f"the store cannot be queried ({type(error).__name__})"
        return None

    def _ask(self) -> None:
        answer = self.store.query("ASK {}")
        if not bool(answer):
            raise RuntimeError("ASK {} did not answer true")

    def close(self) -> None:
        """Stop the probe thread (a probe still running is abandoned, not awaited)."""
        self._thread.shutdown(wait=False, cancel_futures=True)

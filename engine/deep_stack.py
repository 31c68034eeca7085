"""Threads whose stack is deep enough for Oxigraph on any text the service accepts.

Oxigraph's parser and optimiser recurse on the query's algebra, which nests even
where the text does not: 3,000 ``BIND`` clauses one after the other (40 kB) or
20,000 terms of a sum overflowed a thread's default 8 MiB stack and killed the
process (a segmentation fault: a worker, or, for an update, the service). On this
stack a text up to the service's size limit (``max_query_bytes``, 256 kB), nested
at most ``engine.nesting.MAX_NESTING`` deep, was evaluated without a crash in every
shape tried (docs/design.md). The size is address space reserved, not memory used:
only the pages a query touches are ever allocated.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from mipex_kg.graph.handoff import kept_here

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Bytes of stack for a thread that gives SPARQL text to pyoxigraph.
STACK_BYTES = 512 * 1024 * 1024

_SIZE_LOCK = threading.Lock()


def start_deep_thread(target: Callable[..., object], *args: Any, name: str,
                      daemon: bool = True) -> threading.Thread:
    """Start a thread running ``target(*args)`` with a ``STACK_BYTES`` stack.

    ``threading.stack_size`` is for the whole process: it is set for this one start
    and put back (a thread another thread starts meanwhile may get the deep stack too,
    which does no harm). Where the address space has no room for it, the thread
    starts on the default stack, with a warning.
    """
    thread = threading.Thread(target=target, args=args, name=name, daemon=daemon)
    with _SIZE_LOCK:
        previous = threading.stack_size(STACK_BYTES)
        try:
            thread.start()
        except RuntimeError:  # no room for the reservation (a tight address-space limit)
            log.warning("no room for a %d MiB thread stack: %s runs on the default one",
                        STACK_BYTES // 2**20, name)
            threading.stack_size(previous)
            thread = threading.Thread(target=target, args=args, name=name, daemon=daemon)
            thread.start()
        finally:
            threading.stack_size(previous)
    return thread


async def run_on_deep_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on a fresh deep-stack thread, awaited on the event loop; an error
    comes back with its frames emptied on that thread (``graph.handoff.kept_here``).
    Once started, the work runs to its end even if the awaiting request goes away."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(kept_here(work, *args))
        except BaseException as error:  # noqa: BLE001 - raised again on the loop
            future.set_exception(error)

    start_deep_thread(run, name="deep-stack")
    return await asyncio.wrap_future(future)

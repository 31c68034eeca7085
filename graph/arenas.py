"""Keeping a large in-memory store in malloc arenas of its own (glibc).

glibc's malloc gives each thread an arena: the main thread's grows by ``brk`` and
can only give back pages, the others are separate mappings that go whole once
empty. A store built in a thread of its own therefore lives apart from everything
else the process allocates:

* in a query worker its millions of allocations do not fragment the arena the
  queries allocate in (malloc was a fifth of a worker's CPU time, small queries took
  1.4x as long, when both shared the main arena);
* in the service process, which drops its copy once the workers hold the data
  (``KnowledgeStore.serve_from_disk``), the freed store leaves 12 MiB less behind
  (``return_freed_memory`` cannot give back pages of the main arena that live
  allocations hold between freed ones).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_own_thread(build: Callable[[], T]) -> T:
    """``build()`` run in a short-lived thread (so in another arena); its result, or
    its exception raised again here."""
    built: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            built.append(build())
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            failed.append(error)

    thread = threading.Thread(target=run, name="store-build")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return built[0]


def return_freed_memory() -> None:
    """Give the pages malloc holds free back to the system (glibc's ``malloc_trim``).

    A dropped in-memory store leaves its pages with malloc, counted in the process's
    memory, until they are reused; without glibc (or off Linux) nothing happens.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass

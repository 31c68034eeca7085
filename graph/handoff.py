"""An exception handed from one thread to another, without what its frames held.

pyoxigraph's iterators (``QuerySolutions``, ``QueryTriples``, ``QuadIter``) may only be
dropped on the thread that made them; dropped elsewhere, they report "is unsendable,
but is being dropped on another thread" and leak. An exception raised while one was a
local variable keeps it alive through its traceback's frames, so an exception raised in
a worker thread and re-raised in another (the event loop's, a download's reader) would
drop it there. ``detached`` empties those frames in the thread that raised it; the
traceback itself (files, lines) stays, for the log of an unexpected error.
``kept_here`` is the form for work handed to another thread: whatever it raises
leaves that thread detached.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def detached(error: BaseException) -> BaseException:
    """``error``, with the local variables of every frame in its traceback, and in those
    of the exceptions it was raised from or during, let go of here (a frame still
    running, the caller's, keeps its own)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        pending += [current.__cause__, current.__context__]
    return error


def kept_here(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on the calling thread (a pool's, an executor's); an error it
    raises leaves ``detached``, so that the pyoxigraph iterators its frames held are
    dropped on this thread, not on the one that receives the error."""
    try:
        return work(*args)
    except BaseException as error:  # noqa: BLE001 - raised again, its frames emptied here
        detached(error)
        raise

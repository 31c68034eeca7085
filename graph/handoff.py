"""An exception handed from one thread to another, without the frames that raised it.

pyoxigraph's iterators (``QuerySolutions``, ``QueryTriples``, ``QuadIter``) may only be
dropped on the thread that made them; dropped elsewhere, they report "is unsendable,
but is being dropped on another thread" and leak. An exception raised while one was a
local variable keeps it alive through its traceback's frames, so an exception raised in
a worker thread and re-raised in another (the event loop's, a download's reader) would
drop it there. ``detached`` cuts those references in the thread that raised it.
"""

from __future__ import annotations


def detached(error: BaseException) -> BaseException:
    """``error`` without its traceback or the exceptions it was raised from or during
    (they would keep the raising frames alive); the receiving thread raises it with a
    traceback of its own."""
    error.__context__ = error.__cause__ = None
    return error.with_traceback(None)

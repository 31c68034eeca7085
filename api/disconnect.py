"""Stop work whose client has gone: a request's work is cancelled when it disconnects.

``until_disconnected(request, work)`` awaits ``work`` while watching the connection;
when the client disconnects first, ``work`` is cancelled (for a query, the engine
then kills the worker that runs it, so an abandoned query stops costing CPU) and
``ClientGone`` is raised. Call it after the request body has been read: the watcher
takes the ASGI messages that follow, and the next one is the disconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import Request

from mipex_kg.api.errors import ApiError

T = TypeVar("T")


class ClientGone(ApiError):
    """The client closed the connection before the answer was ready (nobody reads it)."""

    status, code = 499, "client_closed_request"


#: Queries answered sooner than this are not watched: most queries take milliseconds,
#: and a watcher per request cost more than the rest of the request's own work.
WATCH_AFTER = 0.25


async def until_disconnected(request: Request, work: Awaitable[T]) -> T:
    """The result of ``work``, unless the client of ``request`` disconnects first.

    After ``WATCH_AFTER`` seconds a watcher waits for the disconnect and then cancels
    the request's task, which stops ``work`` (and the engine kills its worker).
    """
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    assert current is not None
    gone = False
    watcher: asyncio.Task[None] | None = None

    async def cancel_on_disconnect() -> None:
        nonlocal gone
        await _disconnect(request)
        gone = True
        current.cancel()

    def watch() -> None:
        nonlocal watcher
        watcher = loop.create_task(cancel_on_disconnect())

    timer = loop.call_later(WATCH_AFTER, watch)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone:
            raise
        current.uncancel()
        raise ClientGone("the client closed the connection; the query was stopped") from None
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()


async def _disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return

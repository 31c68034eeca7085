"""Stop work whose client has gone: a request's work is cancelled when it disconnects.

``until_disconnected(request, work)`` awaits ``work`` while watching the connection;
when the client disconnects first, ``work`` is cancelled (for a query, the engine
then kills the worker that runs it, so an abandoned query stops costing CPU) and
``ClientGone`` is raised. Call it after the request body has been read: the watcher
takes the ASGI messages that follow, and the next one is the disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import Request
from mipex_kg.api.errors import ApiError

T = TypeVar("T")


class ClientGone(ApiError):
    """The client closed the connection before the answer was ready (nobody reads it)."""

    status, code = 499, "client_closed_request"


async def until_disconnected(request: Request, work: Awaitable[T]) -> T:
    """The result of ``work``, unless the client of ``request`` disconnects first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, ApiError):
        await task
    raise ClientGone("the client closed the connection; the query was stopped")


async def _disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return

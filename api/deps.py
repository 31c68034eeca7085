"""Dependencies shared by the routes: the store, the settings, the write token.

The store and the settings are built once by ``create_app`` and kept on
``app.state``; routes receive them through these dependencies, so tests can swap
them with ``app.dependency_overrides``.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from mipex_kg.api.errors import Forbidden, Unauthorized
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.graph.handoff import kept_here
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.settings import Settings

T = TypeVar("T")


def get_store(request: Request) -> QuadStore:
    store: QuadStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[QuadStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def check_write_token(settings: Settings, authorization: str | None) -> None:
    """Allow a write only with ``Authorization: Bearer <MIPEX_KG_UPDATE_TOKEN>``.

    Raises:
        Forbidden: writes are switched off (no token configured), or the token is wrong.
        Unauthorized: no bearer token was sent (the response asks for one).
    """
    expected = settings.update_token
    if not expected:
        raise Forbidden(
            "this service is read-only: writes are switched off (no update token is configured)"
        )
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("writing needs an 'Authorization: Bearer <token>' header")
    if not hmac.compare_digest(token.strip().encode("utf-8"), expected.encode("utf-8")):
        raise Forbidden("the bearer token is not valid for writing")


def require_write_access(request: Request, settings: SettingsDep) -> None:
    """Dependency form of ``check_write_token``."""
    check_write_token(settings, request.headers.get("authorization"))


WriteAccess = Annotated[None, Depends(require_write_access)]


def bounded(request: Request, work: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """``work`` as a coroutine function that runs it with ``read_bounded``."""
    return functools.partial(read_bounded, request, work)


async def read_bounded(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run a synchronous read for ``request`` in a thread, within the engine's limits
    for its client (``QueryEngine.run_in_process``)."""
    engine: QueryEngine = request.app.state.engine
    return await engine.run_in_process(engine.clients.of(request.scope), work, *args)


async def in_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in a worker thread, off the event loop (a write, a parse): an
    error it raises comes back with its frames emptied there (``graph.handoff``)."""
    return await run_in_threadpool(kept_here, work, *args)

"""``create_app``: the FastAPI application of the service.

    app = create_app(settings)                       # opens settings.store
    app = create_app(settings, store)                # a store the caller opened and filled
    app = create_app(settings, store, write_gate=gate, startup=[load_data],
                     serving=[drop_copy])

What it sets up, all on ``app.state``: ``settings``, ``store`` (a QuadStore: embedded, or remote for a URL in ``settings.store``),
``engine`` (the bounded query engine every read goes through, ``mipex_kg.engine``:
worker processes, time limits, network policy, fair sharing; started with the app
and stopped with it), ``readiness`` (what ``/ready`` answers, ``api.readiness``),
``response_cache`` (LRU of serialised answers),
``write_gate`` and ``write_lock`` (see ``writes``). Then CORS for
``settings.cors_origins``, the Content-Security-Policy of the HTML pages, the JSON
error handlers, the routers, and the static files of the pages (``/static``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from mipex_kg import __version__
from mipex_kg.api.cache import ResponseCache
from mipex_kg.api.csp import ContentSecurityPolicy
from mipex_kg.api.errors import install_error_handlers
from mipex_kg.api.readiness import Readiness
from mipex_kg.api.routes import catalog as catalog_route
from mipex_kg.api.routes import downloads as downloads_route
from mipex_kg.api.routes import graph_store, health, sparql, web
from mipex_kg.api.routes import linked_data as linked_data_route
from mipex_kg.api.routes import void as void_route
from mipex_kg.api.routes.resources import register_rest
from mipex_kg.api.writes import WriteGate
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.store_view import EngineReads
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.remote_config import open_store
from mipex_kg.settings import Settings

StartupHook = Callable[[QuadStore], object]

#: Response headers a browser script may read (CORS).
EXPOSED_HEADERS = ["ETag", "Location", "X-Result-Truncated", "X-Result-Row-Limit"]


def create_app(
    settings: Settings | None = None,
    store: QuadStore | None = None,
    *,
    write_gate: WriteGate | None = None,
    startup: Sequence[StartupHook] = (),
    serving: Sequence[StartupHook] = (),
    query_workers: int | None = None,
    close_store: bool = False,
) -> FastAPI:
    """Build the application.

    Args:
        settings: the configuration; None reads it from the environment now.
        store: the store to serve; None opens ``settings.store`` (in memory when that
            is None). A store passed in stays the caller's to close.
        write_gate: checks every write before it happens (``writes.WriteGate``).
            Required when writes are enabled (``settings.update_token``): there is no
            default that accepts everything (``writes.accept_all`` must be asked for
            by name). Replaceable later as ``app.state.write_gate``.
        startup: callables run once with the store before the app serves requests
            (for example, loading data on first start), in a worker thread.
        serving: callables run once with the store when the query workers hold the
            data, before the app serves requests (``mipex-kg serve`` drops the service
            process's own copy of the data there: ``KnowledgeStore.serve_from_disk``).
        query_workers: how many queries may run at the same time, each in its own
            process (None: ``settings.query_workers``; see ``mipex_kg.engine``).
        close_store: close a store passed in when the app stops (``mipex-kg serve``
            hands its store over: uvicorn ends the process with the stop signal
            once the app has shut down, so code after ``uvicorn.run`` does not run).

    Returns:
        The FastAPI application; run it with uvicorn.
    """
    settings = settings if settings is not None else Settings()
    owns_store = store is None or close_store
    store = store if store is not None else open_store(settings)
    if settings.update_token and write_gate is None:
        raise ValueError("writes are enabled (update_token) but no write_gate was given: "
                         "pass the project's gate (loaders.pipeline.Loader(store).check_write) "
                         "or, knowingly, api.writes.accept_all")
    if query_workers is not None:
        settings = settings.model_copy(update={"query_workers": query_workers})
    engine = QueryEngine(store, settings)
    store.load_sources = engine.policy.load_sources
    readiness = Readiness(store, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in startup:
            await run_in_threadpool(hook, store)
        await run_in_threadpool(engine.warm)
        for hook in serving:
            await run_in_threadpool(hook, store)
        try:
            yield
        finally:
            readiness.close()
            await run_in_threadpool(engine.close)
            if owns_store:
                await run_in_threadpool(store.close)

    app = ServiceApp(
        title="mipex-kg",
        version=__version__,
        summary="Migrant-integration policy indicators (MIPEX, MIPEX-R, MIPEX-L) as linked data",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served from the package (routes.web)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.engine = engine
    app.state.reads = EngineReads(store, engine)  # the service's own aggregate reads
    app.state.readiness = readiness
    app.state.response_cache = ResponseCache()
    app.state.write_gate = write_gate
    app.state.write_lock = threading.Lock()

    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(ContentSecurityPolicy)  # outermost: every HTML page gets the policy
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.include_router(catalog_route.router)
    app.include_router(linked_data_route.router)
    app.include_router(void_route.router)
    app.include_router(downloads_route.router)
    register_rest(app, store)  # REST facade and named queries (/api/...)
    app.include_router(web.router)
    web.mount_static(app)
    app.fast_path = sparql.SparqlFastPath(super(ServiceApp, app).__call__)
    return app


class ServiceApp(FastAPI):
    """The FastAPI application with ``/sparql``'s lean path in front of its middleware
    (``routes.sparql.SparqlFastPath``: queries from clients that are not browsers)."""

    fast_path: sparql.SparqlFastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast_path = self.fast_path
        if fast_path is not None and fast_path.takes(scope):
            scope["app"] = self
            await fast_path(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

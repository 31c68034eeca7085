"""A real HTTP server for the API tests: uvicorn on 127.0.0.1, a free port, in a thread.

``live_server(settings, ...)`` starts ``create_app`` on a fresh in-memory store and
stops it (workers included) when the block ends. Test modules keep one server each
(module-scoped fixtures) and refill its store per test with ``LiveServer.fill``, so
every test starts from its own tiny data.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI

from mipex_kg.api.app import create_app
from mipex_kg.api.http_protocol import HTTP_PROTOCOL
from mipex_kg.api.writes import accept_all
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONFORMANCE = SHARED / "conformance"
SPARQL11_TESTS = CONFORMANCE / "sparql11-tests"
TOKEN = "test-update-token"


@dataclass
class LiveServer:
    """A running server, the store behind it, and an HTTP client (one connection pool)."""

    app: FastAPI
    url: str
    http: httpx.Client

    @property
    def store(self) -> QuadStore:
        store: QuadStore = self.app.state.store
        return store

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.url + "/rdf-graphs/service"

    def fill(self, trig: str = "", *, graphs: dict[str, bytes] | None = None) -> None:
        """Empty the store, then load ``trig`` and N-Triples files into named graphs."""
        fill_store(self.store, trig, graphs or {})


def fill_store(
    store: QuadStore, trig: str = "", graphs: dict[str, bytes] | None = None
) -> None:
    """Replace everything in ``store`` through its own API (so its version changes)."""
    store.update("DROP SILENT ALL")
    by_graph: dict[Any, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(trig.encode(), format=ox.RdfFormat.TRIG):
        by_graph[quad.graph_name].append(quad.triple)
    for name, data in (graphs or {}).items():
        by_graph[ox.NamedNode(name)] += [
            q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        ]
    for graph, triples in by_graph.items():
        if isinstance(graph, ox.NamedNode):
            store.replace_graph(graph, triples)
        else:
            text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
            store.update(f"INSERT DATA {{ {text} }}")


@contextmanager
def serving(app: Any, lifespan: str = "on") -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port of 127.0.0.1; yields its base URL.

    The server runs in a thread and is stopped (and joined) when the block ends.
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, lifespan=lifespan, http=HTTP_PROTOCOL)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test-server", daemon=True)
    thread.start()
    # the start warms the query workers: with the real data on a busy machine, a minute
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the test server did not stop"


@contextmanager
def live_server(settings: Settings | None = None, store: QuadStore | None = None,
                **app_options: Any) -> Iterator[LiveServer]:
    """Serve ``create_app(settings, store, **app_options)`` until the block ends (``store``
    None: a new in-memory ``KnowledgeStore``)."""
    settings = settings or Settings(store=None)
    if settings.update_token:  # the protocol tests write anything: no gate, knowingly
        app_options.setdefault("write_gate", accept_all)
    app = create_app(settings, store if store is not None else KnowledgeStore(), **app_options)
    with serving(app) as url, httpx.Client(timeout=30) as http:
        yield LiveServer(app, url, http)


def settings_for_tests(**overrides: Any) -> Settings:
    """Settings for a test server: in memory, a write token, short limits."""
    values: dict[str, Any] = {"store": None, "update_token": TOKEN, "query_timeout": 10.0}
    values.update(overrides)
    return Settings(**values)

"""A real HTTP proxy on 127.0.0.1 in front of a store engine, for the tests.

``forwarding_proxy(target, intercept)`` forwards every request to ``target`` (same
method, path, query, body and headers, but hop-by-hop ones and ``Host``) and sends
the engine's answer back (its ``Server`` header too), unless ``intercept`` answers the request itself first.
Two uses:

* ``basic_auth_proxy``: demands HTTP basic credentials in front of an engine that has
  none (Oxigraph server), so that the tests check that the remote store sends them,
  and that a refusal is reported without them;
* fault injection (``tests/backends/test_deadlock_retry.py``): answers chosen update
  requests with the error an engine gives, without passing them on.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "content-encoding"}


@dataclass(frozen=True)
class Request:
    """One request the proxy received."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    """An answer the proxy gives itself instead of the engine's."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


#: Looks at a request: an ``Answer`` to give instead of forwarding it, or None.
Intercept = Callable[[Request], Answer | None]


@contextmanager
def forwarding_proxy(target: str, intercept: Intercept | None = None, *,
                     drop_headers: frozenset[str] = frozenset()) -> Iterator[str]:
    """Serve a proxy to ``target`` until the block ends; yields its URL. Request
    headers named in ``drop_headers`` (lower case) are not passed on."""
    upstream = httpx.Client(trust_env=False, timeout=300)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        server_header = ""

        def log_message(self, *args: object) -> None:  # quiet
            return

        def version_string(self) -> str:
            """The engine's own ``Server`` header (it names the engine to the store)."""
            return self.server_header

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers.items()),
                              self.rfile.read(length) if length else b"")
            answer = intercept(request) if intercept is not None else None
            if answer is None:
                headers = {k: v for k, v in request.headers.items()
                           if k.lower() not in _HOP_BY_HOP | {"host"} | drop_headers}
                reply = upstream.request(request.method, target + request.path,
                                         content=request.body, headers=headers)
                answer = Answer(reply.status_code, reply.headers, reply.content)
            self.server_header = answer.headers.get("server", "")
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                if key.lower() not in _HOP_BY_HOP | {"server", "date"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        upstream.close()


@contextmanager
def basic_auth_proxy(target: str, user: str, password: str) -> Iterator[str]:
    """A proxy to ``target`` that answers 401 unless the request carries ``user`` and
    ``password`` (HTTP basic); the credentials are not passed on."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def demand_credentials(request: Request) -> Answer | None:
        if request.headers.get("Authorization") == expected:
            return None
        return Answer(401, {"WWW-Authenticate": 'Basic realm="store"'})

    with forwarding_proxy(target, demand_credentials,
                          drop_headers=frozenset({"authorization"})) as url:
        yield url

"""A strict Content-Security-Policy on every HTML page the service sends.

Every script, style sheet, font, image and data file of the pages is served by the
service itself (``api/static``), so the policy allows this origin and nothing else:
no inline scripts (but the charts' import map, by its hash), no ``eval``, no other
hosts. A page that tried to load anything
from elsewhere would be blocked by the browser and reported in its console (the
browser tests fail on that). Inline style attributes stay allowed: the vendored
libraries (CodeMirror in YASGUI, Swagger UI, ReDoc, Vega-Embed's menu) set them.

    app.add_middleware(ContentSecurityPolicy)   # outermost, so /sparql's editor page gets it too
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mipex_kg.api.templating import IMPORT_MAP_HASH

POLICY = "; ".join((
    "default-src 'self'",
    f"script-src 'self' '{IMPORT_MAP_HASH}'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


class ContentSecurityPolicy:
    """ASGI middleware: adds ``POLICY`` (and ``X-Content-Type-Options``) to HTML responses."""

    def __init__(self, app: ASGIApp, policy: str = POLICY) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = self.policy
                    headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_policy)

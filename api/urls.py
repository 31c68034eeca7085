"""The service's public URLs, as clients see them.

Behind a reverse proxy the request arrives with the proxy's view of scheme, host and
root path; the setting ``base_url`` (``MIPEX_KG_BASE_URL``) then names the public
base, and every absolute URL the service writes (links, the endpoint as the base
IRI of a query, the catalogue's downloads) is built here from it. Without the
setting, the request's own URL is the public one.
"""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.requests import Request


def _configured_base(request: Request) -> str:
    base: str = request.app.state.settings.base_url or ""
    return base.rstrip("/")


def service_base(request: Request) -> str:
    """The public base URL of the service, without a trailing slash."""
    return _configured_base(request) or str(request.base_url).rstrip("/")


def public_url(request: Request, url: URL | None = None) -> str:
    """``url`` (default: the request's own), query string included, as the public sees it."""
    url = url or request.url
    base = _configured_base(request)
    if not base:
        return str(url)
    return base + url.path + (f"?{url.query}" if url.query else "")


def endpoint_url(request: Request) -> str:
    """The public URL of the requested path, without query string or fragment (the
    base IRI of a SPARQL operation, the address of an endpoint)."""
    return public_url(request, request.url.replace(query="", fragment=""))

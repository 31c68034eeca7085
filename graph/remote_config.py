"""Where a remote store is and how to talk to it, from the settings.

``MIPEX_KG_STORE`` names either a folder (the embedded store) or an http(s) URL. A
URL is taken as the base of Oxigraph server's layout: ``URL/query``, ``URL/update``
and ``URL/store`` (Graph Store Protocol); ``MIPEX_KG_STORE_QUERY_URL``,
``_UPDATE_URL`` and ``_GRAPH_STORE_URL`` override each (Virtuoso: ``/sparql`` for
all three ... see docs/design.md, "Backends"). Credentials come from
``MIPEX_KG_STORE_USER`` / ``_PASSWORD`` (HTTP basic or digest,
``MIPEX_KG_STORE_AUTH``); they are never part of a URL, a message or a repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from mipex_kg.settings import Settings


def is_url(location: object) -> bool:
    """Whether a store location is an http(s) URL rather than a folder."""
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class RemoteEndpoints:
    """The three protocol endpoints of one remote store and how to reach them."""

    query_url: str
    update_url: str
    graph_store_url: str
    user: str = ""
    password: str = field(default="", repr=False)
    auth_scheme: str = "basic"
    union_parameter: str = "union-default-graph"
    timeout_parameter: str = ""
    replace: str = "update"
    version_ttl: float = 1.0
    system_graphs: tuple[str, ...] = ()
    engine: str = ""  # empty: told by the engine's answers (RemoteStore.engine_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteEndpoints:
        """The endpoints of ``settings.store`` (a URL) and the ``store_*`` settings.

        Raises:
            ValueError: a URL carries credentials, or is not http(s).
        """
        base = str(settings.store or "").rstrip("/")
        urls = (settings.store_query_url or f"{base}/query",
                settings.store_update_url or f"{base}/update",
                settings.store_graph_store_url or f"{base}/store")
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL of a store endpoint: {_safe(url)}")
            if parts.username or parts.password:
                raise ValueError("put the remote store's credentials in MIPEX_KG_STORE_USER and "
                                 "MIPEX_KG_STORE_PASSWORD, not in its URL")
        password = settings.store_password.get_secret_value() if settings.store_password else ""
        return cls(*urls, user=settings.store_user, password=password,
                   auth_scheme=settings.store_auth,
                   union_parameter=settings.store_union_parameter,
                   timeout_parameter=settings.store_timeout_parameter,
                   replace=settings.store_replace, version_ttl=settings.store_version_ttl,
                   system_graphs=tuple(settings.store_system_graphs),
                   engine=settings.store_engine.strip().lower())

    def auth(self) -> httpx.Auth | None:
        """The HTTP authentication for every request (None without a user)."""
        if not self.user:
            return None
        if self.auth_scheme == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return httpx.BasicAuth(self.user, self.password)

    def client_options(self) -> dict[str, object]:
        """Options shared by the synchronous and the asynchronous HTTP clients.

        No read limit by default: a load may send minutes of work in one update; the
        query engine sets its own limit per query. No proxy from the environment: the
        store is reached directly.
        """
        return {"auth": self.auth(), "timeout": httpx.Timeout(None, connect=10.0),
                "trust_env": False, "follow_redirects": False}


def _safe(url: str) -> str:
    """A URL as it may be shown: without user information."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return parts.geturl()


def open_store(settings: Settings, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    """The store ``settings.store`` names: a ``RemoteStore`` for a URL, else the
    embedded ``KnowledgeStore`` (that folder, or in memory for None).

    Raises:
        OSError: the folder cannot be opened, or the remote store cannot be reached.
        ValueError: the URL settings are not usable.
    """
    from mipex_kg.graph.quad_store import QuadStore

    store: QuadStore
    if is_url(settings.store):
        from mipex_kg.graph.remote_store import RemoteStore

        store = RemoteStore(RemoteEndpoints.from_settings(settings))
    else:
        from mipex_kg.graph.store import KnowledgeStore

        location = settings.store
        store = KnowledgeStore(Path(location) if location is not None else None,
                               read_only=read_only)
    return store

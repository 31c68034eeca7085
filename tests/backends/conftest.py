"""Fixtures of the backend tests: the private engines they start on 127.0.0.1."""

from __future__ import annotations

import pytest

from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_store import RemoteStore
from mipex_kg.settings import Settings

from tests.backends.oxigraph_server import OxigraphServer, emptied
from tests.backends.virtuoso_server import virtuoso_server

__all__ = ["remote_on", "virtuoso_server"]


def remote_on(request: pytest.FixtureRequest) -> RemoteStore:
    """An emptied ``RemoteStore`` on the engine ``request.param`` names."""
    if request.param == "oxigraph":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        return emptied(server.store())
    virtuoso = request.getfixturevalue("virtuoso_server")
    return emptied(RemoteStore(RemoteEndpoints.from_settings(
        Settings(**virtuoso.settings_values()))))

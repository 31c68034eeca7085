"""Fixtures of the REST tests: apps over the fixture graph and over the real workbooks.

Unit-level tests use FastAPI's ``TestClient`` (imported here with Starlette's
warning about httpx silenced). The apps here are small FastAPI applications with the
service's error handlers and ``register_rest``: the routes under test, nothing else.
``test_live_server`` runs the full ``create_app`` under uvicorn.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # Starlette now prefers httpx2; the httpx client still works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from mipex_kg.api.errors import install_error_handlers
from mipex_kg.api.routes.resources import register_rest
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.queries.conftest import fixture_store, registry  # noqa: F401  (shared fixtures)


@contextmanager
def rest_app(store: KnowledgeStore) -> Iterator[FastAPI]:
    """The REST facade and named queries over ``store``, with the JSON error handlers,
    answered by a query engine of one worker (stopped when the block ends)."""
    app = FastAPI(title="mipex-kg REST (test)")
    install_error_handlers(app)
    app.state.settings = Settings(store=None, query_workers=1)
    app.state.engine = QueryEngine(store, app.state.settings)
    register_rest(app, store)
    try:
        yield app
    finally:
        app.state.engine.close()


@pytest.fixture(scope="session")
def app(fixture_store: KnowledgeStore) -> Iterator[FastAPI]:  # noqa: F811
    with rest_app(fixture_store) as built:
        yield built


@pytest.fixture(scope="session")
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def real_client(real_store: KnowledgeStore) -> Iterator[TestClient]:
    """The facade over both official workbooks (read-only)."""
    with rest_app(real_store) as built:
        yield TestClient(built, raise_server_exceptions=False)

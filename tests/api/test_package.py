"""The api package itself: its examples run, its exports resolve, its workers stay light."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES_WITH_EXAMPLES = [
    "mipex_kg.api.negotiation",
    "mipex_kg.api.sparql_text",
    "mipex_kg.api.service_description",
]


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_examples_in_docstrings(name: str) -> None:
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0


def test_a_query_worker_does_not_import_the_web_framework() -> None:
    code = ("import sys, mipex_kg.engine.worker; "
            "sys.exit(1 if 'fastapi' in sys.modules or 'starlette' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_openapi_document_describes_the_protocol_endpoints() -> None:
    from fastapi import FastAPI

    from mipex_kg.api.routes import graph_store
    from mipex_kg.api.routes import sparql as sparql_routes

    app = FastAPI()
    app.include_router(sparql_routes.router)
    app.include_router(graph_store.router)
    spec = app.openapi()  # warnings (a duplicate operation id ...) are errors
    sparql = spec["paths"]["/sparql"]
    assert set(sparql) == {"get", "post"}
    assert [p["name"] for p in sparql["get"]["parameters"]][:1] == ["query"]
    assert set(spec["paths"]["/rdf-graphs/service"]) == {"get", "put", "post", "delete"}

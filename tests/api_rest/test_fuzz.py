"""Fuzzing the OpenAPI with schemathesis: no 5xx, and answers as documented.

For every operation under /api/, schemathesis generates requests from the OpenAPI,
valid values (positive) and invalid ones (negative), and checks each answer: never
a server error, a documented status code and content type, a JSON body that fits
its schema. Named queries that call other SPARQL endpoints (SERVICE) are left out:
their answers depend on the network. A few examples per operation keep it quick.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis (a test tool) is not installed")

from fastapi import FastAPI  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from mipex_kg.graph.store import KnowledgeStore  # noqa: E402

from tests.api_rest.conftest import rest_app  # noqa: E402
from tests.api_rest.test_injection import fingerprint  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 5


def _paths() -> list[str]:
    """The operations to fuzz (an app over an empty store lists the same routes)."""
    with rest_app(KnowledgeStore()) as app:
        federated = {f"/api/queries/{q.name}" for q in app.state.facade.registry.queries.values()
                     if q.federated}
        return sorted(p for p in app.openapi()["paths"] if p.startswith("/api/")
                      and p not in federated)


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("path", _paths())
def test_no_server_errors_and_answers_as_documented(
        api_schema: Any, fixture_store: KnowledgeStore, path: str,
        mode: GenerationMode) -> None:
    before = fingerprint(fixture_store)
    operation = api_schema[path]["GET"]
    if mode == GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
        pytest.skip("no parameters to make invalid")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    fuzz()
    assert fingerprint(fixture_store) == before

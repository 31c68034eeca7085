"""SPARQL injection through every parameter of every route: refused with 422, nothing changed.

For each operation of the OpenAPI under /api/ and each of its parameters (query and
path), the parameter gets an injection payload while the others keep their
documented examples. Every answer must be the 422 error body naming that parameter,
and the store must be exactly as before.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from fastapi import FastAPI

from mipex_kg.graph.store import KnowledgeStore

from tests.api_rest.conftest import TestClient

PAYLOADS = [
    'SWE" } ; DROP ALL ; #',
    "2019 } INSERT DATA { <urn:a> <urn:b> <urn:c> } #",
    "aa1> } UNION { ?s ?p ?o",
    "https://w3id.org/mipex-kg/id/country/SWE> . ?s ?p ?o } #",
    "x') || true || ('",
    "a\\u0022 } DROP ALL #",
    "mipex\nDROP ALL",
]


def operations(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    spec = app.openapi()
    return [(path, item["get"]) for path, item in sorted(spec["paths"].items())
            if path.startswith("/api/") and "get" in item]


def fingerprint(store: KnowledgeStore) -> tuple[int, str, str]:
    dump = store.dump(None, ox.RdfFormat.N_QUADS) or b""
    return len(store), store.version, hashlib.sha256(dump).hexdigest()


def example(param: dict[str, Any]) -> str:
    value = param.get("example", param.get("schema", {}).get("examples", ["x"])[0])
    return str(value)


def test_every_parameter_refuses_injection_and_nothing_changes(
        app: FastAPI, client: TestClient, fixture_store: KnowledgeStore) -> None:
    before = fingerprint(fixture_store)
    tried = 0
    for path, op in operations(app):
        params = op.get("parameters", [])
        for target in params:
            for payload in PAYLOADS:
                url, query = path, {}
                for param in params:
                    value = payload if param is target else example(param)
                    if param["in"] == "path":
                        url = url.replace("{" + param["name"] + "}", quote(value, safe=""))
                    elif param is target or param.get("required"):
                        query[param["name"]] = value
                response = client.get(url, params=query)
                tried += 1
                assert response.status_code == 422, (path, target["name"], payload,
                                                     response.text)
                problems = response.json()["problems"]
                assert any(p.startswith(f"{target['in']}.{target['name']}:") for p in problems), \
                    (path, target["name"], problems)
    assert tried > 500
    assert fingerprint(fixture_store) == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_an_unknown_parameter_is_refused_too(client: TestClient,
                                                          payload: str) -> None:
    response = client.get("/api/scores", params={payload: "1"})
    assert response.status_code == 422

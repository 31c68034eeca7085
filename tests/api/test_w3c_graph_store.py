"""The W3C SPARQL 1.1 Graph Store HTTP Protocol tests, replayed against a real server.

Manifest: ../shared/conformance/sparql11-tests/graph-store-protocol (it includes the
direct and the indirect manifests). The service offers indirect graph identification
(``/rdf-graphs/service?graph=<IRI>`` and ``?default``) and graph creation by POST;
the tests that need direct identification (graph IRIs under the service's own path,
``/gsp/person/1.ttl``) do not apply and are skipped with that reason. Every test
starts from an empty store; response bodies are compared as graphs (isomorphism).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.live import SPARQL11_TESTS, TOKEN, LiveServer, live_server, settings_for_tests
from tests.api.w3c_manifest import HttpTest, read_http_tests, replay
from tests.backends.oxigraph_server import BACKENDS, store_for

MANIFEST = SPARQL11_TESTS / "graph-store-protocol" / "manifest.ttl"
MISSING = f"the W3C SPARQL 1.1 test suite is not in {SPARQL11_TESTS} (../shared/conformance)"
NOT_OFFERED = {
    "DirectGraphIdentification": "direct graph identification is not offered: graphs are "
    "named with ?graph=<IRI> on /rdf-graphs/service",
}


def _tests() -> list[Any]:
    if not MANIFEST.is_file():
        return [pytest.param(None, id="graph-store", marks=pytest.mark.skip(reason=MISSING))]
    params = []
    for test in read_http_tests(MANIFEST):
        reasons = [NOT_OFFERED[r] for r in test.requires if r in NOT_OFFERED]
        marks = [pytest.mark.skip(reason=reasons[0])] if reasons else []
        params.append(pytest.param(test, id=test.name, marks=marks))
    return params


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request)) as running:
        yield running


@pytest.mark.parametrize("test", _tests())
def test_graph_store_protocol(test: HttpTest, server: LiveServer) -> None:
    server.fill()
    with httpx.Client(timeout=30) as client:
        replay(test, client, server.url, {"/gsp": "/rdf-graphs/service"},
               headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.mark.skipif(not MANIFEST.is_file(), reason=MISSING)
def test_every_indirect_test_runs() -> None:
    tests = read_http_tests(MANIFEST)
    indirect = [t for t in tests if "DirectGraphIdentification" not in t.requires]
    assert len(tests) == 13 and len(indirect) == 9  # 4 direct tests are listed

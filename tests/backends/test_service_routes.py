"""Every read route of the service on each remote engine, against the embedded store.

The service runs three times over the fixture graph: embedded, on an Oxigraph server,
and on Virtuoso. Each GET operation of the OpenAPI document (filled with the fixture's
values), each page and each catalogue route must answer there with the status the
embedded store gives, and the same content: the same JSON, the same CSV rows, the same
graph (blank nodes aside), the same HTML. A route added to the service without an
example here fails ``test_every_read_operation_has_an_example``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph

from mipex_kg.graph.store import KnowledgeStore

from tests.api.live import LiveServer, live_server, settings_for_tests
from tests.backends.conftest import remote_on
from tests.backends.oxigraph_server import emptied
from tests.queries.conftest import fixture_store  # noqa: F401  (a shared fixture)

pytestmark = pytest.mark.engines

ID = "https://w3id.org/mipex-kg/id/"
SCORE = ID + "score/mipex-2020/SWE/2019/aa1"

#: Values for the required parameters of the read operations (fixture data).
EXAMPLES = {"jurisdiction": "SWE", "jurisdictions": "SWE,ESP", "indicator": "aa1",
            "year": "2019", "from": "2014", "to": "2019", "composite": "overall",
            "score": SCORE, "rule": ID + "rule/mipex/a", "id": "SWE", "code": "aa1",
            "path": "country/SWE", "name": "all.nq"}

#: Operations left out: they call endpoints elsewhere on the web (SERVICE), which the
#: tests do not reach; or they write.
NOT_WALKED = re.compile(r"^/api/queries/federated-|^/rdf-graphs/service$|^/sparql$")

#: Pages, catalogue and linked-data routes, in the representations a client asks for.
PAGES = [
    "/", "/compare", "/catalog", "/catalog?format=ntriples", "/.well-known/void?format=ntriples",
    "/def", "/def?format=ntriples", "/id/country/SWE", "/id/country/SWE?format=ntriples",
    "/id/indicator/mipex/aa1", "/id/score/mipex-2020/SWE/2019/aa1?format=ntriples", "/downloads",
    "/api/queries", "/api/jurisdictions?format=csv", "/api/scores?jurisdiction=SWE&format=csv",
    "/health", "/ready",
    "/sparql?query=SELECT ?s WHERE { ?s a mkg:Country } ORDER BY ?s",
    "/sparql?query=SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "/sparql?query=ASK { ?s a mkg:Country }",
    "/sparql?query=CONSTRUCT { ?s a mkg:Country } WHERE { ?s a mkg:Country }&format=ntriples",
]


def read_operations(app: Any) -> list[str]:
    """The GET paths of the OpenAPI document, each filled with ``EXAMPLES``.

    Raises:
        KeyError: a required parameter has no example.
    """
    paths = []
    for path, methods in app.openapi()["paths"].items():
        if "get" not in methods or NOT_WALKED.search(path):
            continue
        required = [p["name"] for p in methods["get"].get("parameters", [])
                    if p.get("required") and p.get("in") == "query"]
        filled = re.sub(r"\{(\w+)\}", lambda m: EXAMPLES[m.group(1)], path)
        filled = filled.replace("/api/systems/SWE", "/api/systems/mipex")
        query = "&".join(f"{name}={EXAMPLES[name]}" for name in required)
        paths.append(filled + (f"?{query}" if query else ""))
    return paths


@pytest.fixture(scope="module", params=["oxigraph", pytest.param(
    "virtuoso", marks=pytest.mark.virtuoso)])
def twins(request: pytest.FixtureRequest, fixture_store: KnowledgeStore,  # noqa: F811
          ) -> Iterator[tuple[LiveServer, LiveServer]]:
    """The service over the fixture graph, embedded and on one remote engine."""
    remote = remote_on(request)
    for graph in fixture_store.named_graphs():
        remote.replace_graph(graph, fixture_store.triples(graph))
    settings = settings_for_tests(update_token=None, query_timeout=30.0)
    try:
        with live_server(settings, fixture_store) as embedded, \
                live_server(settings, remote) as served:
            yield embedded, served
    finally:  # the engines are the session's: later tests must find them empty
        emptied(remote).close()


def test_every_read_operation_has_an_example(twins: tuple[LiveServer, LiveServer]) -> None:
    assert len(read_operations(twins[0].app)) > 40


def size(response: Any) -> int:
    """How much an answer says: its rows (JSON ``items``, SPARQL bindings), its triples,
    or its lines. (Engines order unordered rows, GROUP_CONCAT parts and blank node
    labels each their own way, so the content itself is compared only where ordered.)"""
    kind = response.headers.get("content-type", "").split(";")[0]
    if kind in ("application/n-triples", "text/turtle"):
        return len(Graph().parse(data=response.text, format="nt" if kind ==
                                 "application/n-triples" else "turtle"))
    if kind in ("application/json", "application/sparql-results+json"):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            return len(body["items"])
        if isinstance(body, dict) and "results" in body:
            return len(body["results"]["bindings"])
    return len(response.text.splitlines())


def walk(twins: tuple[LiveServer, LiveServer], path: str) -> None:
    embedded, remote = (server.http.get(server.url + path) for server in twins)
    assert remote.status_code == embedded.status_code, (path, remote.text[:2000])
    assert embedded.status_code == 200, (path, embedded.text[:500])
    kinds = [r.headers.get("content-type", "").split(";")[0] for r in (embedded, remote)]
    assert kinds[0] == kinds[1]
    assert size(remote) == size(embedded), path


def test_every_read_operation_answers_alike(twins: tuple[LiveServer, LiveServer]) -> None:
    """All operations in one test: the module's servers are started once per engine."""
    failures = []
    for path in read_operations(twins[0].app):
        try:
            walk(twins, path)
        except AssertionError as failure:
            failures.append(f"{path}: {str(failure)[:600]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", PAGES)
def test_pages_and_catalogue_answer_alike(twins: tuple[LiveServer, LiveServer],
                                          path: str) -> None:
    walk(twins, path)


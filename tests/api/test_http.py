"""The endpoint's HTTP behaviour beyond the W3C suites: negotiation, the dataset, base
IRI and prefixes, refusals, CORS, and the Graph Store Protocol's edges.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mipex_kg.engine.guard import NetworkPolicy

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import BACKENDS, store_for

EX = "http://example.org/"
DATA = f"""
GRAPH <{EX}g1> {{ <{EX}a> <{EX}p> "one" }}
GRAPH <{EX}g2> {{ <{EX}b> <{EX}p> "two" }}
<{EX}c> <{EX}p> "default" .
"""
SELECT = f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o"
CONSTRUCT = f"CONSTRUCT WHERE {{ ?s <{EX}p> ?o }}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request)) as running:
        running.fill(DATA)
        yield running


def query(server: LiveServer, text: str, **kwargs: object) -> httpx.Response:
    params = {"query": text, **kwargs.pop("params", {})}  # type: ignore[dict-item]
    return server.http.get(server.endpoint, params=params, **kwargs)  # type: ignore[arg-type]


def objects(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["o"]["value"] for b in response.json()["results"]["bindings"]]


# -- content negotiation ----------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
    ("application/sparql-results+xml;q=0.5, text/csv", "text/csv; charset=utf-8"),
    ("text/*", "text/csv; charset=utf-8"),
    ("text/*;q=0.9, text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("application/json", "application/json"),
    ("application/xml", "application/xml"),
])
def test_select_formats_by_accept(server: LiveServer, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = query(server, SELECT, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == expected


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/turtle; charset=utf-8"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, application/n-triples", "application/n-triples"),
    ("application/trig", "application/trig"),
    ("application/n-quads", "application/n-quads"),
    ("text/n3", "text/n3; charset=utf-8"),
    ("application/json", "application/json"),
])
def test_construct_formats_by_accept(server: LiveServer, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = query(server, CONSTRUCT, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == expected


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    (SELECT, "xml", "application/sparql-results+xml"),
    (SELECT, "tsv", "text/tab-separated-values; charset=utf-8"),
    (SELECT, "text/csv", "text/csv; charset=utf-8"),
    (CONSTRUCT, "json", "application/ld+json"),
    (CONSTRUCT, "ntriples", "application/n-triples"),
    (CONSTRUCT, "rdfxml", "application/rdf+xml"),
])
def test_the_format_parameter_wins_over_accept(
    server: LiveServer, text: str, fmt: str, expected: str
) -> None:
    response = query(server, text, params={"format": fmt}, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"] == expected
    assert query(server, text, params={"output": fmt}).headers["content-type"] == expected


@pytest.mark.parametrize(("text", "headers", "params"), [
    (SELECT, {"Accept": "text/turtle"}, {}),
    (SELECT, {"Accept": "application/sparql-results+json;q=0"}, {}),
    (CONSTRUCT, {"Accept": "application/sparql-results+json"}, {}),
    (SELECT, {}, {"format": "turtle"}),
    (SELECT, {}, {"format": "nonsense"}),
])
def test_nothing_acceptable_is_406(
    server: LiveServer, text: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = query(server, text, headers=headers, params=params)
    assert response.status_code == 406
    assert response.json()["error"] == "not_acceptable"


def test_head_gives_the_headers_only(server: LiveServer) -> None:
    response = server.http.head(server.endpoint, params={"query": SELECT})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"] == "application/sparql-results+json"
    assert response.headers["ETag"] == query(server, SELECT).headers["ETag"]


# -- what a query sees -------------------------------------------------------------------


def test_the_default_graph_is_the_union_of_all_graphs(server: LiveServer) -> None:
    assert objects(query(server, SELECT)) == ["default", "one", "two"]


def test_protocol_graphs_define_the_dataset(server: LiveServer) -> None:
    assert objects(query(server, SELECT, params={"default-graph-uri": f"{EX}g1"})) == ["one"]
    named = f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }} ORDER BY ?o"
    assert objects(query(server, named, params={"named-graph-uri": f"{EX}g2"})) == ["two"]
    assert objects(query(server, SELECT, params={"named-graph-uri": f"{EX}g2"})) == []


def test_from_in_the_query_defines_the_dataset(server: LiveServer) -> None:
    text = f"SELECT ?o FROM <{EX}g2> WHERE {{ ?s <{EX}p> ?o }}"
    assert objects(query(server, text)) == ["two"]
    overridden = query(server, text, params={"default-graph-uri": f"{EX}g1"})
    assert objects(overridden) == ["one"]  # the protocol's dataset wins (SPARQL 1.1 Protocol 2.1.4)


def test_relative_iris_resolve_against_the_endpoint(server: LiveServer) -> None:
    response = query(server, "SELECT ?o WHERE { BIND(<thing> AS ?o) }")
    assert objects(response) == [server.url + "/thing"]


def test_the_project_prefixes_are_predeclared(server: LiveServer) -> None:
    response = query(server, "SELECT ?o WHERE { BIND(skos:Concept AS ?o) }")
    assert objects(response) == ["http://www.w3.org/2004/02/skos/core#Concept"]


# -- refusals ------------------------------------------------------------------------------


def test_service_may_call_only_the_endpoints_in_the_settings(server: LiveServer) -> None:
    federated = "SELECT ?o WHERE {{ SERVICE <{}> {{ ?s <{}p> ?o }} }} ORDER BY ?o"
    refused = query(server, federated.format("http://169.254.169.254/latest", EX))
    assert refused.status_code == 400 and "not allowed" in refused.json()["detail"]
    assert query(server, "SELECT * { SERVICE ?e { ?s ?p ?o } }").status_code == 400
    engine = server.app.state.engine
    saved = engine.policy
    engine.policy = NetworkPolicy.of([server.endpoint], [])  # this service calling itself
    try:
        answer = query(server, federated.format(server.endpoint, EX))
        assert objects(answer) == ["default", "one", "two"]
        assert "ETag" not in answer.headers and answer.headers["Cache-Control"] == "no-store"
    finally:
        engine.policy = saved


@pytest.mark.parametrize(("params", "code"), [
    ({"query": "SELECT (<http://example.org/nope>(1) AS ?o) WHERE {}"}, "query_error"),
    ({"query": "SELEC * {}"}, "syntax_error"),
    ({"default-graph-uri": f"{EX}g1"}, "protocol_error"),
    ({"query": SELECT, "default-graph-uri": "not an iri"}, "protocol_error"),
    ({"query": SELECT, "using-graph-uri": f"{EX}g1"}, "protocol_error"),
])
def test_bad_queries_are_400_with_a_reason(
    server: LiveServer, params: dict[str, str], code: str
) -> None:
    response = server.http.get(server.endpoint, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == code and body["detail"]


def test_an_update_with_query_dataset_parameters_is_400(server: LiveServer) -> None:
    response = server.http.post(server.endpoint, params={"default-graph-uri": f"{EX}g1"},
                               content="CLEAR ALL",
                               headers={**AUTH, "Content-Type": "application/sparql-update"})
    assert response.status_code == 400
    assert len(server.store) == 3


def test_a_form_post_that_is_not_utf8_is_400(server: LiveServer) -> None:
    response = server.http.post(server.endpoint, content=b"query=ASK%20%7B%7D\xff",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


def test_unknown_paths_and_methods_get_the_json_error_body(server: LiveServer) -> None:
    missing = server.http.get(server.url + "/nowhere")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = server.http.delete(server.endpoint)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


# -- CORS -----------------------------------------------------------------------------------


def test_cors_lets_browser_scripts_read_answers_and_limits(server: LiveServer) -> None:
    response = query(server, SELECT, headers={"Origin": "https://example.net"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "X-Result-Truncated" in response.headers["access-control-expose-headers"]
    preflight = server.http.options(server.endpoint, headers={
        "Origin": "https://example.net", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_answers_without_origin_vary_on_it_as_those_with_one(server: LiveServer) -> None:
    """A request without Origin takes the lean path, past the CORS middleware: its
    answer must still say that it varies with Origin, as CORS says for the others."""
    plain = query(server, SELECT)
    browser = query(server, SELECT, headers={"Origin": "https://example.net"})
    assert plain.status_code == browser.status_code == 200
    assert plain.content == browser.content
    for response in (plain, browser):
        vary = {part.strip() for part in response.headers["vary"].split(",")}
        assert {"Accept", "Origin"} <= vary
    assert "access-control-allow-origin" not in plain.headers


def test_cors_origins_come_from_the_settings() -> None:
    settings = settings_for_tests(cors_origins=["https://allowed.example"])
    with live_server(settings) as server:
        allowed = server.http.get(server.endpoint, headers={"Origin": "https://allowed.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
        other = server.http.get(server.endpoint, headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_public_base_url_names_the_endpoint() -> None:
    with live_server(settings_for_tests(base_url="https://kg.example.org/")) as server:
        response = server.http.get(server.endpoint, headers={"Accept": "application/n-triples"})
        description = response.text
        assert "<https://kg.example.org/sparql>" in description


# -- Graph Store Protocol edges ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "params", "headers", "body", "status"), [
    ("GET", {}, {}, None, 400),
    ("GET", {"graph": f"{EX}g1", "default": ""}, {}, None, 400),
    ("GET", {"graph": f"{EX}missing"}, {}, None, 404),
    ("GET", {"graph": "not an iri"}, {}, None, 400),
    ("GET", {"graph": f"{EX}g1"}, {"Accept": "text/html"}, None, 406),
    ("PUT", {"graph": f"{EX}new"}, {"Content-Type": "application/pdf"}, "x", 415),
    ("PUT", {"graph": f"{EX}new"}, {}, "<a> <b> <c> .", 415),
    ("PUT", {"graph": f"{EX}new"}, {"Content-Type": "text/turtle"}, "<a> <b> .", 400),
    ("PUT", {"graph": f"{EX}new"}, {"Content-Type": "text/turtle; charset=latin-1"}, "", 415),
    ("PUT", {}, {"Content-Type": "text/turtle"}, "", 400),
    ("DELETE", {"graph": f"{EX}missing"}, {}, None, 404),
])
def test_graph_store_refusals(
    server: LiveServer, method: str, params: dict[str, str], headers: dict[str, str],
    body: str | None, status: int,
) -> None:
    version = server.store.version
    response = server.http.request(method, server.graph_store, params=params, content=body,
                             headers={**AUTH, **headers})
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert server.store.version == version


def test_graph_store_reads_are_public_and_negotiated(server: LiveServer) -> None:
    response = server.http.get(server.graph_store, params={"graph": f"{EX}g1"},
                         headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/ld+json"
    assert response.json()[0]["@id"] == f"{EX}a"
    default = server.http.get(server.graph_store, params={"default": ""},
                              headers={"Accept": "text/plain"})
    assert default.text.strip() == f'<{EX}c> <{EX}p> "default" .'

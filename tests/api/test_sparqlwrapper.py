"""SPARQLWrapper, the common Python SPARQL client, against the live endpoint: every
query form in every result format it knows, by GET, form POST and direct POST.

SPARQLWrapper sends both an Accept header and ``format=`` / ``output=`` parameters
(with its own names: ``json``, ``xml``, ``csv``, ``tsv``, ``turtle``, ``n3``,
``rdf+xml``, ``json-ld``), and checks the Content-Type of each answer; warnings are
errors in this suite, so a mislabelled answer fails the test.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import BACKENDS, store_for

EX = "http://example.org/"
DATA = f"""
GRAPH <{EX}graph> {{
    <{EX}alice> <{EX}name> "Alice" ; <{EX}knows> <{EX}bob> ; <{EX}age> 42 .
    <{EX}bob> <{EX}name> "Bob"@en .
}}
"""
SELECT = f"SELECT ?person ?name WHERE {{ ?person <{EX}name> ?name }} ORDER BY ?person"
ASK = f"ASK {{ <{EX}alice> <{EX}knows> <{EX}bob> }}"
CONSTRUCT = f"CONSTRUCT {{ ?s <{EX}label> ?name }} WHERE {{ ?s <{EX}name> ?name }}"
DESCRIBE = f"DESCRIBE <{EX}alice>"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request)) as running:
        running.fill(DATA)
        yield running


def client(server: LiveServer, query: str, fmt: str, method: str = GET,
           request_method: str = URLENCODED) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(server.endpoint)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(method)
    wrapper.setRequestMethod(request_method)
    return wrapper


WAYS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]
WAY_IDS = ["get", "post-form", "post-direct"]


@pytest.mark.parametrize(("method", "request_method"), WAYS, ids=WAY_IDS)
def test_select_json(server: LiveServer, method: str, request_method: str) -> None:
    result: Any = client(server, SELECT, JSON, method, request_method).queryAndConvert()
    assert result["head"]["vars"] == ["person", "name"]
    rows = [(b["person"]["value"], b["name"]["value"]) for b in result["results"]["bindings"]]
    assert rows == [(EX + "alice", "Alice"), (EX + "bob", "Bob")]
    assert result["results"]["bindings"][1]["name"]["xml:lang"] == "en"


def test_select_xml(server: LiveServer) -> None:
    document: Any = client(server, SELECT, XML).queryAndConvert()
    values = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert values == ["Alice", "Bob"]


def test_select_csv(server: LiveServer) -> None:
    data: Any = client(server, SELECT, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows == [["person", "name"], [EX + "alice", "Alice"], [EX + "bob", "Bob"]]


def test_select_tsv(server: LiveServer) -> None:
    data: Any = client(server, SELECT, TSV).queryAndConvert()
    rows = [line.split("\t") for line in data.decode("utf-8").splitlines()]
    assert rows == [["?person", "?name"], [f"<{EX}alice>", '"Alice"'], [f"<{EX}bob>", '"Bob"@en']]


@pytest.mark.parametrize("fmt", [JSON, XML], ids=["json", "xml"])
@pytest.mark.parametrize(("method", "request_method"), WAYS, ids=WAY_IDS)
def test_ask(server: LiveServer, fmt: str, method: str, request_method: str) -> None:
    result: Any = client(server, ASK, fmt, method, request_method).queryAndConvert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


EXPECTED_CONSTRUCT = {
    (URIRef(EX + "alice"), URIRef(EX + "label"), Literal("Alice")),
    (URIRef(EX + "bob"), URIRef(EX + "label"), Literal("Bob", lang="en")),
}


@pytest.mark.parametrize(("fmt", "parse_as"),
                         [(TURTLE, "turtle"), (N3, "n3"), (RDFXML, None), (XML, None),
                          (JSONLD, None)],
                         ids=["turtle", "n3", "rdfxml", "xml", "jsonld"])
@pytest.mark.parametrize(("method", "request_method"), WAYS, ids=WAY_IDS)
def test_construct(server: LiveServer, fmt: str, parse_as: str | None,
                   method: str, request_method: str) -> None:
    result: Any = client(server, CONSTRUCT, fmt, method, request_method).queryAndConvert()
    graph = Graph().parse(data=result, format=parse_as) if parse_as else result
    assert set(graph) == EXPECTED_CONSTRUCT


def test_construct_ntriples_by_accept_header(server: LiveServer) -> None:
    wrapper = client(server, CONSTRUCT, N3)
    wrapper.setOnlyConneg(True)
    wrapper.addCustomHttpHeader("Accept", "application/n-triples")
    response = wrapper.query()
    assert response.info()["content-type"] == "application/n-triples"
    data: Any = response.convert()
    graph = Graph().parse(data=data, format="nt")
    assert set(graph) == EXPECTED_CONSTRUCT


@pytest.mark.parametrize("fmt", [XML, TURTLE, JSONLD], ids=["rdfxml", "turtle", "jsonld"])
def test_describe(server: LiveServer, fmt: str) -> None:
    result: Any = client(server, DESCRIBE, fmt).queryAndConvert()
    graph = Graph().parse(data=result, format="turtle") if fmt == TURTLE else result
    assert (URIRef(EX + "alice"), URIRef(EX + "knows"), URIRef(EX + "bob")) in graph
    assert (URIRef(EX + "alice"), URIRef(EX + "age"), Literal(42)) in graph


def test_update_with_token(server: LiveServer) -> None:
    wrapper = SPARQLWrapper(server.endpoint, updateEndpoint=server.endpoint)
    wrapper.setMethod(POST)
    wrapper.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    wrapper.setQuery(f"INSERT DATA {{ GRAPH <{EX}graph> {{ <{EX}carol> <{EX}name> 'Carol' }} }}")
    assert wrapper.query().response.status == 204
    result: Any = client(server, SELECT, JSON).queryAndConvert()
    assert [b["name"]["value"] for b in result["results"]["bindings"]] == ["Alice", "Bob", "Carol"]
    server.fill(DATA)

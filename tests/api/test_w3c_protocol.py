"""The W3C SPARQL 1.1 Protocol tests (all 34) and Service Description tests, replayed
over HTTP against a real server.

Manifests: ../shared/conformance/sparql11-tests/{protocol,service-description}.
Each protocol test starts from a store holding exactly the graphs its manifest entry
names (data*.nt in ``http://kasei.us/2009/09/sparql/data/dataN.rdf``). Every request
carries the update token, as the suite assumes an endpoint open to updates; the
refusals without it are tested in test_limits.py. Each test that must fail with a 4xx
is also held to the exact status this service gives, so it fails for the right reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from tests.api.live import (
    CONFORMANCE,
    SPARQL11_TESTS,
    TOKEN,
    LiveServer,
    live_server,
    settings_for_tests,
)
from tests.api.w3c_manifest import RDF_TYPES, HttpTest, media_type, read_http_tests, replay
from tests.backends.oxigraph_server import BACKENDS, store_for

PROTOCOL_MANIFEST = SPARQL11_TESTS / "protocol" / "manifest.ttl"
SD_MANIFEST = SPARQL11_TESTS / "service-description" / "manifest.ttl"
SD_VOCABULARY = CONFORMANCE / "service-description-void" / "sparql-service-description.ttl"
MISSING = f"the W3C SPARQL 1.1 test suite is not in {SPARQL11_TESTS} (../shared/conformance)"

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = "http://www.w3.org/ns/formats/"

#: The exact status this service answers each must-fail test with.
EXACT_STATUS = {
    "bad_query_method": 405,               # PUT on /sparql
    "bad_multiple_queries": 400,
    "bad_query_wrong_media_type": 415,     # text/plain
    "bad_query_missing_form_type": 415,    # no Content-Type
    "bad_query_missing_direct_type": 415,
    "bad_query_non_utf8": 415,             # charset=UTF-16
    "bad_query_syntax": 400,
    "bad_update_get": 400,
    "bad_multiple_updates": 400,
    "bad_update_wrong_media_type": 415,
    "bad_update_missing_form_type": 415,
    "bad_update_non_utf8": 415,
    "bad_update_syntax": 400,
    "bad_update_dataset_conflict": 400,    # using-named-graph-uri and WITH together
}


def _protocol_tests() -> list[Any]:
    if not PROTOCOL_MANIFEST.is_file():
        return [pytest.param(None, id="protocol", marks=pytest.mark.skip(reason=MISSING))]
    return [pytest.param(t, id=t.name) for t in read_http_tests(PROTOCOL_MANIFEST)]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request)) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


@pytest.mark.parametrize("test", _protocol_tests())
def test_protocol(test: HttpTest, server: LiveServer, client: httpx.Client) -> None:
    server.fill(graphs={graph: path.read_bytes() for path, graph in test.graph_data})
    replay(test, client, server.url, {"/sparql/": "/sparql"},
           headers={"Authorization": f"Bearer {TOKEN}"},
           exact_status=EXACT_STATUS.get(test.name))


@pytest.mark.skipif(not PROTOCOL_MANIFEST.is_file(), reason=MISSING)
def test_the_protocol_suite_has_34_tests() -> None:
    tests = read_http_tests(PROTOCOL_MANIFEST)
    assert len(tests) == 34
    must_fail = {t.name for t in tests if t.exchanges[0].statuses == ["StatusCode4xx"]}
    assert must_fail == set(EXACT_STATUS)


# -- service description --------------------------------------------------------------


def _sd_tests() -> list[Any]:
    if not SD_MANIFEST.is_file():
        skip = pytest.mark.skip(reason=MISSING)
        return [pytest.param(None, id="service-description", marks=skip)]
    manifest = Graph().parse(SD_MANIFEST, format="turtle")
    names = sorted(str(s).rsplit("#", 1)[-1] for s in manifest.subjects(
        RDF.type, URIRef("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#ServiceDescriptionTest")))
    return [pytest.param(name, id=name) for name in names]


def _description(server: LiveServer, client: httpx.Client, accept: str) -> Graph:
    response = client.get(server.endpoint, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    kind = media_type(response.headers["content-type"])
    assert kind in RDF_TYPES
    return Graph().parse(data=response.content, format=RDF_TYPES[kind])


@pytest.mark.parametrize("name", _sd_tests())
def test_service_description(name: str, server: LiveServer, client: httpx.Client) -> None:
    server.fill(graphs={"http://example.org/g1": b"<http://a> <http://b> <http://c> .\n"})
    description = _description(server, client, "text/turtle")
    if name == "returns-rdf":
        for accept in ("application/rdf+xml", "application/n-triples", "application/ld+json",
                       "*/*"):
            assert len(_description(server, client, accept)) == len(description)
    elif name == "has-endpoint-triple":
        assert (None, SD.endpoint, URIRef(server.endpoint)) in description
    elif name == "conforms-to-schema":
        _check_against_vocabulary(description)
    else:
        pytest.fail(f"unknown service description test {name}")


def _check_against_vocabulary(description: Graph) -> None:
    """Every sd: term used is declared; subjects and objects have the declared classes."""
    if not SD_VOCABULARY.is_file():
        pytest.skip(f"the service description vocabulary is not in {SD_VOCABULARY.parent}")
    vocabulary = Graph().parse(SD_VOCABULARY, format="turtle")
    types = description + vocabulary  # sd:SPARQL11Query a sd:Language is in the vocabulary

    def has_class(node: object, cls: object) -> bool:
        if cls == RDFS.Resource:
            return True
        if str(cls) == FORMATS + "Format":
            return str(node).startswith(FORMATS)
        classes = set(types.objects(node, RDF.type))  # type: ignore[arg-type]
        subclasses = set(vocabulary.transitive_subjects(RDFS.subClassOf, cls))  # type: ignore[arg-type]
        return bool(classes & subclasses)

    for s, p, o in description:
        if p == RDF.type and str(o).startswith(str(SD)):
            assert (o, RDF.type, RDFS.Class) in vocabulary, f"undeclared class {o}"
        if not str(p).startswith(str(SD)):
            continue
        assert (p, RDF.type, RDF.Property) in vocabulary, f"undeclared property {p}"
        for domain in vocabulary.objects(p, RDFS.domain):
            assert has_class(s, domain), f"{s} {p}: the subject is not a {domain}"
        for range_ in vocabulary.objects(p, RDFS.range):
            assert has_class(o, range_), f"{p} {o}: the object is not a {range_}"
    service = description.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    formats = {str(f) for f in description.objects(service, SD.resultFormat)}
    assert {FORMATS + n for n in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD",
                                  "RDF_XML")} <= formats
    assert (service, SD.feature, SD.UnionDefaultGraph) in description
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) in description  # a token is set

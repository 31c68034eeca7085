"""Dereferenceable IRIs: /id/... and /def in every RDF format and as HTML pages."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import ClassVar

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from mipex_kg.graph.namespaces import GRAPH, ID
from mipex_kg.graph.store import KnowledgeStore

from tests.api_ld.conftest import RDFLIB_FORMATS, AppClient, client_for, parse

SWE_2019_OVERALL = "score/mipex-2020/SWE/2019/overall-with-health"
REAL_RESOURCES = ["country/SWE", "score/mipex-2020/SWE/2019/aa1", "indicator/mipex/aa1"]
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # a browser's


def expected_description(store: KnowledgeStore, iri: str) -> rdflib.Graph:
    """The triples of ``iri`` as subject, read straight from the store (no blank nodes here)."""
    found = store.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}")
    return rdflib.Graph().parse(data=found.serialize(format=ox.RdfFormat.N_TRIPLES), format="nt")


def all_formats(client: AppClient, path: str) -> dict[str, rdflib.Graph]:
    graphs = {}
    for media_type in RDFLIB_FORMATS:
        response = client.get(path, headers={"Accept": media_type})
        assert response.status_code == 200, (media_type, response.text)
        assert response.headers["content-type"].split(";")[0] == media_type
        assert "Accept" in response.headers["vary"]
        graphs[media_type] = parse(response.content, media_type)
    return graphs


class TagBalance(HTMLParser):
    """Fails on an end tag that closes nothing open (void elements never close)."""

    VOID: ClassVar[set[str]] = {"meta", "link", "br", "img", "input", "hr", "wbr", "source",
                                "col", "area"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def html_page(client: AppClient, path: str) -> str:
    response = client.get(path, headers={"Accept": HTML_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.text
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    checker = TagBalance()
    checker.feed(text)
    assert checker.open == []
    for media_type in ("text/turtle", "application/ld+json", "application/rdf+xml",
                       "application/n-triples"):
        assert f'<link rel="alternate" type="{media_type}" href="http://testserver' in text
    return text


# -- RDF ------------------------------------------------------------------------------

@pytest.mark.realdata
@pytest.mark.parametrize("path", REAL_RESOURCES)
def test_every_format_gives_the_same_description(
    real_client: AppClient, real_store: KnowledgeStore, path: str
) -> None:
    graphs = all_formats(real_client, f"/id/{path}")
    expected = expected_description(real_store, ID + path)
    assert len(expected) > 5
    for media_type, graph in graphs.items():
        assert isomorphic(graph, expected), media_type


def test_the_ontology_in_every_format_is_the_ontology_graph(
    reference_client: AppClient, reference_store: KnowledgeStore
) -> None:
    graphs = all_formats(reference_client, "/def")
    nt = reference_store.dump(None, ox.RdfFormat.N_TRIPLES, ox.NamedNode(GRAPH + "ontology"))
    expected = rdflib.Graph().parse(data=nt, format="nt")
    assert any(isinstance(o, rdflib.BNode) for o in expected.objects())  # owl:unionOf lists
    for media_type, graph in graphs.items():
        assert isomorphic(graph, expected), media_type
    indicator = rdflib.URIRef("https://w3id.org/mipex-kg/def#Indicator")
    assert (indicator, rdflib.RDF.type, rdflib.OWL.Class) in graphs["text/turtle"]


def test_a_description_follows_blank_nodes(reference_store: KnowledgeStore) -> None:
    reference_store.update(f"""INSERT DATA {{ GRAPH <{GRAPH}test> {{
        <{ID}thing/x> <http://example.org/p>
            [ <http://example.org/q> [ <http://example.org/r> 1 ] ] .
        [ <http://example.org/p> <{ID}thing/x> ] . }} }}""")
    with client_for(reference_store) as client:
        response = client.get("/id/thing/x?format=ntriples")
    graph = parse(response.content, "application/n-triples")
    assert len(graph) == 3  # two levels of blank nodes; the inbound link is not in the CBD
    assert graph.value(rdflib.URIRef(f"{ID}thing/x"), rdflib.URIRef("http://example.org/p"))


def test_format_parameter_and_aliases(reference_client: AppClient) -> None:
    for value, media_type in (("turtle", "text/turtle"), ("jsonld", "application/ld+json"),
                              ("rdfxml", "application/rdf+xml"), ("nt", "application/n-triples"),
                              ("html", "text/html")):
        response = reference_client.get(f"/id/country/SWE?format={value}",
                                        headers={"Accept": "image/png"})
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media_type
    json = reference_client.get("/id/country/SWE", headers={"Accept": "application/json"})
    assert json.headers["content-type"] == "application/json"
    assert parse(json.content, "application/ld+json")


# -- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [HTML_ACCEPT, *RDFLIB_FORMATS, "*/*"])
def test_unknown_iris_are_404_in_every_format(reference_client: AppClient, accept: str) -> None:
    for path in ("/id/country/XXX", "/id/", "/id/indicator/mipex/no-such-code"):
        response = reference_client.get(path, headers={"Accept": accept})
        assert response.status_code == 404, (path, accept)
        assert response.json()["error"] == "not_found"


def test_the_ontology_is_404_when_not_loaded() -> None:
    with client_for(KnowledgeStore()) as client:
        response = client.get("/def", headers={"Accept": "text/turtle"})
    assert response.status_code == 404


@pytest.mark.parametrize(("headers", "query"), [
    ({"Accept": "image/png"}, ""),
    ({"Accept": "text/html;q=0, text/turtle;q=0, */*;q=0"}, ""),
    ({}, "?format=pdf"),
])
def test_an_unacceptable_request_is_406(reference_client: AppClient, headers: dict[str, str],
                                        query: str) -> None:
    for path in ("/id/country/SWE", "/def"):
        response = reference_client.get(path + query, headers=headers)
        assert response.status_code == 406
        assert response.json()["error"] == "not_acceptable"


# -- caching ------------------------------------------------------------------------------

def test_etags_give_304_and_change_with_the_data(
    reference_store: KnowledgeStore, reference_client: AppClient
) -> None:
    for path in ("/id/country/SWE", "/def"):
        first = reference_client.get(path, headers={"Accept": "text/turtle"})
        etag = first.headers["etag"]
        again = reference_client.get(path, headers={"Accept": "text/turtle",
                                                     "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        html = reference_client.get(path, headers={"Accept": "text/html"})
        assert html.headers["etag"] != etag  # the representation is part of the key
        head = reference_client.head(path, headers={"Accept": "text/turtle"})
        assert head.status_code == 200 and head.headers["etag"] == etag and head.content == b""
    old = reference_client.get("/id/country/SWE").headers["etag"]
    reference_store.update(f"INSERT DATA {{ GRAPH <{GRAPH}test> {{ <{ID}country/SWE> "
                           f"<http://example.org/p> 1 }} }}")
    fresh = reference_client.get("/id/country/SWE", headers={"If-None-Match": old})
    assert fresh.status_code == 200 and fresh.headers["etag"] != old


# -- HTML ------------------------------------------------------------------------------

@pytest.mark.realdata
def test_a_country_page_has_its_scores_by_area_and_year(
    real_client: AppClient, real_store: KnowledgeStore
) -> None:
    text = html_page(real_client, "/id/country/SWE")
    assert "<h1>Sweden</h1>" in text
    value = next(iter(real_store.query(
        f"SELECT ?v WHERE {{ <{ID}{SWE_2019_OVERALL}> mkg:score ?v }}")))["v"].value
    scores = text[text.index('<table class="scores">'):text.index("</table>")]
    assert f'href="http://testserver/id/{SWE_2019_OVERALL}" title="{value} ' in scores
    assert f">{round(float(value), 1)}</a>" in scores
    for area in ("Labour Market Mobility", "Family Reunion", "Education", "Health"):
        assert area in scores
    assert ">2007</a>" in scores and ">2019</a>" in scores
    assert "Links to this resource" in text  # inbound links


@pytest.mark.realdata
def test_an_observation_page_has_value_question_and_provenance(real_client: AppClient) -> None:
    text = html_page(real_client, "/id/score/mipex-2020/SWE/2019/aa1")
    assert "<h1>Immediate access to labour market: Sweden, 2019</h1>" in text
    for fact in ('<span class="value" title="50">50</span>', "What categories of foreign",
                 ">Sweden</a>", ">2019</a>", "mipex_core_2007-2019.xlsx",
                 "sheet <strong>SE</strong>", "cell <strong>E36</strong>"):
        assert fact in text, fact


@pytest.mark.realdata
def test_an_indicator_page(real_client: AppClient) -> None:
    text = html_page(real_client, "/id/indicator/mipex/aa1")
    assert "<h1>Immediate access to labour market</h1>" in text
    assert "Residents on family reunion permits" in text
    assert 'href="http://testserver/id/indicator/mipex/a"' in text  # broader: its area


def test_the_ontology_page_lists_classes_and_properties(reference_client: AppClient) -> None:
    text = html_page(reference_client, "/def")
    assert '<article id="Indicator">' in text and '<article id="jurisdiction">' in text
    assert "A concept of an indicator system on which a jurisdiction can be scored" in text
    assert 'href="http://testserver/def#Jurisdiction"' in text


def test_links_follow_the_configured_base_url(reference_store: KnowledgeStore) -> None:
    with client_for(reference_store, base_url="https://kg.example.org/") as client:
        text = client.get("/id/country/SWE", headers={"Accept": "text/html"}).text
    assert 'href="https://kg.example.org/id/country/SWE?format=turtle"' in text
    assert 'href="https://kg.example.org/def#Country"' in text
    assert 'href="http://www.wikidata.org/entity/Q34"' in text  # other IRIs stay as they are


def test_data_cannot_inject_markup(reference_store: KnowledgeStore) -> None:
    reference_store.update(f"""INSERT DATA {{ GRAPH <{GRAPH}test> {{
        <{ID}country/SWE> <http://example.org/note> "<script>alert(1)</script>" ;
                          <http://example.org/see> <javascript:alert(2)> . }} }}""")
    with client_for(reference_store) as client:
        text = client.get("/id/country/SWE", headers={"Accept": "text/html"}).text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="javascript:' not in text

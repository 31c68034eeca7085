"""/.well-known/void: the VoID description, checked against counts made here."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from mipex_kg.graph.namespaces import ID
from mipex_kg.graph.store import KnowledgeStore

from tests.api_ld.conftest import RDFLIB_FORMATS, AppClient, parse

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DATASET = rdflib.URIRef(ID + "dataset/mipex-kg")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture
def void(reference_client: AppClient) -> rdflib.Graph:
    response = reference_client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    return parse(response.content, "text/turtle")


def number(graph: rdflib.Graph, node: rdflib.term.Node, prop: rdflib.URIRef) -> int:
    value = graph.value(node, prop)
    assert isinstance(value, rdflib.Literal), (node, prop)
    return int(value)


def union_triples(store: KnowledgeStore) -> set[ox.Triple]:
    """The union of every graph, as a set (a triple in two graphs counts once)."""
    return {quad.triple for quad in store.oxigraph}


def test_every_format_gives_the_same_description(reference_client: AppClient,
                                                 void: rdflib.Graph) -> None:
    def ground(graph: rdflib.Graph) -> set[tuple[rdflib.term.Node, ...]]:
        return {t for t in graph if not any(isinstance(n, rdflib.BNode) for n in t)}

    for media_type in RDFLIB_FORMATS:
        response = reference_client.get("/.well-known/void", headers={"Accept": media_type})
        assert response.status_code == 200
        graph = parse(response.content, media_type)
        # the partitions are ~200 blank nodes: one full isomorphism check is enough
        assert len(graph) == len(void) and ground(graph) == ground(void), media_type
        if media_type == "application/rdf+xml":
            assert isomorphic(graph, void)


def test_the_counts_are_the_stores(reference_store: KnowledgeStore, void: rdflib.Graph) -> None:
    triples = union_triples(reference_store)
    subjects = {t.subject for t in triples}
    classes: dict[str, set[object]] = defaultdict(set)
    properties: dict[str, int] = defaultdict(int)
    for t in triples:
        properties[t.predicate.value] += 1
        if t.predicate.value == RDF_TYPE:
            classes[str(t.object.value)].add(t.subject)
    entities = {s for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(ID)}
    assert number(void, DATASET, VOID.triples) == len(triples)
    assert number(void, DATASET, VOID.entities) == len(entities)
    assert number(void, DATASET, VOID.distinctSubjects) == len(subjects)
    assert number(void, DATASET, VOID.distinctObjects) == len({t.object for t in triples})
    assert number(void, DATASET, VOID.classes) == len(classes)
    assert number(void, DATASET, VOID.properties) == len(properties)

    by_class = {str(void.value(p, VOID["class"])): number(void, p, VOID.entities)
                for p in void.objects(DATASET, VOID.classPartition)}
    assert by_class == {c: len(members) for c, members in classes.items()}
    by_property = {str(void.value(p, VOID.property)): number(void, p, VOID.triples)
                   for p in void.objects(DATASET, VOID.propertyPartition)}
    assert by_property == properties


def test_one_subset_per_named_graph_with_its_size(reference_store: KnowledgeStore,
                                                  void: rdflib.Graph) -> None:
    subsets = {str(s): number(void, s, VOID.triples) for s in void.objects(DATASET, VOID.subset)}
    assert subsets == reference_store.graph_sizes()
    countries = rdflib.URIRef("https://w3id.org/mipex-kg/graph/curated/countries")
    dumps = {str(d) for d in void.objects(countries, VOID.dataDump)}
    assert dumps == {f"http://testserver/downloads/curated-countries.{ext}"
                     for ext in ("ttl", "nt", "nq", "trig", "rdf", "jsonld")}


def test_access_points_and_vocabularies(reference_client: AppClient, void: rdflib.Graph) -> None:
    space = void.value(DATASET, VOID.uriSpace)
    assert isinstance(space, rdflib.Literal) and str(space) == ID
    assert void.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef("http://testserver/sparql")
    assert set(void.objects(DATASET, VOID.dataDump)) == {
        rdflib.URIRef("http://testserver/downloads/all.nq"),
        rdflib.URIRef("http://testserver/downloads/all.trig")}
    vocabularies = {str(v) for v in void.objects(DATASET, VOID.vocabulary)}
    assert {"http://www.w3.org/2004/02/skos/core#", "https://w3id.org/mipex-kg/def#",
            "http://www.w3.org/2002/07/owl#", "http://purl.org/dc/terms/"} <= vocabularies
    examples = list(void.objects(DATASET, VOID.exampleResource))
    assert len(examples) >= 3
    for example in examples:  # every example dereferences here
        path = str(example).removeprefix(ID)
        response = reference_client.get(f"/id/{path}", headers={"Accept": "text/turtle"})
        assert response.status_code == 200, example
    dumps = [str(d) for d in void.objects(None, VOID.dataDump)]
    for dump in dumps:
        response = reference_client.head(dump.removeprefix("http://testserver"))
        assert response.status_code == 200, dump


def test_void_is_cached_and_answers_304(reference_client: AppClient) -> None:
    first = reference_client.get("/.well-known/void?format=jsonld")
    assert first.headers["content-type"] == "application/ld+json"
    again = reference_client.get("/.well-known/void?format=jsonld",
                                 headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert reference_client.get("/.well-known/void",
                                headers={"Accept": "image/png"}).status_code == 406

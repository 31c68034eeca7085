"""The VoID description of the knowledge graph (what ``/.well-known/void`` returns).

One ``void:Dataset`` for everything the store holds (the union of its graphs, the
default graph queries see), with the statistics VoID defines, counted now: distinct
triples (``void:triples``), entities (distinct subjects under the ``void:uriSpace``
``https://w3id.org/mipex-kg/id/``), classes, properties, distinct subjects and
objects; a class partition per class (``void:class``, ``void:entities``) and a
property partition per property (``void:property``, ``void:triples``); a few
``void:exampleResource``; every vocabulary used (the namespaces of its properties
and classes); the SPARQL endpoint; a ``void:dataDump`` per whole-store download;
and one ``void:subset`` per named graph (the graph's IRI is the subset), with its
own triple count and downloads.

>>> from mipex_kg.graph.store import KnowledgeStore
>>> triples = void_description(KnowledgeStore(), "http://localhost")
>>> ox.Triple(DATASET, VOID.sparqlEndpoint, ox.NamedNode("http://localhost/sparql")) in triples
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from mipex_kg.api.describe import is_known
from mipex_kg.graph.namespaces import DCT, FOAF, ID, RDF, VOID, XSD
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.publish.catalog import WHOLE_GRAPH
from mipex_kg.publish.dumps import graph_downloads, store_downloads

#: The dataset VoID describes: the whole knowledge graph (the same IRI as in the catalogue).
DATASET = WHOLE_GRAPH
URI_SPACE = ID

#: Example resources, when the store has them.
PREFERRED_EXAMPLES = tuple(ID + path for path in (
    "country/SWE", "system/mipex", "edition/mipex-2020", "indicator/mipex/a",
    "indicator/mipex/aa1", "score/mipex-2020/SWE/2019/overall-with-health",
))
#: Otherwise: the first instance (in IRI order) of each of these classes.
_EXAMPLE_CLASSES = (
    "https://w3id.org/mipex-kg/def#Country",
    "https://w3id.org/mipex-kg/def#PolicyArea",
    "https://w3id.org/mipex-kg/def#PolicyIndicator",
    "http://purl.org/linked-data/cube#Observation",
    "https://w3id.org/mipex-kg/def#Edition",
    "https://w3id.org/mipex-kg/def#IndicatorSystem",
)

_TOTALS = """
SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
       (COUNT(DISTINCT ?p) AS ?properties) WHERE { ?s ?p ?o }
"""
_ENTITIES = f"""
SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE {{
  ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{URI_SPACE}"))
}}
"""
_PROPERTIES = """
SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } GROUP BY ?p
"""
_CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
_EXAMPLES = f"""
SELECT ?c (MIN(STR(?s)) AS ?example) WHERE {{
  ?s a ?c FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{URI_SPACE}"))
}} GROUP BY ?c
"""


def void_description(store: QuadStore, service: str) -> list[ox.Triple]:
    """The VoID triples of ``store`` as served at ``service`` (a base URL, no slash at the end).

    Args:
        store: the store (every count is made now: a few seconds on the full data).
        service: the public base URL of the service (for the endpoint and downloads).

    Returns:
        The triples; class and property partitions are blank nodes.
    """
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode,
            o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.append(ox.Triple(s, p, o))

    document = ox.NamedNode(f"{service}/.well-known/void")
    add(document, RDF.type, VOID.DatasetDescription)
    add(document, FOAF.primaryTopic, DATASET)
    add(DATASET, RDF.type, VOID.Dataset)
    add(DATASET, DCT.title, ox.Literal("mipex-kg: migrant-integration policy knowledge graph",
                                       language="en"))
    add(DATASET, VOID.uriSpace, ox.Literal(URI_SPACE))
    add(DATASET, VOID.sparqlEndpoint, ox.NamedNode(f"{service}/sparql"))
    for download in store_downloads():
        add(DATASET, VOID.dataDump, ox.NamedNode(f"{service}/downloads/{download.name}"))

    # the store's graphs, named: the default graph of some engines (Virtuoso) is the
    # union of every graph, the engine's own included
    graphs = store.named_graphs()
    own: dict[str, Any] = {"default_graph": graphs} if graphs else {}
    properties = {row["p"]: _int(row["n"]) for row in store.query(_PROPERTIES, **own)}
    classes = {row["c"]: _int(row["n"]) for row in store.query(_CLASSES, **own)}
    totals = next(iter(store.query(_TOTALS, **own)))
    entities = next(iter(store.query(_ENTITIES, **own)))
    add(DATASET, VOID.triples, _count(sum(properties.values())))
    add(DATASET, VOID.entities, _count(_int(entities["entities"])))
    add(DATASET, VOID.classes, _count(len(classes)))
    add(DATASET, VOID.properties, _count(_int(totals["properties"])))
    add(DATASET, VOID.distinctSubjects, _count(_int(totals["subjects"])))
    add(DATASET, VOID.distinctObjects, _count(_int(totals["objects"])))

    for vocabulary in sorted(_vocabularies([*properties, *classes])):
        add(DATASET, VOID.vocabulary, ox.NamedNode(vocabulary))
    for example in _examples(store):
        add(DATASET, VOID.exampleResource, example)

    for n, (cls, count) in enumerate(sorted(classes.items(), key=lambda kv: str(kv[0]))):
        partition = ox.BlankNode(f"class{n}")
        add(DATASET, VOID.classPartition, partition)
        add(partition, VOID["class"], cls)
        add(partition, VOID.entities, _count(count))
    for n, (prop, count) in enumerate(sorted(properties.items(), key=lambda kv: kv[0].value)):
        partition = ox.BlankNode(f"property{n}")
        add(DATASET, VOID.propertyPartition, partition)
        add(partition, VOID.property, prop)
        add(partition, VOID.triples, _count(count))

    for graph, size in store.graph_sizes().items():
        subset = ox.NamedNode(graph)
        add(DATASET, VOID.subset, subset)
        add(subset, RDF.type, VOID.Dataset)
        add(subset, VOID.triples, _count(size))
        for download in graph_downloads(subset, graphs):
            add(subset, VOID.dataDump, ox.NamedNode(f"{service}/downloads/{download.name}"))
    # each subject's triples together, so Turtle can write them as one block
    first_seen: dict[object, int] = {}
    for triple in out:
        first_seen.setdefault(triple.subject, len(first_seen))
    return sorted(out, key=lambda t: first_seen[t.subject])


def _examples(store: QuadStore) -> list[ox.NamedNode]:
    preferred = [ox.NamedNode(iri) for iri in PREFERRED_EXAMPLES]
    found = [node for node in preferred if is_known(store, node)]
    if found:
        return found
    first = {row["c"]: row["example"].value for row in store.query(_EXAMPLES)}
    return [ox.NamedNode(first[ox.NamedNode(cls)]) for cls in _EXAMPLE_CLASSES
            if ox.NamedNode(cls) in first]


def _vocabularies(terms: Iterable[ox.NamedNode | ox.BlankNode | ox.Literal]) -> set[str]:
    """The namespaces of ``terms`` (up to the last '#' or '/'), outside the data's own IRIs."""
    found = set()
    for term in terms:
        if not isinstance(term, ox.NamedNode) or term.value.startswith(URI_SPACE):
            continue
        cut = max(term.value.rfind("#"), term.value.rfind("/"))
        if cut > len("https://"):
            found.add(term.value[: cut + 1])
    return found


def _int(term: ox.Literal | None) -> int:
    return int(term.value) if term is not None else 0


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD.integer)

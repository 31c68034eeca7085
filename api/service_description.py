"""The SPARQL 1.1 Service Description of the endpoint (what a bare GET on it returns).

It names the endpoint as the client reached it (``sd:endpoint``), the languages it
supports (SPARQL 1.1 Query; Update too when writes are switched on), every result
format it writes (``sd:resultFormat``, IRIs under http://www.w3.org/ns/formats/),
the RDF formats it reads through the Graph Store Protocol (``sd:inputFormat``),
the union default graph (``sd:feature sd:UnionDefaultGraph``), federated queries
(``sd:BasicFederatedQuery``, to the endpoints the settings allow), and the default
dataset with the size of every named graph (``void:triples``).

>>> from mipex_kg.graph.store import KnowledgeStore
>>> triples = service_description(KnowledgeStore(), "http://localhost/sparql", updates=False)
>>> ox.Triple(ox.NamedNode("http://localhost/sparql#service"), SD.endpoint,
...           ox.NamedNode("http://localhost/sparql")) in triples
True
"""

from __future__ import annotations

import pyoxigraph as ox

from mipex_kg.api.formats import FORMATS_NS, GRAPH_INPUT_FORMATS, RDF_FORMATS, RESULT_FORMATS
from mipex_kg.graph.namespaces import RDF, SD, VOID, XSD
from mipex_kg.graph.quad_store import QuadStore

_INPUT_FORMAT_IRIS = {
    ox.RdfFormat.TURTLE: "Turtle",
    ox.RdfFormat.N_TRIPLES: "N-Triples",
    ox.RdfFormat.RDF_XML: "RDF_XML",
    ox.RdfFormat.JSON_LD: "JSON-LD",
    ox.RdfFormat.N3: "N3",
}


def service_description(
    store: QuadStore, endpoint: str, *, updates: bool, federated: bool = False
) -> list[ox.Triple]:
    """The description of the endpoint at ``endpoint`` serving ``store``.

    Args:
        store: the store behind the endpoint (graph sizes are counted now).
        endpoint: the absolute URL of the endpoint, as requested.
        updates: whether SPARQL Update is enabled (a write token is configured).
        federated: whether queries may call other endpoints with SERVICE.
    """
    service = ox.NamedNode(f"{endpoint}#service")
    dataset = ox.NamedNode(f"{endpoint}#dataset")
    default_graph = ox.BlankNode("defaultGraph")
    simple = ox.NamedNode("http://www.w3.org/ns/entailment/Simple")
    languages = [SD.SPARQL11Query, SD.SPARQL11Update] if updates else [SD.SPARQL11Query]
    inputs = dict.fromkeys(_INPUT_FORMAT_IRIS[f] for f in GRAPH_INPUT_FORMATS.values())
    triples = [
        ox.Triple(service, RDF.type, SD.Service),
        ox.Triple(service, SD.endpoint, ox.NamedNode(endpoint)),
        *(ox.Triple(service, SD.supportedLanguage, language) for language in languages),
        ox.Triple(service, SD.feature, SD.UnionDefaultGraph),
        *([ox.Triple(service, SD.feature, SD.BasicFederatedQuery)] if federated else []),
        ox.Triple(service, SD.defaultEntailmentRegime, simple),
        *(ox.Triple(service, SD.resultFormat, ox.NamedNode(f.iri))
          for f in (*RESULT_FORMATS, *RDF_FORMATS)),
        *(ox.Triple(service, SD.inputFormat, ox.NamedNode(FORMATS_NS + name))
          for name in (inputs if updates else ())),
        ox.Triple(service, SD.defaultDataset, dataset),
        ox.Triple(simple, RDF.type, SD.EntailmentRegime),
        ox.Triple(dataset, RDF.type, SD.Dataset),
        ox.Triple(dataset, RDF.type, VOID.Dataset),
        ox.Triple(dataset, SD.defaultGraph, default_graph),
        ox.Triple(default_graph, RDF.type, SD.Graph),
        # the union's size as Oxigraph counts it (a triple in two graphs twice): the
        # store's quads, which on Virtuoso leaves out the engine's own graphs
        ox.Triple(default_graph, VOID.triples, _count(len(store))),
    ]
    sizes = store.graph_sizes()
    entries = [(ox.BlankNode(f"namedGraph{n}"), ox.BlankNode(f"graph{n}"))
               for n in range(len(sizes))]
    triples += [ox.Triple(dataset, SD.namedGraph, entry) for entry, _ in entries]
    for (entry, description), (graph, size) in zip(entries, sizes.items(), strict=True):
        triples += [
            ox.Triple(entry, RDF.type, SD.NamedGraph),
            ox.Triple(entry, SD.name, ox.NamedNode(graph)),
            ox.Triple(entry, SD.graph, description),
            ox.Triple(description, RDF.type, SD.Graph),
            ox.Triple(description, VOID.triples, _count(size)),
        ]
    return triples


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD.integer)

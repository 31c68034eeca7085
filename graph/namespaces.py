"""Vocabulary namespaces, as pyoxigraph ``NamedNode`` factories and plain strings.

``MKG`` is the project's own ontology; everything else is a standard vocabulary
reused on purpose (see docs/model.md for which term is used for what).
"""

from __future__ import annotations

from pyoxigraph import NamedNode

BASE = "https://w3id.org/mipex-kg/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"


class Namespace:
    """An IRI prefix; ``NS.term`` and ``NS["term"]`` give a ``NamedNode``, ``str(NS)`` the IRI.

    Not a ``str`` subclass on purpose: ``DCT.title`` must be the term, not ``str.title``.
    """

    def __init__(self, iri: str) -> None:
        self._iri = iri

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        # Kept as an attribute: the next ``NS.term`` is a plain lookup (loaders ask for
        # the same dozen terms about a million times a load: 1 s of the build step).
        term = NamedNode(self._iri + name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> NamedNode:
        return NamedNode(self._iri + name)

    def __str__(self) -> str:
        return self._iri

    def __repr__(self) -> str:
        return f"Namespace({self._iri!r})"


MKG = Namespace(BASE + "def#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PROV = Namespace("http://www.w3.org/ns/prov#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
EURIO = Namespace("http://data.europa.eu/s66#")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SCHEMA = Namespace("https://schema.org/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
NUTS = Namespace("http://data.europa.eu/nuts/code/")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")

#: Prefixes offered to SPARQL queries and used when serialising Turtle.
PREFIXES: dict[str, str] = {
    "mkg": str(MKG),
    "id": ID,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCT),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "qb": str(QB),
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "sdmx-attribute": str(SDMX_ATTRIBUTE),
    "org": str(ORG),
    "foaf": str(FOAF),
    "eurio": str(EURIO),
    "void": str(VOID),
    "sd": str(SD),
}


def sparql_prologue() -> str:
    """The PREFIX lines for every prefix in ``PREFIXES``."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

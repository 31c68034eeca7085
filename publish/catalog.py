"""The DCAT-AP catalogue of everything the store holds, generated from the store.

``build_catalog(store, base_url)`` reads the store (graphs, editions, load
provenance, observations) and returns the triples of one ``dcat:Catalog``:

* **datasets**: one per edition (``mkg:Edition``, its own IRI), one per other
  ``dcat:Dataset`` the store declares (such as the scores reported in publications),
  one per named graph that is not an edition's workbook graph (the ontology and each
  curated or reference file: ``id:dataset/graph/<slug>``), the original workbook of
  each edition (its ``mkg:SourceFile`` IRI, ``dct:source`` of the edition), and the
  whole knowledge graph (``id:dataset/mipex-kg``);
* **distributions** for each download the service offers, relative to ``base_url``:
  ``/downloads/<graph-slug>.ttl|.nt|.nq|.trig|.rdf|.jsonld`` for each graph (the
  files api/routes/downloads.py serves), ``/downloads/all.nq|.trig`` for
  the whole store, the SPARQL endpoint ``/sparql`` (a ``dcat:DataService``, the
  ``dcat:accessService`` of one distribution per dataset), and the original workbook
  at the address it was fetched from;
* publishers and creators as ``foaf:Agent`` with ``foaf:name``, a ``vcard:Kind``
  contact point for each, themes from the EU data-theme table (SOCI; GOVE for the
  score editions), keywords, temporal coverage (first and last reference year of the
  observations), spatial coverage (the EU country-table and NUTS IRIs of the
  jurisdictions a dataset's observations or statements concern), language, file
  types, frequency, access rights and planned availability from the EU authority
  tables, ``prov:wasGeneratedBy`` the load activity of the graph and ``dct:source``
  the original workbook;
* the rights statement of the MIPEX workbooks exactly as the store holds it
  (``dct:rights``); **no licence**: none is stated for MIPEX, so none is written.

Every object value carries the class DCAT-AP's range shapes expect, and the catalogue
repeats the label and scheme of every authority-table concept it uses (copied from
the curated graph of ``loaders/curated/eu-authority-concepts.ttl``), so it validates
on its own against DCAT-AP 3.0.1 (shapes, range and controlled-vocabulary shapes).
``profile="2.1.1"`` gives the DCAT-AP 2.1.1 view the EU data portal harvests: the same
graph except ``dcat:byteSize``, typed ``xsd:decimal`` there.

``validate_catalog`` runs the official shapes with pySHACL (the files stay in
../shared/conformance; the caller passes their folder).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from mipex_kg import __version__
from mipex_kg.graph.namespaces import (
    DCAT,
    DCT,
    FOAF,
    GRAPH,
    ID,
    MKG,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD,
    Namespace,
)
from mipex_kg.graph.store import KnowledgeStore

DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
COUNTRY_TABLE = AUTHORITY + "country/"
NUTS_CODES = "http://data.europa.eu/nuts/code/"
IANA = "http://www.iana.org/assignments/media-types/"

PROFILES = ("3.0.1", "2.1.1")
SERIALIZATION_PREFIXES = {
    **{p: PREFIXES[p] for p in ("rdf", "rdfs", "xsd", "skos", "dct", "dcat", "prov", "foaf",
                                "mkg")},
    "dcatap": str(DCATAP), "vcard": str(VCARD),
}

THEME_SOCI = ox.NamedNode(AUTHORITY + "data-theme/SOCI")
THEME_GOVE = ox.NamedNode(AUTHORITY + "data-theme/GOVE")
THEME_TAXONOMY = ox.NamedNode(AUTHORITY + "data-theme")
ENGLISH = ox.NamedNode(AUTHORITY + "language/ENG")
IRREGULAR = ox.NamedNode(AUTHORITY + "frequency/IRREG")
UNKNOWN_FREQUENCY = ox.NamedNode(AUTHORITY + "frequency/UNKNOWN")
PUBLIC = ox.NamedNode(AUTHORITY + "access-right/PUBLIC")
AVAILABLE = ox.NamedNode(AUTHORITY + "planned-availability/AVAILABLE")
SPARQL_FILE_TYPE = ox.NamedNode(AUTHORITY + "file-type/SPARQLQ")
SPARQL_PROTOCOL = ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/")

#: Downloads of one graph: extension -> (file-type code, media type, name).
GRAPH_DUMPS = {"ttl": ("RDF_TURTLE", "text/turtle", "Turtle"),
               "nt": ("RDF_N_TRIPLES", "application/n-triples", "N-Triples"),
               "nq": ("RDF_N_QUADS", "application/n-quads", "N-Quads"),
               "trig": ("RDF_TRIG", "application/trig", "TriG"),
               "rdf": ("RDF_XML", "application/rdf+xml", "RDF/XML"),
               "jsonld": ("JSON_LD", "application/ld+json", "JSON-LD")}
#: Downloads of the whole store.
STORE_DUMPS = {"nq": ("RDF_N_QUADS", "application/n-quads", "N-Quads"),
               "trig": ("RDF_TRIG", "application/trig", "TriG")}

CATALOG = ox.NamedNode(ID + "catalog")
WHOLE_GRAPH = ox.NamedNode(ID + "dataset/mipex-kg")
SPARQL_SERVICE = ox.NamedNode(ID + "service/sparql")
PROJECT = ox.NamedNode(ID + "agent/mipex-kg")
PROJECT_NAME = "mipex-kg project"

#: Titles of the project's own graphs (curated files by stem); others get a generic one.
GRAPH_TITLES = {
    "ontology": "mipex-kg ontology, code lists and data structure",
    "curated/countries": "MIPEX countries with their codes and links",
    "curated/regions": "Regions (NUTS) named by the evidence",
    "curated/organisations": "Organisations and research projects",
    "curated/systems": "Indicator systems and their editions",
    "curated/evidence": "Evidence: source texts, publications and reported scores",
    "curated/eu-authority-concepts": "EU authority-table concepts used by mipex-kg",
    "crosswalk": "Crosswalk between the MIPEX 2015 and MIPEX 2020 indicators, with its evidence",
}
EDITION_KEYWORDS = ("MIPEX", "migrant integration", "integration policy", "policy indicators")


def graph_slug(graph: str) -> str:
    """The file-name slug of a named graph: its path after .../graph/, '/' -> '-'.

    >>> graph_slug("https://w3id.org/mipex-kg/graph/curated/countries")
    'curated-countries'
    """
    return graph.removeprefix(GRAPH).strip("/").replace("/", "-")


def _slug(iri: str) -> str:
    return iri.removeprefix(ID).strip("/").replace("/", "-")


def _lit(text: str, lang: str | None = "en") -> ox.Literal:
    return ox.Literal(text, language=lang) if lang else ox.Literal(text)


@dataclass
class _Graph:
    """Triples in insertion order, without repeats."""

    triples: dict[ox.Triple, None] = field(default_factory=dict)

    def add(self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode,
            o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        self.triples[ox.Triple(s, p, o)] = None

    def types(self, node: ox.NamedNode | ox.BlankNode, *classes: ox.NamedNode) -> None:
        for cls in classes:
            self.add(node, RDF.type, cls)


@dataclass
class _Load:
    graph: str
    activity: ox.NamedNode
    started: ox.Literal
    ended: ox.Literal
    label: ox.Literal | None = None
    agent: ox.NamedNode | None = None
    sources: dict[str, dict[str, ox.NamedNode | ox.Literal]] = field(default_factory=dict)


@dataclass
class _Declared:
    """A data set as the store declares it."""

    iri: str
    graph: str
    title: str = ""
    description: str = ""
    publisher: ox.NamedNode | None = None
    rights: ox.NamedNode | None = None
    attributed: list[ox.NamedNode] = field(default_factory=list)


@dataclass
class _Dataset:
    iri: ox.NamedNode
    title: str
    description: str
    publisher: ox.NamedNode
    creators: list[ox.NamedNode] = field(default_factory=list)
    keywords: Sequence[str] = ()
    themes: Sequence[ox.NamedNode] = (THEME_SOCI,)
    frequency: ox.NamedNode = IRREGULAR
    spatial: set[str] = field(default_factory=set)
    years: tuple[int, int] | None = None
    loads: list[_Load] = field(default_factory=list)
    rights: ox.NamedNode | None = None
    source: ox.NamedNode | None = None
    modified: ox.Literal | None = None
    distributions: list[ox.NamedNode] = field(default_factory=list)
    served: bool = True  # served by this service's SPARQL endpoint
    graphs: list[str] = field(default_factory=list)  # named graphs it is downloadable as
    extra: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = field(default_factory=list)


class _Reader:
    """Everything the catalogue needs from the store, read with a few queries."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.sizes = store.graph_sizes()
        self.loads = self._loads()
        self.labels = self._labels()

    def _loads(self) -> dict[str, _Load]:
        loads: dict[str, _Load] = {}
        for row in self.store.query("""
            SELECT ?g ?act ?start ?end ?label ?agent ?src ?title ?sha ?size ?url ?edition
                   ?format ?media WHERE {
              GRAPH ?g {
                ?act a mkg:LoadActivity ; prov:startedAtTime ?start ; prov:endedAtTime ?end .
                OPTIONAL { ?act rdfs:label ?label }
                OPTIONAL { ?act prov:wasAssociatedWith ?agent }
                OPTIONAL {
                  ?act prov:used ?src .
                  OPTIONAL { ?src dct:title ?title } OPTIONAL { ?src mkg:sha256 ?sha }
                  OPTIONAL { ?src dcat:byteSize ?size } OPTIONAL { ?src mkg:originalUrl ?url }
                  OPTIONAL { ?src mkg:edition ?edition } OPTIONAL { ?src dct:format ?format }
                  OPTIONAL { ?src dcat:mediaType ?media }
                }
              }
            } ORDER BY ?g ?end"""):
            graph = row["g"].value
            if graph.startswith(GRAPH + "staging/"):
                continue
            load = loads.get(graph)
            if load is None or load.activity != row["act"]:
                load = loads[graph] = _Load(graph, row["act"], row["start"], row["end"],
                                            row["label"], row["agent"])
            if row["src"] is not None:
                facts = load.sources.setdefault(row["src"].value, {})
                for key in ("title", "sha", "size", "url", "edition", "format", "media"):
                    if row[key] is not None:
                        facts.setdefault(key, row[key])
        return loads

    def _labels(self) -> dict[str, str]:
        """Names of agents and labels of rights statements, by IRI."""
        labels: dict[str, str] = {}
        for row in self.store.query("""
            SELECT ?x ?name WHERE {
              { ?x foaf:name ?name } UNION { ?x skos:prefLabel ?name FILTER(LANG(?name) = "en") }
              UNION { ?x a dct:RightsStatement ; rdfs:label ?name }
            }"""):
            labels.setdefault(row["x"].value, row["name"].value)
        return labels

    def declared(self, editions: bool) -> list[_Declared]:
        """The editions (``mkg:Edition``), or the other data sets the store declares."""
        kind = ("?d a mkg:Edition ." if editions else """?d a dcat:Dataset .
              FILTER NOT EXISTS { ?d a mkg:Edition }""")
        found: dict[str, _Declared] = {}
        for row in self.store.query(f"""
            SELECT ?d ?g ?title ?desc ?publisher ?rights ?attributed WHERE {{
              GRAPH ?g {{ {kind} }}
              OPTIONAL {{ ?d dct:title ?title FILTER(LANG(?title) IN ("en", "")) }}
              OPTIONAL {{ ?d dct:description ?desc FILTER(LANG(?desc) IN ("en", "")) }}
              OPTIONAL {{ ?d dct:publisher ?publisher FILTER(isIRI(?publisher)) }}
              OPTIONAL {{ ?d dct:rights ?rights FILTER(isIRI(?rights)) }}
              OPTIONAL {{ ?d prov:wasAttributedTo ?attributed FILTER(isIRI(?attributed)) }}
            }} ORDER BY ?d ?g ?attributed"""):
            entry = found.setdefault(row["d"].value, _Declared(row["d"].value, row["g"].value))
            entry.title = entry.title or _text(row["title"])
            entry.description = entry.description or _text(row["desc"])
            entry.publisher = entry.publisher or row["publisher"]
            entry.rights = entry.rights or row["rights"]
            if row["attributed"] is not None and row["attributed"] not in entry.attributed:
                entry.attributed.append(row["attributed"])
        return list(found.values())

    def cube_coverage(self) -> tuple[dict[str, set[str]], dict[str, tuple[int, int]]]:
        """Spatial (country-table and NUTS IRIs) and years of each qb:DataSet."""
        places: dict[str, set[str]] = {}
        for row in self.store.query("""
            SELECT DISTINCT ?ds ?place WHERE {
              { SELECT DISTINCT ?ds ?j WHERE { ?obs qb:dataSet ?ds ; mkg:jurisdiction ?j } }
              { ?j skos:exactMatch ?place } UNION { ?j mkg:partOf+/skos:exactMatch ?place }
            }"""):
            places.setdefault(row["ds"].value, set()).add(row["place"].value)
        years: dict[str, tuple[int, int]] = {}
        for row in self.store.query("""
            SELECT ?ds (MIN(?y) AS ?first) (MAX(?y) AS ?last) WHERE {
              { SELECT DISTINCT ?ds ?p WHERE { ?obs qb:dataSet ?ds ; mkg:refPeriod ?p } }
              ?p mkg:year ?y .
            } GROUP BY ?ds"""):
            if row["first"] is not None:
                years[row["ds"].value] = (int(row["first"].value), int(row["last"].value))
        return ({k: _places(v) for k, v in places.items()}, years)

    def graph_places(self) -> dict[str, set[str]]:
        """Spatial coverage of each graph: the places of the jurisdictions it speaks of."""
        places: dict[str, set[str]] = {}
        for row in self.store.query("""
            SELECT DISTINCT ?g ?place WHERE {
              { SELECT DISTINCT ?g ?j WHERE {
                  GRAPH ?g { { ?x dct:spatial ?j } UNION { ?x mkg:jurisdiction ?j }
                             UNION { ?j a ?kind VALUES ?kind { mkg:Country mkg:Region
                                                               mkg:Municipality } } } } }
              { ?j skos:exactMatch ?place } UNION { ?j mkg:partOf+/skos:exactMatch ?place }
            }"""):
            places.setdefault(row["g"].value, set()).add(row["place"].value)
        return {k: _places(v) for k, v in places.items()}

    def concepts(self, iris: Iterable[str]) -> dict[str, tuple[str, str]]:
        """English label and scheme of authority-table concepts, as the store has them."""
        wanted = sorted(set(iris))
        if not wanted:
            return {}
        values = " ".join(f"<{i}>" for i in wanted)
        found: dict[str, tuple[str, str]] = {}
        for row in self.store.query(f"""
            SELECT ?c ?label ?scheme WHERE {{
              VALUES ?c {{ {values} }}
              ?c skos:prefLabel ?label ; skos:inScheme ?scheme .
              FILTER(LANG(?label) = "en")
            }}"""):
            found.setdefault(row["c"].value, (row["label"].value, row["scheme"].value))
        return found

    def scheme_titles(self, iris: Iterable[str]) -> dict[str, str]:
        values = " ".join(f"<{i}>" for i in sorted(set(iris)))
        return {row["s"].value: row["t"].value for row in self.store.query(f"""
            SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s dct:title ?t }}""")}


def _places(iris: set[str]) -> set[str]:
    return {i for i in iris if i.startswith((COUNTRY_TABLE, NUTS_CODES))}


@dataclass
class CatalogBuild:
    """A built catalogue: its triples, the datasets in it, and how long it took."""

    triples: list[ox.Triple]
    datasets: list[str]
    seconds: float
    profile: str

    def serialize(self, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> bytes:
        """The catalogue in any RDF format (dataset formats get it in the default graph)."""
        if fmt.supports_datasets:
            quads = [ox.Quad(t.subject, t.predicate, t.object) for t in self.triples]
            return ox.serialize(quads, format=fmt, prefixes=SERIALIZATION_PREFIXES) or b""
        return ox.serialize(self.triples, format=fmt, prefixes=SERIALIZATION_PREFIXES) or b""


def build_catalog(store: KnowledgeStore, base_url: str, profile: str = "3.0.1") -> CatalogBuild:
    """The DCAT-AP catalogue of the store; downloads and the endpoint under ``base_url``.

    Raises:
        ValueError: unknown profile, or a base URL that is not an absolute http(s) URL.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown DCAT-AP profile {profile!r}; expected {', '.join(PROFILES)}")
    base = base_url.rstrip("/")
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", base):
        raise ValueError(f"not an absolute http(s) base URL: {base_url!r}")
    mark = time.perf_counter()
    reader = _Reader(store)
    out = _Graph()
    datasets = _datasets(reader, base)
    _write(out, reader, datasets, base, profile)
    return CatalogBuild(_by_subject(out.triples), [d.iri.value for d in datasets],
                        time.perf_counter() - mark, profile)


def _by_subject(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Triples grouped by subject (in order of first appearance), for readable output."""
    groups: dict[object, list[ox.Triple]] = {}
    for triple in triples:
        groups.setdefault(triple.subject, []).append(triple)
    return [t for group in groups.values() for t in group]


def _datasets(reader: _Reader, base: str) -> list[_Dataset]:
    cube_places, cube_years = reader.cube_coverage()
    graph_places = reader.graph_places()
    datasets: list[_Dataset] = []
    edition_graphs: dict[str, _Load] = {}
    for graph_load in reader.loads.values():
        for facts in graph_load.sources.values():
            if "edition" in facts:
                edition_graphs[facts["edition"].value] = graph_load

    for edition in reader.declared(editions=True):
        load = edition_graphs.get(edition.iri)
        dataset = _Dataset(
            ox.NamedNode(edition.iri), edition.title or _slug(edition.iri),
            edition.description or f"The edition {_slug(edition.iri)} of an indicator system.",
            edition.publisher or PROJECT, list(edition.attributed), EDITION_KEYWORDS,
            (THEME_SOCI, THEME_GOVE), UNKNOWN_FREQUENCY,
            cube_places.get(edition.iri, set()), cube_years.get(edition.iri),
            [load] if load else [], edition.rights,
        )
        source = None
        if load is not None:
            dataset.modified = load.ended
            dataset.description += (f" In this knowledge graph: the named graph <{load.graph}> "
                                    f"({reader.sizes.get(load.graph, 0)} triples).")
            source = _source_dataset(reader, dataset, load)
            dataset.source = source.iri if source is not None else None
        datasets.append(dataset)
        if source is not None:
            datasets.append(source)

    covered = {load.graph for load in edition_graphs.values()}
    for other in reader.declared(editions=False):
        own = reader.loads.get(other.graph)
        dataset = _Dataset(
            ox.NamedNode(other.iri), other.title or _slug(other.iri),
            (other.description or f"The data set {_slug(other.iri)}.")
            + f" It is held in the named graph <{other.graph}>.",
            other.publisher or PROJECT, list(other.attributed),
            keywords=("migrant integration", "policy indicators", "scores"),
            spatial=cube_places.get(other.iri, set()), years=cube_years.get(other.iri),
            loads=[own] if own else [], rights=other.rights,
        )
        if own is not None:
            dataset.modified = own.ended
        datasets.append(dataset)

    for graph in reader.sizes:
        if graph in covered or graph.startswith(GRAPH + "staging/"):
            continue
        name = graph.removeprefix(GRAPH)
        loaded = reader.loads.get(graph)
        files = [str(f["title"].value) for f in (loaded.sources.values() if loaded else [])
                 if "title" in f]
        title = GRAPH_TITLES.get(name) or (f"{', '.join(files)} (mipex-kg reference data)"
                                           if files else f"Named graph {name}")
        description = (f"The named graph <{graph}> of the mipex-kg knowledge graph: "
                       f"{reader.sizes[graph]} triples"
                       + (f", loaded from {', '.join(files)}" if files else "")
                       + (f" by {loaded.label.value}" if loaded and loaded.label else "") + ".")
        dataset = _Dataset(
            ox.NamedNode(f"{ID}dataset/graph/{graph_slug(graph)}"), title, description, PROJECT,
            keywords=("mipex-kg", "reference data", name.split("/")[-1]),
            spatial=graph_places.get(graph, set()), loads=[loaded] if loaded else [],
            graphs=[graph],
        )
        if loaded is not None:
            dataset.modified = loaded.ended
        datasets.append(dataset)

    parts = [d for d in datasets if d.served]
    rights = {d.rights.value for d in parts if d.rights is not None}
    first = [d.years[0] for d in parts if d.years]
    last = [d.years[1] for d in parts if d.years]
    whole = _Dataset(
        WHOLE_GRAPH, "mipex-kg: migrant-integration policy indicators as linked data",
        "The whole knowledge graph: every named graph of this store (the MIPEX scores of "
        "each edition as RDF Data Cube observations with their provenance, the indicator "
        "systems, jurisdictions, organisations, projects and the evidence that reports or "
        f"uses the scores): {sum(reader.sizes.values())} triples in {len(reader.sizes)} "
        "named graphs.",
        PROJECT, keywords=("MIPEX", "migrant integration", "linked data", "RDF Data Cube"),
        themes=(THEME_SOCI, THEME_GOVE),
        spatial=set().union(*(d.spatial for d in parts)) if parts else set(),
        years=(min(first), max(last)) if first else None,
        loads=[load for load in reader.loads.values()],
        rights=ox.NamedNode(rights.pop()) if len(rights) == 1 else None,
    )
    if reader.loads:
        whole.modified = max((load.ended for load in reader.loads.values()),
                             key=lambda lit: lit.value)
    whole.extra = [(DCT.hasPart, d.iri) for d in parts]
    return [whole, *datasets]


def _text(term: object) -> str:
    return str(term.value) if isinstance(term, ox.Literal) else ""


def _source_dataset(reader: _Reader, edition: _Dataset, load: _Load) -> _Dataset | None:
    """The original workbook of an edition, as a dataset of its own (when its URL is known)."""
    for iri, facts in load.sources.items():
        url = facts.get("url")
        if url is None:
            continue
        name = facts["title"].value if "title" in facts else iri
        size = facts.get("size")
        description = (f"The official workbook {name} as published at {url.value}"
                       + (f" ({size.value} bytes" if size is not None else " (")
                       + (f", sha256 {facts['sha'].value})" if "sha" in facts else ")")
                       + f": the source of \"{edition.title}\" in this knowledge graph.")
        source = _Dataset(
            ox.NamedNode(iri), f"{name}: the original workbook of {edition.title}",
            description, edition.publisher, list(edition.creators), edition.keywords,
            edition.themes, UNKNOWN_FREQUENCY, set(edition.spatial), edition.years,
            rights=edition.rights, served=False)
        source.distributions = [ox.NamedNode(f"{ID}distribution/source/{iri.rsplit('/', 1)[-1]}")]
        return source
    return None


def _write(out: _Graph, reader: _Reader, datasets: list[_Dataset], base: str,
           profile: str) -> None:
    """All triples of the catalogue."""
    concepts: set[str] = {THEME_SOCI.value, THEME_GOVE.value, ENGLISH.value, IRREGULAR.value,
                          UNKNOWN_FREQUENCY.value, PUBLIC.value, AVAILABLE.value,
                          SPARQL_FILE_TYPE.value}
    agents: set[str] = {PROJECT.value}
    rights_used: set[str] = set()
    places: set[str] = set()
    homepage = ox.NamedNode(base + "/")

    # the catalogue
    out.types(CATALOG, DCAT.Catalog)
    out.add(CATALOG, DCT.title, _lit("mipex-kg: migrant-integration policy indicators "
                                     "as linked data"))
    out.add(CATALOG, DCT.description, _lit(
        "The catalogue of the mipex-kg knowledge graph: the MIPEX policy indicator scores of "
        "each edition, the indicator systems adapted from MIPEX, the jurisdictions they "
        "score, and the evidence that reports or uses them, with their downloads and the "
        "SPARQL endpoint that serves them. Generated from the store itself."))
    out.add(CATALOG, DCT.publisher, PROJECT)
    out.add(CATALOG, DCT.language, ENGLISH)
    out.add(CATALOG, FOAF.homepage, homepage)
    out.types(homepage, FOAF.Document)
    out.add(CATALOG, DCAT.themeTaxonomy, THEME_TAXONOMY)
    out.types(THEME_TAXONOMY, SKOS.ConceptScheme)
    out.add(CATALOG, DCAT.service, SPARQL_SERVICE)
    if reader.loads:
        out.add(CATALOG, DCT.issued, min((load.started for load in reader.loads.values()),
                                         key=lambda lit: lit.value))
        out.add(CATALOG, DCT.modified, max((load.ended for load in reader.loads.values()),
                                           key=lambda lit: lit.value))
    for dataset in datasets:
        out.add(CATALOG, DCAT.dataset, dataset.iri)
        places |= dataset.spatial
    for place in sorted(places):
        out.add(CATALOG, DCT.spatial, ox.NamedNode(place))

    # the SPARQL endpoint
    endpoint = ox.NamedNode(base + "/sparql")
    out.types(SPARQL_SERVICE, DCAT.DataService)
    out.add(SPARQL_SERVICE, DCT.title, _lit("mipex-kg SPARQL endpoint"))
    out.add(SPARQL_SERVICE, DCT.description, _lit(
        "SPARQL 1.1 Protocol endpoint over the union of every named graph of the knowledge "
        "graph (read-only); a GET without a query returns its service description."))
    out.add(SPARQL_SERVICE, DCAT.endpointURL, endpoint)
    out.add(SPARQL_SERVICE, DCAT.endpointDescription, endpoint)
    out.add(SPARQL_SERVICE, DCT.conformsTo, SPARQL_PROTOCOL)
    out.types(SPARQL_PROTOCOL, DCT.Standard)
    out.add(SPARQL_PROTOCOL, DCT.title, _lit("SPARQL 1.1 Protocol"))
    out.add(SPARQL_SERVICE, DCT.publisher, PROJECT)
    out.add(SPARQL_SERVICE, DCAT.contactPoint, _contact(PROJECT))
    out.add(SPARQL_SERVICE, DCAT.theme, THEME_SOCI)
    out.add(SPARQL_SERVICE, DCAT.keyword, _lit("SPARQL"))
    out.add(SPARQL_SERVICE, DCAT.keyword, _lit("linked data"))
    out.add(SPARQL_SERVICE, DCT.accessRights, PUBLIC)
    for dataset in datasets:
        if dataset.served:
            out.add(SPARQL_SERVICE, DCAT.servesDataset, dataset.iri)

    for dataset in datasets:
        _write_dataset(out, reader, dataset, base, profile, endpoint)
        agents.add(dataset.publisher.value)
        agents.update(c.value for c in dataset.creators)
        if dataset.rights is not None:
            rights_used.add(dataset.rights.value)

    # agents and their contact points
    homepages = _agent_homepages(reader, datasets)
    for agent in sorted(agents):
        node = ox.NamedNode(agent)
        name = PROJECT_NAME if node == PROJECT else reader.labels.get(agent, _slug(agent))
        out.types(node, FOAF.Agent)
        out.add(node, FOAF.name, ox.Literal(name))
        contact = _contact(node)
        out.types(contact, VCARD.Kind, VCARD.Organization)
        out.add(contact, VCARD.fn, ox.Literal(name))
        url = homepage if node == PROJECT else homepages.get(agent)
        if url is not None:
            out.add(contact, VCARD.hasURL, url)

    # rights statements, exactly as the store words them
    for rights in sorted(rights_used):
        node = ox.NamedNode(rights)
        out.types(node, DCT.RightsStatement)
        if rights in reader.labels:
            out.add(node, RDFS.label, _lit(reader.labels[rights]))

    # places: country table and NUTS
    for place in sorted(places):
        out.types(ox.NamedNode(place), DCT.Location)
    concepts |= {p for p in places if p.startswith(COUNTRY_TABLE)}

    # every authority-table concept used: its class for DCAT-AP, label and scheme
    for triple in list(out.triples):
        value = triple.object
        if (isinstance(value, ox.NamedNode) and value.value.startswith(AUTHORITY)
                and triple.predicate != RDF.type):
            concepts.add(value.value)
    concepts.discard(THEME_TAXONOMY.value)
    known = reader.concepts(concepts)
    for iri in sorted(concepts):
        node = ox.NamedNode(iri)
        if iri not in known:
            continue  # the shapes then report it: the curated concepts file lacks it
        label, scheme = known[iri]
        out.types(node, SKOS.Concept)
        out.add(node, SKOS.prefLabel, _lit(label))
        out.add(node, SKOS.inScheme, ox.NamedNode(scheme))
        table = iri.removeprefix(AUTHORITY).split("/")[0]
        role = {"language": DCT.LinguisticSystem, "frequency": DCT.Frequency,
                "file-type": DCT.MediaTypeOrExtent, "access-right": DCT.RightsStatement}
        if table in role:
            out.types(node, role[table])
    for scheme, title in reader.scheme_titles([THEME_TAXONOMY.value]).items():
        out.add(ox.NamedNode(scheme), DCT.title, _lit(title))


def _contact(agent: ox.NamedNode) -> ox.NamedNode:
    return ox.NamedNode(f"{ID}contact/{agent.value.rstrip('/').rsplit('/', 1)[-1]}")


def _agent_homepages(reader: _Reader, datasets: list[_Dataset]) -> dict[str, ox.NamedNode]:
    """The site an agent publishes its workbooks on (from the workbooks' original URLs)."""
    sites: dict[str, ox.NamedNode] = {}
    for dataset in datasets:
        for load in dataset.loads:
            for facts in load.sources.values():
                if "url" in facts:
                    parts = urlsplit(facts["url"].value)
                    sites.setdefault(dataset.publisher.value,
                                     ox.NamedNode(f"{parts.scheme}://{parts.netloc}/"))
    return sites


def _write_dataset(out: _Graph, reader: _Reader, d: _Dataset, base: str, profile: str,
                   endpoint: ox.NamedNode) -> None:
    out.types(d.iri, DCAT.Dataset)
    out.add(d.iri, DCT.title, _lit(d.title))
    out.add(d.iri, DCT.description, _lit(d.description))
    out.add(d.iri, DCT.publisher, d.publisher)
    for creator in d.creators:
        out.add(d.iri, DCT.creator, creator)
    out.add(d.iri, DCAT.contactPoint, _contact(d.publisher))
    for keyword in d.keywords:
        out.add(d.iri, DCAT.keyword, _lit(keyword))
    for theme in d.themes:
        out.add(d.iri, DCAT.theme, theme)
    out.add(d.iri, DCT.language, ENGLISH)
    out.add(d.iri, DCT.accrualPeriodicity, d.frequency)
    out.add(d.iri, DCT.accessRights, PUBLIC)
    for place in sorted(d.spatial):
        out.add(d.iri, DCT.spatial, ox.NamedNode(place))
    if d.years is not None:
        period = ox.BlankNode()
        out.add(d.iri, DCT.temporal, period)
        out.types(period, DCT.PeriodOfTime)
        out.add(period, DCAT.startDate, ox.Literal(str(d.years[0]), datatype=XSD.gYear))
        out.add(period, DCAT.endDate, ox.Literal(str(d.years[1]), datatype=XSD.gYear))
    if d.rights is not None:
        out.add(d.iri, DCT.rights, d.rights)
    if d.modified is not None:
        out.add(d.iri, DCT.modified, d.modified)
    if d.source is not None:
        out.add(d.iri, DCT.source, d.source)
    for predicate, value in d.extra:
        out.add(d.iri, predicate, value)
    for load in d.loads:
        _write_load(out, load)
        out.add(d.iri, PROV.wasGeneratedBy, load.activity)

    # distributions
    if not d.served:
        for load_source in d.distributions:
            _write_source_distribution(out, reader, d, load_source, profile)
        return
    if d.iri == WHOLE_GRAPH:
        for ext, (code, media, name) in STORE_DUMPS.items():
            _write_download(out, d, f"{base}/downloads/all.{ext}", f"all.{ext}", code, media,
                            f"The whole store (every named graph) as {name}.")
    else:
        graphs = d.graphs or ([load.graph for load in d.loads]
                              if d.iri.value.startswith(ID + "edition/") else [])
        for graph in graphs:
            slug = graph_slug(graph)
            for ext, (code, media, name) in GRAPH_DUMPS.items():
                _write_download(out, d, f"{base}/downloads/{slug}.{ext}", f"{slug}.{ext}",
                                code, media, f"The named graph <{graph}> as {name} "
                                f"({reader.sizes.get(graph, 0)} triples).")
    sparql = ox.NamedNode(f"{ID}distribution/{_slug(d.iri.value)}/sparql")
    out.add(d.iri, DCAT.distribution, sparql)
    out.types(sparql, DCAT.Distribution)
    out.add(sparql, DCT.title, _lit(f"SPARQL endpoint ({d.title})"))
    out.add(sparql, DCT.description, _lit(
        "Query this data set, together with the rest of the knowledge graph, at the SPARQL "
        "endpoint (SPARQL 1.1 Protocol; results in every standard format)."))
    out.add(sparql, DCAT.accessURL, endpoint)
    out.add(sparql, DCAT.accessService, SPARQL_SERVICE)
    out.add(sparql, DCT.format, SPARQL_FILE_TYPE)
    out.add(sparql, DCATAP.availability, AVAILABLE)
    if d.rights is not None:
        out.add(sparql, DCT.rights, d.rights)


def _write_load(out: _Graph, load: _Load) -> None:
    out.types(load.activity, PROV.Activity)
    out.add(load.activity, PROV.startedAtTime, load.started)
    out.add(load.activity, PROV.endedAtTime, load.ended)
    if load.label is not None:
        out.add(load.activity, RDFS.label, load.label)
    if load.agent is not None:
        out.add(load.activity, PROV.wasAssociatedWith, load.agent)
        out.types(load.agent, PROV.SoftwareAgent)
        out.add(load.agent, RDFS.label, ox.Literal(f"mipex-kg {__version__}")
                if load.agent.value.endswith("/" + __version__) else
                ox.Literal(load.agent.value.rsplit("/", 1)[-1]))
    for iri, facts in load.sources.items():
        source = ox.NamedNode(iri)
        out.add(load.activity, PROV.used, source)
        out.types(source, PROV.Entity)
        if "title" in facts:
            out.add(source, DCT.title, facts["title"])
        if "sha" in facts:
            out.add(source, MKG.sha256, facts["sha"])


def _write_download(out: _Graph, d: _Dataset, url: str, name: str, code: str, media: str,
                    description: str) -> None:
    node = ox.NamedNode(f"{ID}distribution/{name}")
    out.add(d.iri, DCAT.distribution, node)
    out.types(node, DCAT.Distribution)
    out.add(node, DCT.title, _lit(f"Download {name}"))
    out.add(node, DCT.description, _lit(description))
    out.add(node, DCAT.accessURL, ox.NamedNode(url))
    out.add(node, DCAT.downloadURL, ox.NamedNode(url))
    out.add(node, DCT.format, ox.NamedNode(AUTHORITY + "file-type/" + code))
    media_type = ox.NamedNode(IANA + media)
    out.add(node, DCAT.mediaType, media_type)
    out.types(media_type, DCT.MediaType)
    out.add(node, DCATAP.availability, AVAILABLE)
    if d.rights is not None:
        out.add(node, DCT.rights, d.rights)


def _write_source_distribution(out: _Graph, reader: _Reader, d: _Dataset,
                               node: ox.NamedNode, profile: str) -> None:
    facts: dict[str, ox.NamedNode | ox.Literal] = {}
    for load in reader.loads.values():
        facts = load.sources.get(d.iri.value, facts) or facts
    url = facts.get("url")
    if url is None:
        return
    out.add(d.iri, DCAT.distribution, node)
    out.types(node, DCAT.Distribution)
    name = facts["title"].value if "title" in facts else d.iri.value
    out.add(node, DCT.title, _lit(f"{name} (original workbook)"))
    out.add(node, DCT.description, _lit(
        f"The workbook as its publisher offers it for download; the copy this knowledge graph "
        f"loaded had sha256 {facts['sha'].value if 'sha' in facts else 'unknown'}."))
    out.add(node, DCAT.accessURL, url)
    out.add(node, DCAT.downloadURL, url)
    if "format" in facts:
        out.add(node, DCT.format, facts["format"])
    if "media" in facts:
        out.add(node, DCAT.mediaType, facts["media"])
        out.types(facts["media"], DCT.MediaType)  # type: ignore[arg-type]
    if "size" in facts:
        size = facts["size"].value
        datatype = XSD.decimal if profile == "2.1.1" else XSD.nonNegativeInteger
        out.add(node, DCAT.byteSize, ox.Literal(size, datatype=datatype))
    out.add(node, DCATAP.availability, AVAILABLE)
    if d.rights is not None:
        out.add(node, DCT.rights, d.rights)


# -- validation with the official shapes -------------------------------------------------

SHAPE_FILES = {
    "3.0.1": ("html-shacl/shapes.ttl", "html-shacl/range.ttl",
              "html-shacl/mdr-vocabularies.shape.ttl"),
    "2.1.1": ("dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap_2.1.1_shacl_range.ttl",
              "dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl"),
}
RECOMMENDED_FILES = {"3.0.1": "html-shacl/shapes_recommended.ttl",
                     "2.1.1": "dcat-ap_2.1.1_shacl_shapes_recommended.ttl"}


@dataclass(frozen=True)
class ShapeResult:
    severity: str  # Violation, Warning, Info
    focus: str
    path: str
    message: str
    source: str  # which shapes file

    def describe(self) -> str:
        return f"{self.severity}: <{self.focus}> {self.path}: {self.message} [{self.source}]"


@dataclass
class CatalogValidation:
    profile: str
    results: list[ShapeResult]
    seconds: float

    @property
    def violations(self) -> list[ShapeResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ShapeResult]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def to_text(self, max_lines: int = 40) -> str:
        lines = [f"DCAT-AP {self.profile}: "
                 + ("conforms" if self.conforms else f"{len(self.violations)} violations")
                 + f", {len(self.warnings)} warnings ({self.seconds:.2f} s)"]
        shown = self.violations + self.warnings
        lines.extend("  " + r.describe() for r in shown[:max_lines])
        if len(shown) > max_lines:
            lines.append(f"  ... and {len(shown) - max_lines} more")
        return "\n".join(lines)


def validate_catalog(build: CatalogBuild, dcat_ap_dir: Path,
                     recommended: bool = True) -> CatalogValidation:
    """Validate a built catalogue with the official DCAT-AP shapes of its profile.

    Args:
        build: the catalogue.
        dcat_ap_dir: the folder holding the profile folders (``3.0.1/``, ``2.1.1/``),
            e.g. ../shared/conformance/dcat-ap.
        recommended: also run the recommended-properties shapes (warnings).
    """
    import rdflib
    from pyshacl import validate

    mark = time.perf_counter()
    folder = Path(dcat_ap_dir) / build.profile
    data = rdflib.Graph()
    data.parse(data=build.serialize(ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    files = list(SHAPE_FILES[build.profile])
    if recommended:
        files.append(RECOMMENDED_FILES[build.profile])
    results: list[ShapeResult] = []
    for name in files:
        shapes = rdflib.Graph().parse(folder / name, format="turtle")
        _, report, _ = validate(data, shacl_graph=shapes, inference="none",
                                abort_on_first=False, allow_warnings=True)
        results.extend(_results(report, name))
    return CatalogValidation(build.profile, results, time.perf_counter() - mark)


def _results(report: object, source: str) -> list[ShapeResult]:
    import rdflib

    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    graph: rdflib.Graph = report  # type: ignore[assignment]
    found = []
    # top-level results only: nested ones (sh:detail of an sh:node / sh:or failure) are
    # typed sh:ValidationResult too, but carry the severity of the inner shape
    top = {r for report_node in graph.subjects(rdflib.RDF.type, SH.ValidationReport)
           for r in graph.objects(report_node, SH.result)}
    for result in top:
        severity = str(graph.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        path = graph.value(result, SH.resultPath)
        found.append(ShapeResult(
            severity, str(graph.value(result, SH.focusNode)),
            path.n3(graph.namespace_manager) if path is not None else "",
            str(graph.value(result, SH.resultMessage) or ""), source))
    return sorted(set(found), key=lambda r: (r.severity, r.focus, r.path, r.message))

"""The ontology (ontology/*.ttl) and the SHACL shapes (shapes/*.ttl).

Checks that both parse, that every term of our own is labelled and defined, that
the shapes stay within the SHACL subset the project's own validator supports, that
the data structure definition is sound, and that pyshacl accepts a small graph
written exactly as docs/model.md says and rejects each of several broken variants
for the expected reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

MKG = Namespace("https://w3id.org/mipex-kg/def#")
ID = Namespace("https://w3id.org/mipex-kg/id/")
SH = Namespace("http://www.w3.org/ns/shacl#")
QB = Namespace("http://purl.org/linked-data/cube#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
VANN = Namespace("http://purl.org/vocab/vann/")
DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

ONTOLOGY_IRI = URIRef("https://w3id.org/mipex-kg/def")
DSD = ID["dsd/mipex-scores"]
MODEL_MD = Path(__file__).resolve().parents[1] / "docs" / "model.md"
DATACUBE = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "datacube"

# The SHACL vocabulary the project's SPARQL-compiling validator understands.
ALLOWED_SH_PREDICATES = {
    SH[name]
    for name in (
        "targetClass targetSubjectsOf targetObjectsOf targetNode property path inversePath "
        "minCount maxCount datatype class nodeKind minInclusive maxInclusive pattern in "
        "hasValue languageIn message severity"
    ).split()
}


def _ttl_files(package: str) -> list[str]:
    return sorted(
        entry.name for entry in files(package).iterdir() if entry.name.endswith(".ttl")
    )


def _load(package: str) -> Graph:
    graph = Graph()
    for name in _ttl_files(package):
        graph.parse(data=files(package).joinpath(name).read_text("utf-8"), format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _load("mipex_kg.ontology")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return _load("mipex_kg.shapes")


# --------------------------------------------------------------------------
# Parsing and documentation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "name"),
    [("mipex_kg.ontology", n) for n in ("mipex-kg.ttl", "mipex-kg-dsd.ttl", "code-lists.ttl")]
    + [("mipex_kg.shapes", n) for n in ("mipex-kg-shapes.ttl", "evidence-shapes.ttl")],
)
def test_data_file_parses(package: str, name: str) -> None:
    graph = Graph().parse(data=files(package).joinpath(name).read_text("utf-8"), format="turtle")
    assert len(graph) > 0


def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert ontology.value(ONTOLOGY_IRI, DCT.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert ontology.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("mkg")
    assert ontology.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri) == Literal(str(MKG))
    for prop in (DCT.title, DCT.description):
        assert ontology.value(ONTOLOGY_IRI, prop).language == "en"


def _own_terms(ontology: Graph) -> set[URIRef]:
    return {
        s
        for s in ontology.subjects()
        if isinstance(s, URIRef) and s.startswith(str(MKG))
    }


def _english(graph: Graph, subject: URIRef, prop: URIRef) -> list[Literal]:
    return [
        o for o in graph.objects(subject, prop) if isinstance(o, Literal) and o.language == "en"
    ]


def test_every_own_term_is_labelled_defined_and_attributed(ontology: Graph) -> None:
    terms = _own_terms(ontology)
    assert len(terms) > 40
    problems = [
        f"{term}: {what}"
        for term in sorted(terms)
        for what, ok in (
            ("rdfs:label@en", _english(ontology, term, RDFS.label)),
            ("skos:definition@en", _english(ontology, term, SKOS.definition)),
            ("rdfs:isDefinedBy", (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in ontology),
        )
        if not ok
    ]
    assert problems == []


def test_every_mkg_term_of_the_model_is_defined(ontology: Graph) -> None:
    used = set(re.findall(r"\bmkg:([A-Za-z][A-Za-z0-9]*)", MODEL_MD.read_text("utf-8")))
    assert {"Indicator", "score", "jurisdiction", "SourceFile"} <= used
    missing = sorted(
        name
        for name in used
        if not _english(ontology, MKG[name], RDFS.label)
        or not _english(ontology, MKG[name], SKOS.definition)
    )
    assert missing == []


def test_every_mkg_term_of_the_shapes_is_defined(ontology: Graph, shapes: Graph) -> None:
    used = {
        o
        for s, p, o in shapes
        if isinstance(o, URIRef) and o.startswith(str(MKG))
    } | {p for p in shapes.objects(None, SH.path) if p.startswith(str(MKG))}
    assert sorted(t for t in used if (t, RDFS.label, None) not in ontology) == []


@pytest.mark.parametrize(
    ("subject", "expected_type"),
    [
        (MKG.Country, MKG.Jurisdiction),
        (MKG.Region, MKG.Jurisdiction),
        (MKG.Municipality, MKG.Jurisdiction),
        (MKG.Jurisdiction, DCT.Location),
        (MKG.SubIndicator, MKG.Indicator),
        (MKG.PolicyIndicator, MKG.Indicator),
        (MKG.PolicyArea, MKG.Indicator),
        (MKG.OverallIndicator, MKG.Indicator),
        (MKG.Indicator, SKOS.Concept),
        (MKG.IndicatorSystem, SKOS.ConceptScheme),
        (MKG.Edition, QB.DataSet),
        (MKG.ReferencePeriod, DCT.PeriodOfTime),
        (MKG.SourceFile, PROV.Entity),
        (MKG.LoadActivity, PROV.Activity),
        (MKG.GovernanceSystemElement, MKG.Indicator),
        (MKG.GovernanceProcessStage, MKG.Indicator),
        (MKG.TargetPopulation, MKG.Indicator),
        (MKG.ClassificationAxis, SKOS.Collection),
        (MKG.ReportedObservation, QB.Observation),
        (MKG.ReportedDataSet, QB.DataSet),
    ],
)
def test_class_hierarchy(ontology: Graph, subject: URIRef, expected_type: URIRef) -> None:
    assert (subject, RDFS.subClassOf, expected_type) in ontology


def test_components_are_typed_and_anchored_to_sdmx(ontology: Graph) -> None:
    sdmx_dim = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
    sdmx_measure = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
    assert (MKG.jurisdiction, RDFS.subPropertyOf, sdmx_dim.refArea) in ontology
    assert (MKG.refPeriod, RDFS.subPropertyOf, sdmx_dim.refPeriod) in ontology
    assert (MKG.score, RDFS.subPropertyOf, sdmx_measure.obsValue) in ontology
    assert ontology.value(MKG.score, RDFS.range) == XSD.decimal
    assert (MKG.comment, RDF.type, QB.AttributeProperty) in ontology


# --------------------------------------------------------------------------
# The data structure definition (W3C Data Cube integrity constraints)
# --------------------------------------------------------------------------


def _components(ontology: Graph) -> dict[URIRef, tuple[URIRef, object, object]]:
    """Component property -> (kind, qb:order, qb:componentRequired)."""
    found = {}
    for spec in ontology.objects(DSD, QB.component):
        for kind in (QB.dimension, QB.measure, QB.attribute):
            prop = ontology.value(spec, kind)
            if prop is not None:
                order = ontology.value(spec, QB.order)
                required = ontology.value(spec, QB.componentRequired)
                found[prop] = (
                    kind,
                    order.toPython() if order is not None else None,
                    required.toPython() if required is not None else None,
                )
    return found


def test_dsd_components(ontology: Graph) -> None:
    assert (DSD, RDF.type, QB.DataStructureDefinition) in ontology
    assert _components(ontology) == {
        MKG.jurisdiction: (QB.dimension, 1, None),
        MKG.indicator: (QB.dimension, 2, None),
        MKG.refPeriod: (QB.dimension, 3, None),
        MKG.score: (QB.measure, None, None),
        SDMX_ATTRIBUTE.unitMeasure: (QB.attribute, None, True),
        SDMX_ATTRIBUTE.obsStatus: (QB.attribute, None, True),
        MKG.comment: (QB.attribute, None, False),
    }


def test_dsd_components_are_declared_with_their_kind(ontology: Graph) -> None:
    kind_class = {
        QB.dimension: QB.DimensionProperty,
        QB.measure: QB.MeasureProperty,
        QB.attribute: QB.AttributeProperty,
    }
    for prop, (kind, _, _) in _components(ontology).items():
        assert (prop, RDF.type, kind_class[kind]) in ontology, prop
        if kind == QB.dimension:  # IC-4; IC-5 (no skos:Concept range without a code list)
            assert ontology.value(prop, RDFS.range) not in (None, SKOS.Concept), prop


def test_code_lists(ontology: Graph) -> None:
    scheme = ID.status
    statuses = {ID["status/published"], ID["status/recomputed"], ID["status/reported"]}
    assert set(ontology.objects(scheme, SKOS.hasTopConcept)) == statuses
    for concept in statuses | {ID["unit/points-0-100"]}:
        assert (concept, RDF.type, SKOS.Concept) in ontology
        assert _english(ontology, concept, SKOS.prefLabel), concept
        assert _english(ontology, concept, SKOS.definition), concept
    assert ontology.value(ID["unit/points-0-100"], SKOS.prefLabel) == Literal(
        "points on a 0-100 scale", lang="en"
    )


# --------------------------------------------------------------------------
# The shapes themselves
# --------------------------------------------------------------------------


def test_every_property_shape_has_a_message_and_severity(shapes: Graph) -> None:
    property_shapes = set(shapes.objects(None, SH.property))
    assert len(property_shapes) > 50
    for shape in property_shapes:
        path = shapes.value(shape, SH.path)
        assert _english(shapes, shape, SH.message), f"no sh:message@en on the shape of {path}"
        assert shapes.value(shape, SH.severity) == SH.Violation, path


def test_shapes_use_only_the_supported_shacl_subset(shapes: Graph) -> None:
    used = {p for p in shapes.predicates() if p.startswith(str(SH))}
    assert used - ALLOWED_SH_PREDICATES == set()
    for path in shapes.objects(None, SH.path):
        assert isinstance(path, URIRef) or (
            isinstance(path, BNode)
            and isinstance(shapes.value(path, SH.inversePath), URIRef)
        ), path


@pytest.mark.parametrize(
    "target",
    [
        QB.Observation, MKG.Indicator, MKG.SubIndicator, MKG.PolicyIndicator, MKG.PolicyArea,
        MKG.OverallIndicator, MKG.Jurisdiction, MKG.Country, MKG.Region, MKG.Municipality,
        MKG.ReferencePeriod, MKG.SourceFile, MKG.LoadActivity, MKG.Edition,
        MKG.IndicatorSystem, URIRef("http://www.w3.org/ns/org#Organization"),
        MKG.ResearchProject, MKG.Publication, MKG.RankingStatement, MKG.Assessment,
        MKG.ClassificationAxis, MKG.ReportedObservation, MKG.ReportedDataSet,
    ],
)
def test_every_kind_of_resource_has_a_shape(shapes: Graph, target: URIRef) -> None:
    assert (None, SH.targetClass, target) in shapes


# --------------------------------------------------------------------------
# Validation of a sample written as docs/model.md says
# --------------------------------------------------------------------------

SHA = "0" * 63 + "a"

SAMPLE = f"""
@prefix mkg: <https://w3id.org/mipex-kg/def#> .
@prefix country: <https://w3id.org/mipex-kg/id/country/> .
@prefix dsd: <https://w3id.org/mipex-kg/id/dsd/> .
@prefix edition: <https://w3id.org/mipex-kg/id/edition/> .
@prefix mipex: <https://w3id.org/mipex-kg/id/indicator/mipex/> .
@prefix organisation: <https://w3id.org/mipex-kg/id/organisation/> .
@prefix period: <https://w3id.org/mipex-kg/id/period/> .
@prefix project: <https://w3id.org/mipex-kg/id/project/> .
@prefix publication: <https://w3id.org/mipex-kg/id/publication/> .
@prefix region: <https://w3id.org/mipex-kg/id/region/> .
@prefix source: <https://w3id.org/mipex-kg/id/source/> .
@prefix status: <https://w3id.org/mipex-kg/id/status/> .
@prefix system: <https://w3id.org/mipex-kg/id/system/> .
@prefix unit: <https://w3id.org/mipex-kg/id/unit/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix eurio: <http://data.europa.eu/s66#> .

system:mipex a mkg:IndicatorSystem, skos:ConceptScheme ;
    skos:prefLabel "Migrant Integration Policy Index (MIPEX)"@en ;
    mkg:level mkg:NationalLevel ;
    dct:creator organisation:mpg, organisation:cidob .
system:mipex-r a mkg:IndicatorSystem, skos:ConceptScheme ;
    skos:prefLabel "MIPEX-R"@en ; mkg:level mkg:RegionalLevel ; mkg:adaptedFrom system:mipex .

edition:mipex-2020 a mkg:Edition, qb:DataSet, dcat:Dataset ;
    mkg:editionOf system:mipex ; qb:structure dsd:mipex-scores ;
    dct:title "MIPEX 2020: policy indicator scores 2007-2019"@en ;
    prov:wasAttributedTo organisation:mpg, organisation:cidob ;
    dct:publisher organisation:mpg .

mipex:a a mkg:PolicyArea, skos:Concept ;
    skos:inScheme system:mipex ; skos:topConceptOf system:mipex ;
    skos:notation "a" ; skos:prefLabel "Labour market mobility"@en .
mipex:overall-with-health a mkg:OverallIndicator, skos:Concept ;
    skos:inScheme system:mipex ; skos:topConceptOf system:mipex ;
    skos:notation "overall-with-health" ; skos:prefLabel "Overall score with health"@en .
mipex:aa1 a mkg:PolicyIndicator, skos:Concept ;
    skos:inScheme system:mipex ; skos:notation "aa1" ;
    skos:prefLabel "Immediate access to labour market"@en ; mkg:order 3 ;
    skos:broader mipex:a ; mkg:policyArea mipex:a ;
    mkg:question "Are foreign residents with the following permits able to work?" ;
    mkg:answerOptions "100: all of them; 50: some of them; 0: none of them" .
mipex:bb28a a mkg:SubIndicator, skos:Concept ;
    skos:inScheme system:mipex ; skos:notation "bb28a" ; skos:prefLabel "Sub-indicator"@en ;
    skos:broader mipex:aa1 ; mkg:policyArea mipex:a .

country:SWE a mkg:Country ;
    skos:prefLabel "Sweden"@en ; skos:notation "SWE" ;
    mkg:isoAlpha2 "SE" ; mkg:isoAlpha3 "SWE" ; mkg:isoNumeric "752" ; mkg:mipexCode "SE" ;
    skos:exactMatch <http://publications.europa.eu/resource/authority/country/SWE> ;
    owl:sameAs <http://www.wikidata.org/entity/Q34> .
country:ESP a mkg:Country ; skos:prefLabel "Spain"@en ; skos:notation "ESP" ;
    mkg:isoAlpha3 "ESP" .
region:ES21 a mkg:Region ; skos:notation "ES21" ; mkg:partOf country:ESP ;
    skos:exactMatch <http://data.europa.eu/nuts/code/ES21> .

period:2019 a mkg:ReferencePeriod, dct:PeriodOfTime ; rdfs:label "2019" ; mkg:year 2019 .
period:2018 a mkg:ReferencePeriod, dct:PeriodOfTime ; rdfs:label "2018" ; mkg:year 2018 .

<https://w3id.org/mipex-kg/id/score/mipex-2020/SWE/2019/aa1> a qb:Observation ;
    qb:dataSet edition:mipex-2020 ;
    mkg:jurisdiction country:SWE ;
    mkg:indicator mipex:aa1 ;
    mkg:refPeriod period:2019 ;
    mkg:score 50.0 ;
    sdmx-attribute:unitMeasure unit:points-0-100 ;
    sdmx-attribute:obsStatus status:published ;
    mkg:comment "experts' comment, original wording" ;
    prov:wasDerivedFrom source:{SHA} ;
    mkg:sourceSheet "SE" ; mkg:sourceCell "E60" ; mkg:sourceCode "aa1" .

source:{SHA} a mkg:SourceFile, prov:Entity ;
    dct:title "mipex_core_2007-2019.xlsx" ; mkg:sha256 "{SHA}" ;
    dcat:byteSize 123 ;
    mkg:originalUrl <https://mipex.eu/files/mipex_core_2007-2019.xlsx> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/XLSX> ;
    mkg:edition edition:mipex-2020 .
<https://w3id.org/mipex-kg/id/activity/load/mipex-core-2007-2019-20250101t000000z>
    a prov:Activity, mkg:LoadActivity ;
    prov:used source:{SHA} ;
    prov:startedAtTime "2025-01-01T00:00:00Z"^^xsd:dateTime ;
    prov:endedAtTime "2025-01-01T00:00:05Z"^^xsd:dateTime ;
    prov:wasAssociatedWith <https://w3id.org/mipex-kg/id/software/mipex-kg/0.1.0> ;
    mkg:targetGraph <https://w3id.org/mipex-kg/graph/mipex-core-2007-2019> .
<https://w3id.org/mipex-kg/id/software/mipex-kg/0.1.0>
    a prov:SoftwareAgent ; rdfs:label "mipex-kg 0.1.0" .

organisation:mpg a org:Organization, foaf:Organization ;
    foaf:name "Migration Policy Group" ; skos:prefLabel "Migration Policy Group"@en .
organisation:cidob a org:Organization, foaf:Organization ;
    foaf:name "CIDOB" ; skos:prefLabel "CIDOB"@en .
project:regin a eurio:Project, mkg:ResearchProject ; skos:prefLabel "REGIN"@en ;
    eurio:identifier "101004717" .
publication:basque-country-mipex-r a mkg:Publication ;
    dct:title "An evaluation of the Basque Country with MIPEX-R"@en ;
    mkg:usesSystem system:mipex-r ; dct:spatial region:ES21 .
"""

OBS = ID["score/mipex-2020/SWE/2019/aa1"]


def _validate(data: Graph, ontology: Graph, shapes: Graph) -> tuple[bool, Graph]:
    # sh:class and sh:targetClass follow rdfs:subClassOf in the DATA graph, so the
    # ontology is merged into it (ont_graph alone is not enough with inference='none').
    conforms, report, _ = pyshacl.validate(
        data + ontology,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=False,
    )
    return conforms, report


def _results(report: Graph) -> set[tuple[URIRef, URIRef]]:
    return {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


@pytest.fixture
def sample() -> Graph:
    return Graph().parse(data=SAMPLE, format="turtle")


def test_sample_conforms(sample: Graph, ontology: Graph, shapes: Graph) -> None:
    conforms, report = _validate(sample, ontology, shapes)
    assert conforms, report.serialize(format="turtle")


def _set(subject: URIRef, prop: URIRef, value: object) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.set((subject, prop, value))

    return mutate


def _remove(subject: URIRef, prop: URIRef) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.remove((subject, prop, None))

    return mutate


def _add(subject: URIRef, prop: URIRef, value: object) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.add((subject, prop, value))

    return mutate


AA1 = ID["indicator/mipex/aa1"]
SOURCE = ID[f"source/{SHA}"]
BROKEN = {
    "score above 100": (_set(OBS, MKG.score, Literal("120", datatype=XSD.decimal)), OBS, MKG.score),
    "score below 0": (_set(OBS, MKG.score, Literal("-1", datatype=XSD.decimal)), OBS, MKG.score),
    "score as string": (_set(OBS, MKG.score, Literal("50")), OBS, MKG.score),
    "two scores": (_add(OBS, MKG.score, Literal("40", datatype=XSD.decimal)), OBS, MKG.score),
    "missing jurisdiction": (_remove(OBS, MKG.jurisdiction), OBS, MKG.jurisdiction),
    "jurisdiction of unknown kind": (
        _set(OBS, MKG.jurisdiction, ID["organisation/mpg"]), OBS, MKG.jurisdiction,
    ),
    "two periods": (_add(OBS, MKG.refPeriod, ID["period/2018"]), OBS, MKG.refPeriod),
    "period is a literal": (
        _set(OBS, MKG.refPeriod, Literal("2019", datatype=XSD.gYear)), OBS, MKG.refPeriod,
    ),
    "unknown status": (
        _set(OBS, SDMX_ATTRIBUTE.obsStatus, ID["status/guessed"]), OBS, SDMX_ATTRIBUTE.obsStatus,
    ),
    "missing unit": (_remove(OBS, SDMX_ATTRIBUTE.unitMeasure), OBS, SDMX_ATTRIBUTE.unitMeasure),
    "no provenance": (_remove(OBS, PROV.wasDerivedFrom), OBS, PROV.wasDerivedFrom),
    "two source cells": (_add(OBS, MKG.sourceCell, Literal("E61")), OBS, MKG.sourceCell),
    "indicator without notation": (_remove(AA1, SKOS.notation), AA1, SKOS.notation),
    "indicator in no system": (_remove(AA1, SKOS.inScheme), AA1, SKOS.inScheme),
    "sub-indicator under an area": (
        _set(ID["indicator/mipex/bb28a"], SKOS.broader, ID["indicator/mipex/a"]),
        ID["indicator/mipex/bb28a"],
        SKOS.broader,
    ),
    "lower-case ISO code": (
        _set(ID["country/SWE"], MKG.isoAlpha3, Literal("swe")), ID["country/SWE"], MKG.isoAlpha3,
    ),
    "region without parent": (
        _remove(ID["region/ES21"], MKG.partOf), ID["region/ES21"], MKG.partOf,
    ),
    "period with two years": (
        _add(ID["period/2019"], MKG.year, Literal(2020)), ID["period/2019"], MKG.year,
    ),
    "year as string": (
        _set(ID["period/2019"], MKG.year, Literal("2019")), ID["period/2019"], MKG.year,
    ),
    "bad sha256": (_set(SOURCE, MKG.sha256, Literal("ABC")), SOURCE, MKG.sha256),
    "negative byte size": (
        _set(SOURCE, DCAT.byteSize, Literal(-1)), SOURCE, DCAT.byteSize,
    ),
    "original URL as string": (
        _set(SOURCE, MKG.originalUrl, Literal("https://mipex.eu/x.xlsx")), SOURCE, MKG.originalUrl,
    ),
    "edition without system": (
        _remove(ID["edition/mipex-2020"], MKG.editionOf), ID["edition/mipex-2020"], MKG.editionOf,
    ),
    "system with unknown level": (
        _set(ID["system/mipex"], MKG.level, MKG.GlobalLevel), ID["system/mipex"], MKG.level,
    ),
    "publication without title": (
        _remove(ID["publication/basque-country-mipex-r"], DCT.title),
        ID["publication/basque-country-mipex-r"],
        DCT.title,
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_sample_is_rejected(
    case: str, sample: Graph, ontology: Graph, shapes: Graph
) -> None:
    mutate, focus, path = BROKEN[case]
    mutate(sample)
    conforms, report = _validate(sample, ontology, shapes)
    assert not conforms
    assert (focus, path) in _results(report), report.serialize(format="turtle")


# --------------------------------------------------------------------------
# The W3C Data Cube integrity constraints (conformance material, when present)
# --------------------------------------------------------------------------


def _check_data_cube(data: Graph) -> tuple[bool, str]:
    data.parse(DATACUBE / "vocab" / "cube.ttl", format="turtle")
    # Normalisation phase 1 of the Data Cube spec (the part that applies here).
    data.update(
        """
        PREFIX qb: <http://purl.org/linked-data/cube#>
        INSERT { ?spec qb:componentProperty ?p }
        WHERE { ?spec qb:dimension|qb:measure|qb:attribute ?p }
        """
    )
    ic_shapes = Graph().parse(DATACUBE / "datacube.shapes.ttl", format="turtle")
    conforms, _, text = pyshacl.validate(
        data, shacl_graph=ic_shapes, inference="none", advanced=True
    )
    return conforms, text


needs_datacube = pytest.mark.skipif(
    not DATACUBE.is_dir(), reason="../shared/conformance/datacube is absent"
)


@needs_datacube
def test_sample_passes_the_data_cube_integrity_constraints(
    sample: Graph, ontology: Graph
) -> None:
    conforms, text = _check_data_cube(sample + ontology)
    assert conforms, text


@needs_datacube
@pytest.mark.parametrize(
    ("prop", "constraint"),
    [(MKG.indicator, "IC-11"), (SDMX_ATTRIBUTE.obsStatus, "IC-13"), (MKG.score, "IC-14")],
)
def test_the_data_cube_integrity_constraints_see_our_structure(
    sample: Graph, ontology: Graph, prop: URIRef, constraint: str
) -> None:
    sample.remove((OBS, prop, None))
    conforms, text = _check_data_cube(sample + ontology)
    assert not conforms
    assert constraint in text


# --------------------------------------------------------------------------
# Every mkg: term the project writes or queries is defined
# --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
_MKG_TERM = re.compile(
    r"\bmkg:([A-Za-z][A-Za-z0-9_]*)"           # Turtle / SPARQL prefixed names
    r"|\bMKG(?:\.([A-Za-z][A-Za-z0-9_]*)"     # MKG.term in Python
    r"|\[\s*[\"']([A-Za-z][A-Za-z0-9_]*)[\"']\s*\])"  # MKG["term"]
    r"|<https://w3id\.org/mipex-kg/def#([A-Za-z][A-Za-z0-9_]*)>"  # full IRIs
)


def _used_mkg_terms() -> dict[str, set[str]]:
    """mkg: term -> the files (relative to the project) that use it."""
    sources = (sorted((ROOT / "loaders" / "curated").glob("*.ttl"))
               + sorted((ROOT / "loaders").glob("*.py"))
               + sorted((ROOT / "queries").glob("*.rq")))
    used: dict[str, set[str]] = {}
    for path in sources:
        for match in _MKG_TERM.finditer(path.read_text("utf-8")):
            name = next(g for g in match.groups() if g)
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return used


def test_every_mkg_term_of_the_data_loaders_and_queries_is_defined(ontology: Graph) -> None:
    """No mkg: term in loaders/curated/*.ttl, loaders/*.py or queries/*.rq is undefined."""
    used = _used_mkg_terms()
    assert {"ClassificationAxis", "RankingStatement", "score", "jurisdiction"} <= set(used)
    undefined = {
        name: sorted(where)
        for name, where in sorted(used.items())
        if not _english(ontology, MKG[name], RDFS.label)
        or not _english(ontology, MKG[name], SKOS.definition)
    }
    assert undefined == {}


def test_the_turtle_of_the_model_page_parses() -> None:
    """docs/model.md: each ```turtle block parses after the first block's prologue."""
    blocks = re.findall(r"```turtle\n(.*?)```", MODEL_MD.read_text("utf-8"), flags=re.S)
    assert len(blocks) >= 5 and "@base <https://w3id.org/mipex-kg/id/>" in blocks[0]
    for number, block in enumerate(blocks[1:], start=2):
        graph = Graph().parse(data=blocks[0] + block, format="turtle")
        assert len(graph) > 0, f"block {number} is empty"
        assert all(not str(term).startswith("<") for triple in graph for term in triple), number

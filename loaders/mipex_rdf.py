"""Turn the records of a MIPEX workbook into RDF (see docs/model.md).

Concepts become SKOS concepts of the MIPEX scheme, observations become RDF Data
Cube observations in the edition's dataset, each derived from the source file with
its sheet and cell. Everything here is pure: records in, triples out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pyoxigraph import Literal, NamedNode, Triple

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import MKG, PROV, QB, RDF, RDFS, SDMX_ATTRIBUTE, SKOS, XSD
from mipex_kg.loaders.mipex_workbook import Concept, Observation, WorkbookContent

SYSTEM_ID = "mipex"
UNIT = iris.concept("unit", "points-0-100")
PUBLISHED = iris.concept("status", "published")

_CLASS_OF_KIND = {
    "overall": MKG.OverallIndicator,
    "area": MKG.PolicyArea,
    "dimension": MKG.PolicyDimension,
    "indicator": MKG.PolicyIndicator,
    "sub": MKG.SubIndicator,
}

#: The texts of a concept (``Concept.texts`` keys) and the properties that carry them.
_TEXT_PROPERTIES = (
    ("question", MKG.question),
    ("answer_options", MKG.answerOptions),
    ("answer_100", MKG.answerFor100),
    ("answer_50", MKG.answerFor50),
    ("answer_0", MKG.answerFor0),
    ("note", SKOS.scopeNote),
)


def _text(value: str) -> Literal:
    return Literal(value)


def concept_triples(concept: Concept, system_id: str = SYSTEM_ID) -> Iterator[Triple]:
    """The SKOS description of one strand, dimension, indicator or sub-indicator."""
    node = iris.indicator(system_id, concept.code)
    scheme = iris.system(system_id)
    yield Triple(node, RDF.type, SKOS.Concept)
    yield Triple(node, RDF.type, _CLASS_OF_KIND[concept.kind])
    yield Triple(node, SKOS.inScheme, scheme)
    yield Triple(node, SKOS.notation, _text(concept.code))
    title = concept.text("title") or concept.code
    yield Triple(node, SKOS.prefLabel, Literal(title, language="en"))
    for spelling in sorted(concept.spellings - {concept.code}):
        yield Triple(node, SKOS.hiddenLabel, _text(spelling))
    if concept.kind in ("overall", "area"):
        yield Triple(node, SKOS.topConceptOf, scheme)
        yield Triple(scheme, SKOS.hasTopConcept, node)
    if concept.area and concept.kind in ("dimension", "indicator", "sub"):
        area = iris.indicator(system_id, concept.area)
        yield Triple(node, MKG.policyArea, area)
        # an indicator's broader concept is its policy area, even where a dimension
        # stands between them (mkg:policyDimension)
        parent = (iris.indicator(system_id, concept.parent)
                  if concept.parent and concept.kind == "sub" else area)
        yield Triple(node, SKOS.broader, parent)
        yield Triple(parent, SKOS.narrower, node)
    if concept.dimension:
        yield Triple(node, MKG.policyDimension, iris.indicator(system_id, concept.dimension))
    for name, predicate in _TEXT_PROPERTIES:
        text = concept.text(name)
        if text:
            yield Triple(node, predicate, _text(text))
    yield Triple(node, MKG.order, Literal(str(concept.order), datatype=XSD.integer))


def observation_triples(
    obs: Observation, edition_id: str, country_iso3: str, source: NamedNode,
    system_id: str = SYSTEM_ID, jurisdiction: NamedNode | None = None,
) -> Iterator[Triple]:
    """One published score as a ``qb:Observation`` with its provenance.

    ``jurisdiction``: the jurisdiction when it is not the country ``country_iso3``
    (a group of countries; ``country_iso3`` is then the code in the score's IRI).
    """
    node = iris.score(edition_id, country_iso3, obs.year, obs.code)
    yield Triple(node, RDF.type, QB.Observation)
    yield Triple(node, QB.dataSet, iris.edition(edition_id))
    yield Triple(node, MKG.jurisdiction, jurisdiction or iris.country(country_iso3))
    yield Triple(node, MKG.indicator, iris.indicator(system_id, obs.code))
    yield Triple(node, MKG.refPeriod, iris.period(obs.year))
    yield Triple(node, MKG.score, Literal(str(obs.value), datatype=XSD.decimal))
    yield Triple(node, SDMX_ATTRIBUTE.unitMeasure, UNIT)
    yield Triple(node, SDMX_ATTRIBUTE.obsStatus, PUBLISHED)
    if obs.comment:
        yield Triple(node, MKG.comment, _text(obs.comment))
    yield Triple(node, PROV.wasDerivedFrom, source)
    yield Triple(node, MKG.sourceSheet, _text(obs.sheet))
    yield Triple(node, MKG.sourceCell, _text(obs.cell))
    yield Triple(node, MKG.sourceCode, _text(obs.source_code))


def period_triples(year: int) -> Iterator[Triple]:
    """A reference year as a resource (dimension values are IRIs, not literals)."""
    node = iris.period(year)
    yield Triple(node, RDF.type, MKG.ReferencePeriod)
    yield Triple(node, RDFS.label, _text(str(year)))
    yield Triple(node, MKG.year, Literal(str(year), datatype=XSD.integer))


def workbook_triples(
    content: WorkbookContent,
    edition_id: str,
    sheet_to_iso3: Mapping[str, str],
    source: NamedNode,
) -> Iterator[Triple]:
    """All triples of a workbook's graph except its provenance."""
    for concept in content.concepts.values():
        yield from concept_triples(concept)
    for year in content.years:
        yield from period_triples(year)
    for obs in content.observations:
        yield from observation_triples(obs, edition_id, sheet_to_iso3[obs.sheet], source)

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
    "indicator": MKG.PolicyIndicator,
    "sub": MKG.SubIndicator,
}


def _text(value: str) -> Literal:
    return Literal(value)


def concept_triples(concept: Concept) -> Iterator[Triple]:
    """The SKOS description of one strand, indicator or sub-indicator."""
    node = iris.indicator(SYSTEM_ID, concept.code)
    scheme = iris.system(SYSTEM_ID)
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
    if concept.area and concept.kind in ("indicator", "sub"):
        area = iris.indicator(SYSTEM_ID, concept.area)
        yield Triple(node, MKG.policyArea, area)
        parent = iris.indicator(SYSTEM_ID, concept.parent) if concept.parent else area
        yield Triple(node, SKOS.broader, parent)
        yield Triple(parent, SKOS.narrower, node)
    for name, predicate in (("question", MKG.question), ("answer_options", MKG.answerOptions)):
        text = concept.text(name)
        if text:
            yield Triple(node, predicate, _text(text))
    yield Triple(node, MKG.order, Literal(str(concept.order), datatype=XSD.integer))


def observation_triples(
    obs: Observation, edition_id: str, country_iso3: str, source: NamedNode
) -> Iterator[Triple]:
    """One published score as a ``qb:Observation`` with its provenance."""
    node = iris.score(edition_id, country_iso3, obs.year, obs.code)
    yield Triple(node, RDF.type, QB.Observation)
    yield Triple(node, QB.dataSet, iris.edition(edition_id))
    yield Triple(node, MKG.jurisdiction, iris.country(country_iso3))
    yield Triple(node, MKG.indicator, iris.indicator(SYSTEM_ID, obs.code))
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

"""Turn the records of the MIPEX 2015 workbook into RDF (see docs/model.md).

The concepts become SKOS concepts of the 2015 instrument (``system/mipex-2015``),
every scored cell one observation of ``edition/mipex-2015`` (a composite's with the
formula it was computed by), the formulas the edition's aggregation rules, and the
summary sheet's groups jurisdiction groups with their published averages. Pure:
records in, triples out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pyoxigraph import Literal, NamedNode, Triple

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import ID, MKG
from mipex_kg.loaders.mipex2015_rules import composite_rule_triples, group_triples
from mipex_kg.loaders.mipex2015_summary import GroupAverage
from mipex_kg.loaders.mipex2015_workbook import Mipex2015Content, most_common_formulas
from mipex_kg.loaders.mipex_rdf import concept_triples, observation_triples, period_triples
from mipex_kg.loaders.mipex_workbook import Observation

SYSTEM_ID = "mipex-2015"


def group_node(code: str) -> NamedNode:
    """A group of the 2015 summary sheet, e.g. ``group/mipex-2015/eu28``."""
    return NamedNode(f"{ID}group/{SYSTEM_ID}/{iris.slug(code)}")


def group_score_code(code: str) -> str:
    """The jurisdiction segment of a group's score IRIs, e.g. ``eu28``."""
    return iris.slug(code)


def average_observation(average: GroupAverage) -> Observation:
    return Observation(sheet=average.sheet, year=average.year, code=average.code,
                       source_code=average.code, value=average.value, comment=None,
                       cell=average.cell, row=0)


def mipex2015_triples(content: Mipex2015Content, edition_id: str,
                      sheet_to_iso3: Mapping[str, str], source: NamedNode) -> Iterator[Triple]:
    """All triples of the 2015 workbook's graph except its provenance."""
    edition = iris.edition(edition_id)
    for concept in content.concepts.values():
        yield from concept_triples(concept, SYSTEM_ID)
    years = {o.year for o in content.observations} | {a.year for a in content.summary.averages}
    for year in sorted(years):
        yield from period_triples(year)
    for obs in content.observations:
        node = iris.score(edition_id, sheet_to_iso3[obs.sheet], obs.year, obs.code)
        yield from observation_triples(obs, edition_id, sheet_to_iso3[obs.sheet], source,
                                       SYSTEM_ID)
        formula = content.formula_of.get((obs.sheet, obs.cell))
        if formula:
            yield Triple(node, MKG.sourceFormula, Literal(formula))
    examples = {f.code: f.text for f in reversed(content.formulas)}
    for code, (parts, with_it, cells) in most_common_formulas(content).items():
        yield from composite_rule_triples(code, parts, with_it, cells, examples[code],
                                          content.concepts, SYSTEM_ID, edition, source)
    for group in content.summary.groups.values():
        yield from group_triples(group, group_node(group.code), sheet_to_iso3, SYSTEM_ID,
                                 edition, source)
    for average in content.summary.averages:
        node = iris.score(edition_id, group_score_code(average.group), average.year,
                          average.code)
        yield from observation_triples(average_observation(average), edition_id,
                                       group_score_code(average.group), source, SYSTEM_ID,
                                       jurisdiction=group_node(average.group))
        yield Triple(node, MKG.sourceFormula, Literal(average.formula))


def locations(content: Mipex2015Content, edition_id: str, sheet_to_iso3: Mapping[str, str],
              file: str) -> dict[str, tuple[str, str]]:
    """Observation IRI -> (file, "sheet X, cell Y"), to name cells in SHACL problems."""
    found = {
        iris.score(edition_id, sheet_to_iso3[o.sheet], o.year, o.code).value:
            (file, f"sheet {o.sheet}, cell {o.cell}")
        for o in content.observations
    }
    found.update({
        iris.score(edition_id, group_score_code(a.group), a.year, a.code).value:
            (file, f"sheet {a.sheet}, cell {a.cell}")
        for a in content.summary.averages
    })
    return found

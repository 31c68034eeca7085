"""The MIPEX 2015 workbook's formulas as aggregation rules (docs/model.md).

Every composite of the 2015 workbook (overall scores, strands, dimensions, indicators
formed from sub-questions) is an Excel formula such as ``=AVERAGE(J7:J11)``, written
again in every sheet and year column. The rule of a composite is the formula most of
its scored cells use, with the cells it names resolved to the concepts of their rows
(loaders/mipex2015_workbook.py); cells whose own formula differs (a range that
leaves out a row, names a row of the next dimension ...) keep their formula on their
observation (``mkg:sourceFormula``), and ``mipex-kg recompute`` reports them as
differences. The Summary sheet's group averages become one rule per group: the mean
of its members' scores (``mkg:GroupMeanRule``).

The rules are written into the workbook's own graph: they are what the file states,
and they are replaced with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pyoxigraph import Literal, NamedNode, Triple

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import DCT, ID, MKG, PROV, RDF, SKOS, XSD
from mipex_kg.loaders.mipex2015_summary import JurisdictionGroup
from mipex_kg.loaders.mipex_workbook import Concept

ONE = Literal("1.0", datatype=XSD.decimal)


def rule_node(system_id: str, code: str) -> NamedNode:
    """The rule of one composite of a system, e.g. ``rule/mipex-2015/aa``."""
    return NamedNode(f"{ID}rule/{iris.slug(system_id)}/{iris.slug(code)}")


def group_rule_node(system_id: str, group: str) -> NamedNode:
    """The rule that averages a group's members, e.g. ``rule/mipex-2015/group-mean/eu28``."""
    return NamedNode(f"{ID}rule/{iris.slug(system_id)}/group-mean/{iris.slug(group)}")


def composite_rule_triples(
    code: str, parts: tuple[str, ...], cells_with_it: int, cells: int, example: str,
    concepts: Mapping[str, Concept], system_id: str, edition: NamedNode, source: NamedNode,
) -> Iterator[Triple]:
    """One composite's rule: the plain mean of the parts its formula names."""
    rule = rule_node(system_id, code)
    group = NamedNode(f"{rule.value}/group/all")
    title = concepts[code].text("title") or code
    names = ", ".join(parts)
    yield Triple(rule, RDF.type, MKG.AggregationRule)
    yield Triple(rule, RDF.type, PROV.Plan)
    yield Triple(rule, SKOS.prefLabel, Literal(
        f"{title}: mean of its parts, as the 2015 workbook's formulas compute it", language="en"))
    yield Triple(rule, SKOS.definition, Literal(
        f"The score of {code} ({title}) is the unweighted mean of the scores of {names}; a "
        "part without a score is left out, as Excel's AVERAGE leaves out empty cells. Read "
        f"from the workbook's formulas (for example {example}).", language="en"))
    yield Triple(rule, SKOS.scopeNote, Literal(
        f"{cells_with_it} of the {cells} formula cells of this composite name exactly these "
        "parts; a cell with another formula keeps it on its observation (mkg:sourceFormula).",
        language="en"))
    yield Triple(rule, MKG.composite, iris.indicator(system_id, code))
    yield Triple(rule, MKG.method, MKG.ArithmeticMean)
    yield Triple(rule, MKG.appliesToEdition, edition)
    yield Triple(rule, DCT.source, source)
    yield Triple(rule, MKG.sourceFormula, Literal(example))
    yield Triple(rule, MKG.partGroup, group)
    yield Triple(group, RDF.type, MKG.PartGroup)
    yield Triple(group, SKOS.notation, Literal("all"))
    yield Triple(group, SKOS.prefLabel, Literal("all parts", language="en"))
    yield Triple(group, MKG.weight, ONE)
    for part in parts:
        weighted = NamedNode(f"{group.value}/{iris.slug(part)}")
        yield Triple(group, MKG.weightedPart, weighted)
        yield Triple(weighted, RDF.type, MKG.WeightedPart)
        yield Triple(weighted, MKG.part, iris.indicator(system_id, part))
        yield Triple(weighted, MKG.weight, ONE)


def group_triples(group: JurisdictionGroup, node: NamedNode, sheet_to_iso3: Mapping[str, str],
                  system_id: str, edition: NamedNode, source: NamedNode) -> Iterator[Triple]:
    """A group of countries as the summary sheet lists it, and the rule averaging it."""
    yield Triple(node, RDF.type, MKG.JurisdictionGroup)
    yield Triple(node, SKOS.notation, Literal(group.code))
    yield Triple(node, SKOS.prefLabel, Literal(
        f"{group.code} (as listed in the {group.sheet} sheet of the MIPEX 2015 workbook)",
        language="en"))
    for member in group.members:
        yield Triple(node, MKG.groupMember, iris.country(sheet_to_iso3[member]))
    yield Triple(node, DCT.source, source)
    yield Triple(node, MKG.sourceSheet, Literal(group.sheet))
    yield Triple(node, MKG.sourceCell, Literal(group.formula_cell))
    rule = group_rule_node(system_id, group.code)
    yield Triple(rule, RDF.type, MKG.GroupMeanRule)
    yield Triple(rule, RDF.type, PROV.Plan)
    yield Triple(rule, SKOS.prefLabel, Literal(
        f"{group.code}: mean of its {len(group.members)} members' scores, as the "
        f"{group.sheet} sheet computes it", language="en"))
    yield Triple(rule, MKG.overGroup, node)
    yield Triple(rule, MKG.method, MKG.ArithmeticMean)
    yield Triple(rule, MKG.appliesToEdition, edition)
    yield Triple(rule, DCT.source, source)

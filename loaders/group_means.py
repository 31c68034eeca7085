"""Recompute the published averages of groups of jurisdictions from their members' scores.

A source may publish the average score of a group of countries (the "Summary 2014"
sheet of the MIPEX 2015 workbook: EU28, EU15, EU13 and the MIPEX average). The
group (``mkg:JurisdictionGroup``) lists its members, and a ``mkg:GroupMeanRule``
says the average is their plain mean. For every published score of a group, the
same figure is recomputed here from the members' published scores on the same
indicator, edition and period (a member without a score is left out, as Excel's
AVERAGE leaves out empty cells). The results are ``Recomputation`` records like the
composites' (loaders/recompute.py), so they are written, validated and reported
the same way: each names the published average, the rule and the members' scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from mipex_kg.graph.namespaces import MKG, XSD
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.aggregation_rules import Rule

if TYPE_CHECKING:  # recompute imports this module
    from mipex_kg.loaders.recompute import PublishedScores, Recomputation

_QUERY = """
SELECT ?rule ?label ?group ?edition ?member WHERE {
  ?rule a mkg:GroupMeanRule ; mkg:overGroup ?group ; mkg:appliesToEdition ?edition .
  OPTIONAL { ?rule skos:prefLabel ?label }
  ?group mkg:groupMember ?member .
}
"""


@dataclass(frozen=True)
class GroupMeanRule:
    iri: ox.NamedNode
    label: str
    group: ox.NamedNode
    editions: frozenset[ox.NamedNode]
    members: frozenset[ox.NamedNode]

    def as_rule(self, composite: ox.NamedNode) -> Rule:
        """The rule as a recomputation names it (its IRI and label; no parts)."""
        return Rule(self.iri, self.label, composite, MKG.ArithmeticMean, self.editions)


def read_group_rules(store: KnowledgeStore) -> list[GroupMeanRule]:
    """Every group mean rule in the store, with its group's members."""
    found: dict[ox.NamedNode, dict[str, Any]] = {}
    for row in store.query(_QUERY):
        entry = found.setdefault(row["rule"], {"label": "", "group": row["group"],
                                               "editions": set(), "members": set()})
        if row["label"] is not None:
            entry["label"] = row["label"].value
        entry["editions"].add(row["edition"])
        entry["members"].add(row["member"])
    return [GroupMeanRule(iri, e["label"], e["group"], frozenset(e["editions"]),
                          frozenset(e["members"]))
            for iri, e in sorted(found.items(), key=lambda item: item[0].value)]


def recompute_group_means(scores: PublishedScores,
                          rules: list[GroupMeanRule]) -> list[Recomputation]:
    """One ``Recomputation`` per published score of a group (``scores``: PublishedScores)."""
    from mipex_kg.loaders.recompute import Recomputation

    results = []
    for rule in rules:
        for key, cell in scores.cells.items():
            edition, jurisdiction, period = key
            if jurisdiction != rule.group or edition not in rule.editions:
                continue
            for indicator, published in cell.items():
                parts = tuple(
                    (member, scores.cells[(edition, member, period)][indicator])
                    for member in sorted(rule.members, key=lambda m: m.value)
                    if indicator in scores.cells.get((edition, member, period), {}))
                value = (sum((score.value for _, score in parts), Fraction(0)) / len(parts)
                         if parts else None)
                results.append(Recomputation(key, indicator, rule.as_rule(indicator), published,
                                             value, parts))
    return results


def group_mean_counts(store: KnowledgeStore, tolerance: Decimal) -> list[tuple[str, int, int]]:
    """(rule label, averages reproduced, averages published) per group mean rule, from
    the stored recomputation."""
    rows = store.query(
        "SELECT ?rule ?tolerance (SAMPLE(?name) AS ?label) (COUNT(DISTINCT ?pub) AS ?published) "
        "(COUNT(DISTINCT ?ok) AS ?reproduced) WHERE { "
        "?rule a mkg:GroupMeanRule ; mkg:overGroup ?group ; mkg:appliesToEdition ?edition . "
        "OPTIONAL { ?rule skos:prefLabel ?name } "
        "?pub mkg:jurisdiction ?group ; qb:dataSet ?edition ; mkg:score ?value . "
        "OPTIONAL { ?rec mkg:recomputedFrom ?pub ; mkg:rule ?rule ; mkg:score ?again } "
        "BIND(IF(ABS(?again - ?value) <= ?tolerance, ?rec, ?none) AS ?ok) "
        "} GROUP BY ?rule ?tolerance ORDER BY ?rule",
        substitutions={ox.Variable("tolerance"): ox.Literal(str(tolerance), datatype=XSD.decimal)})
    return [(row["label"].value if row["label"] is not None else row["rule"].value,
             int(row["reproduced"].value), int(row["published"].value)) for row in rows]

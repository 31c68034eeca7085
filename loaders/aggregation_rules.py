"""Aggregation rules as data: read them from the graph and apply them to scores.

A rule (``mkg:AggregationRule``, see loaders/curated/aggregation-rules.ttl and the
ontology) forms one composite from the scores of its parts, in one of two ways:

* groups (``mkg:partGroup``): each group's score is the weighted mean of its parts'
  scores, the composite the weighted mean of the group scores. A plain mean is one
  group of equal weights; a mean of dimension means is one group per dimension.
  Parts without a score are left out and the weights of the rest renormalised; a
  group none of whose parts has a score is left out;
* a score table (``mkg:scoreCase``): the composite takes the score of the one case
  whose conditions (``part score is one of ...``) the parts' scores meet.

Nothing here knows MIPEX: the rules come from the store (``read_rules``), so
another indicator system is described the same way, in Turtle. Arithmetic is exact
(``fractions.Fraction``), so a rule reproduces a published figure or it does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files

import pyoxigraph as ox

from mipex_kg.graph.namespaces import ID, MKG
from mipex_kg.graph.quad_store import QuadStore

METHODS = {
    MKG.ArithmeticMean.value: "arithmetic mean",
    MKG.WeightedMean.value: "weighted mean",
    MKG.MeanOfGroupMeans.value: "mean of group means",
    MKG.ScoreTable.value: "score table",
}


class RuleError(ValueError):
    """A rule in the graph is malformed (for example both groups and a score table)."""


def named_query(name: str) -> str:
    """The text of a named query in queries/ (its ``#+`` header is SPARQL comments)."""
    return files("mipex_kg.queries").joinpath(name).read_text(encoding="utf-8")


def fraction(literal: ox.Literal | str) -> Fraction:
    """An xsd:decimal (or any number literal) as an exact fraction."""
    return _fraction(literal.value if isinstance(literal, ox.Literal) else literal)


@lru_cache(maxsize=65536)
def _fraction(text: str) -> Fraction:
    return Fraction(Decimal(text))


@dataclass(frozen=True)
class WeightedPart:
    part: ox.NamedNode
    weight: Fraction


@dataclass(frozen=True)
class PartGroup:
    iri: ox.NamedNode
    notation: str
    weight: Fraction
    parts: tuple[WeightedPart, ...]


@dataclass(frozen=True)
class ScoreCase:
    iri: ox.NamedNode
    score: Fraction
    #: (part, scores any of which meets the condition)
    conditions: tuple[tuple[ox.NamedNode, frozenset[Fraction]], ...]

    def met_by(self, scores: Mapping[ox.NamedNode, Fraction]) -> bool:
        return all(part in scores and scores[part] in allowed for part, allowed in self.conditions)


@dataclass(frozen=True)
class Rule:
    """One aggregation rule, as the graph states it."""

    iri: ox.NamedNode
    label: str
    composite: ox.NamedNode
    method: ox.NamedNode
    editions: frozenset[ox.NamedNode] = frozenset()
    alternative_to: ox.NamedNode | None = None
    groups: tuple[PartGroup, ...] = ()
    cases: tuple[ScoreCase, ...] = ()

    @property
    def is_alternative(self) -> bool:
        return self.alternative_to is not None

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method.value, self.method.value)

    @property
    def parts(self) -> tuple[ox.NamedNode, ...]:
        """Every part the rule reads, in the rule's order, each once."""
        seen: dict[ox.NamedNode, None] = {}
        for group in self.groups:
            seen.update((p.part, None) for p in group.parts)
        for case in self.cases:
            seen.update((part, None) for part, _ in case.conditions)
        return tuple(seen)

    def weights(self) -> dict[ox.NamedNode, Fraction]:
        """The effective weight of each part when every part has a score (sums to 1)."""
        if not self.groups:
            return {}
        total = sum((g.weight for g in self.groups), Fraction(0))
        weights: dict[ox.NamedNode, Fraction] = {}
        for group in self.groups:
            inner = sum((p.weight for p in group.parts), Fraction(0))
            for p in group.parts:
                share = group.weight / total * p.weight / inner if total and inner else Fraction(0)
                weights[p.part] = weights.get(p.part, Fraction(0)) + share
        return weights

    def evaluate(self, scores: Mapping[ox.NamedNode, Fraction]) -> Fraction | None:
        """The composite from its parts' scores; None when the rule gives no score.

        ``scores`` maps part IRIs to scores; parts missing from it have no score.
        """
        if self.cases:
            met = [case for case in self.cases if case.met_by(scores)]
            return met[0].score if len(met) == 1 else None
        numerator = denominator = Fraction(0)
        for group in self.groups:
            present = [(p.weight, scores[p.part]) for p in group.parts if p.part in scores]
            weight = sum((w for w, _ in present), Fraction(0))
            if not present or weight == 0:
                continue
            numerator += group.weight * sum((w * s for w, s in present), Fraction(0)) / weight
            denominator += group.weight
        return numerator / denominator if denominator else None


@dataclass
class _RuleParts:
    label: str = ""
    composite: ox.NamedNode | None = None
    method: ox.NamedNode | None = None
    alternative_to: ox.NamedNode | None = None
    editions: set[ox.NamedNode] = field(default_factory=set)
    groups: dict[ox.NamedNode, tuple[str, Fraction, dict[ox.NamedNode, Fraction]]] = field(
        default_factory=dict)
    cases: dict[ox.NamedNode, tuple[Fraction, dict[ox.NamedNode, set[Fraction]]]] = field(
        default_factory=dict)


def read_rules(store: QuadStore, rule: ox.NamedNode | None = None) -> dict[ox.NamedNode, Rule]:
    """Every aggregation rule in the store (or only ``rule``), by IRI.

    Runs the named query ``recompute-rules.rq`` once.

    Raises:
        RuleError: a rule has both groups and score cases, or neither.
    """
    text = named_query("recompute-rules.rq")
    bindings = {ox.Variable("rule"): rule} if rule is not None else None
    rows = store.query(text, substitutions=bindings)
    found: dict[ox.NamedNode, _RuleParts] = {}
    for row in rows:
        parts = found.setdefault(row["rule"], _RuleParts())
        parts.composite, parts.method = row["composite"], row["method"]
        if row["label"] is not None:
            parts.label = row["label"].value
        if row["alternativeTo"] is not None:
            parts.alternative_to = row["alternativeTo"]
        if row["edition"] is not None:
            parts.editions.add(row["edition"])
        if row["group"] is not None:
            notation = row["groupNotation"].value if row["groupNotation"] is not None else ""
            group = parts.groups.setdefault(
                row["group"], (notation, fraction(row["groupWeight"]), {}))
            group[2][row["part"]] = fraction(row["weight"])
        if row["case"] is not None:
            case = parts.cases.setdefault(row["case"], (fraction(row["caseScore"]), {}))
            case[1].setdefault(row["part"], set()).add(fraction(row["partScore"]))
    ordered = sorted(found.items(), key=lambda item: item[0].value)
    return {iri: _build(iri, parts) for iri, parts in ordered}


def _build(iri: ox.NamedNode, parts: _RuleParts) -> Rule:
    if bool(parts.groups) == bool(parts.cases):
        what = ("both part groups and score cases" if parts.groups
                else "neither part groups nor score cases")
        raise RuleError(f"rule <{iri.value}> has {what}")
    if parts.cases and parts.method != MKG.ScoreTable:
        raise RuleError(f"rule <{iri.value}> has score cases but its method is not mkg:ScoreTable")
    if parts.groups and parts.method == MKG.ScoreTable:
        raise RuleError(f"rule <{iri.value}> is a score table but has part groups")
    assert parts.composite is not None and parts.method is not None
    groups = tuple(
        PartGroup(g, notation, weight, tuple(WeightedPart(p, w) for p, w in members.items()))
        for g, (notation, weight, members) in sorted(parts.groups.items(), key=lambda i: i[0].value)
    )
    cases = tuple(
        ScoreCase(c, score, tuple((p, frozenset(v)) for p, v in sorted(conds.items(),
                                                                       key=lambda i: i[0].value)))
        for c, (score, conds) in sorted(parts.cases.items(), key=lambda i: i[1][0])
    )
    return Rule(iri, parts.label, parts.composite, parts.method, frozenset(parts.editions),
                parts.alternative_to, groups, cases)


def rule_iri(rule_id: str | ox.NamedNode) -> ox.NamedNode:
    """A rule IRI from an IRI or a short id such as ``mipex/overall-with-health``."""
    if isinstance(rule_id, ox.NamedNode):
        return rule_id
    if rule_id.startswith(("http://", "https://")):
        return ox.NamedNode(rule_id)
    return ox.NamedNode(f"{ID}rule/{rule_id.strip('/')}")


def published_rules(rules: Iterable[Rule]) -> dict[tuple[ox.NamedNode, ox.NamedNode], Rule]:
    """(edition, composite) -> the rule that edition used for that composite."""
    chosen: dict[tuple[ox.NamedNode, ox.NamedNode], Rule] = {}
    for rule in rules:
        for edition in rule.editions:
            key = (edition, rule.composite)
            if key in chosen:
                raise RuleError(f"two rules apply to <{rule.composite.value}> in "
                                f"<{edition.value}>: <{chosen[key].iri.value}> and "
                                f"<{rule.iri.value}>")
            chosen[key] = rule
    return chosen

"""The aggregation rules as data: they load through the gate, read back, and compute."""

from __future__ import annotations

from fractions import Fraction

import pyoxigraph as ox
import pytest

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import ID, MKG
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.aggregation_rules import (
    PartGroup,
    Rule,
    RuleError,
    ScoreCase,
    WeightedPart,
    published_rules,
    read_rules,
    rule_iri,
)
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.pipeline import Loader

EDITIONS = {iris.edition("mipex-2020"), iris.edition("mipex-2025-eu")}


def ind(code: str) -> ox.NamedNode:
    return iris.indicator("mipex", code)


def rule(name: str, rules: dict[ox.NamedNode, Rule]) -> Rule:
    return rules[rule_iri(f"mipex/{name}")]


@pytest.fixture
def rules(reference_store: KnowledgeStore) -> dict[ox.NamedNode, Rule]:
    return read_rules(reference_store)


def test_every_composite_of_both_editions_has_exactly_one_rule(
        rules: dict[ox.NamedNode, Rule]) -> None:
    chosen = published_rules(rules.values())
    composites = {c.value.rsplit("/", 1)[-1] for _, c in chosen}
    assert composites == {*"abcdefgh", "overall-with-health", "overall-without-health",
                          "overall-without-health-education", "bb28", "bb29", "bb30bb31",
                          "cb51", "cc59cd64", "fb_new", "gb"}
    assert {edition for edition, _ in chosen} == EDITIONS
    assert len(chosen) == 2 * len(composites)


def test_published_weights_are_the_ones_the_data_shows(rules: dict[ox.NamedNode, Rule]) -> None:
    for r in rules.values():
        if r.groups:
            assert sum(r.weights().values()) == 1, r.iri
    assert rule("a", rules).weights() == {ind(c): Fraction(1, 9) for c in
                                          "aa1 aa3 aa5 ab6 ab7ab8 ab9 ac13 ac14 ad18".split()}
    g = rule("g", rules).weights()
    assert [g[ind(c)] for c in "ga117 gb gc gd136 gd137gd140 gd144".split()] == \
        [Fraction(1, 4)] * 3 + [Fraction(1, 12)] * 3
    e = rule("e", rules).weights()
    assert [e[ind(c)] for c in "ea80 eb84a eb85 eb88 eb89 eb90 ed96".split()] == [
        Fraction(1, 4), Fraction(1, 8), Fraction(1, 8), Fraction(1, 12), Fraction(1, 12),
        Fraction(1, 12), Fraction(1, 4)]
    h = rule("h", rules).weights()
    assert sorted(h.values()) == [Fraction(1, 24)] * 6 + [Fraction(1, 8)] * 6
    assert rule("overall-without-health-education", rules).parts == tuple(
        ind(c) for c in "abdefg")
    assert rule("bb30bb31", rules).weights() == {ind("bb31"): Fraction(67, 100),
                                                 ind("bb30"): Fraction(33, 100)}


def test_alternatives_name_the_rule_they_replace(rules: dict[ox.NamedNode, Rule]) -> None:
    alternatives = [r for r in rules.values() if r.is_alternative]
    assert len(alternatives) == 9
    for alt in alternatives:
        assert not alt.editions
        assert rules[alt.alternative_to].composite == alt.composite
    leaving_out = rule("overall-with-health/leaving-out-health", rules)
    assert ind("h") not in leaving_out.parts and len(leaving_out.parts) == 7


def test_mean_leaves_out_missing_parts(rules: dict[ox.NamedNode, Rule]) -> None:
    d = rule("d", rules)
    scores = {ind("db70"): Fraction(0), ind("dc71abd"): Fraction(50), ind("dd75"): Fraction(100),
              ind("dd76"): Fraction(50)}
    assert d.evaluate(scores) == 50  # db65db67db68 has no score: mean of the other four
    assert d.evaluate({}) is None


def test_mean_of_group_means(rules: dict[ox.NamedNode, Rule]) -> None:
    g = rule("g", rules)
    scores = {ind("ga117"): 100, ind("gb"): 50, ind("gc"): 0, ind("gd136"): 100,
              ind("gd137gd140"): 0, ind("gd144"): 50}
    assert g.evaluate({k: Fraction(v) for k, v in scores.items()}) == 50
    # a dimension without any scored part is left out, not counted as 0
    for code in ("gd136", "gd137gd140", "gd144"):
        del scores[ind(code)]
    assert g.evaluate({k: Fraction(v) for k, v in scores.items()}) == 50  # (100 + 50 + 0) / 3


@pytest.mark.parametrize(("a", "b", "c", "expected"), [
    (0, 0, 0, 0), (0, 50, 0, 10), (0, 100, 50, 50), (0, 100, 100, 80), (50, 0, 0, 90),
    (50, 100, 50, 90), (100, 100, 50, 100), (25, 0, 0, None),
])
def test_score_table(rules: dict[ox.NamedNode, Rule], a: int, b: int, c: int,
                     expected: int | None) -> None:
    bb29 = rule("bb29", rules)
    scores = {ind("bb29a"): Fraction(a), ind("bb29b"): Fraction(b), ind("bb29c"): Fraction(c)}
    assert bb29.evaluate(scores) == expected


def test_score_table_with_any_of_several_values(rules: dict[ox.NamedNode, Rule]) -> None:
    cc = rule("cc59cd64", rules)
    for cc59, cd64, expected in [(50, 100, 100), (100, 50, 100), (0, 100, 67), (100, 0, 0)]:
        assert cc.evaluate({ind("cc59"): Fraction(cc59), ind("cd64"): Fraction(cd64)}) == expected
    assert cc.evaluate({ind("cc59"): Fraction(50)}) is None  # cd64 unscored: no case applies


def test_a_rule_with_groups_and_cases_is_refused() -> None:
    from mipex_kg.loaders.aggregation_rules import _build, _RuleParts

    parts = _RuleParts(composite=ind("x"), method=MKG.ScoreTable)
    parts.groups[ox.NamedNode(ID + "g")] = ("g", Fraction(1), {ind("y"): Fraction(1)})
    parts.cases[ox.NamedNode(ID + "c")] = (Fraction(1), {ind("y"): {Fraction(1)}})
    with pytest.raises(RuleError, match="both part groups and score cases"):
        _build(ox.NamedNode(ID + "rule/x"), parts)


def test_two_rules_for_one_composite_and_edition_are_refused() -> None:
    group = PartGroup(ox.NamedNode(ID + "g"), "", Fraction(1),
                      (WeightedPart(ind("y"), Fraction(1)),))
    edition = iris.edition("mipex-2020")
    one = Rule(ox.NamedNode(ID + "rule/1"), "", ind("x"), MKG.ArithmeticMean, frozenset({edition}),
               groups=(group,))
    two = Rule(ox.NamedNode(ID + "rule/2"), "", ind("x"), MKG.ArithmeticMean, frozenset({edition}),
               groups=(group,))
    with pytest.raises(RuleError, match="two rules apply"):
        published_rules([one, two])
    assert ScoreCase(ox.NamedNode(ID + "c"), Fraction(5), ((ind("y"), frozenset({Fraction(1)})),)
                     ).met_by({ind("y"): Fraction(1)})


BAD_RULES = {
    "negative weight": """
        <rule/t/x> a mkg:AggregationRule ; skos:prefLabel "x"@en ; skos:definition "x"@en ;
            mkg:composite <indicator/mipex/a> ; mkg:method mkg:ArithmeticMean ;
            mkg:partGroup <rule/t/x/g> .
        <rule/t/x/g> a mkg:PartGroup ; mkg:weight 1.0 ; mkg:weightedPart <rule/t/x/g/p> .
        <rule/t/x/g/p> a mkg:WeightedPart ; mkg:part <indicator/mipex/aa1> ; mkg:weight -1.0 .""",
    "no composite": """
        <rule/t/x> a mkg:AggregationRule ; skos:prefLabel "x"@en ; skos:definition "x"@en ;
            mkg:method mkg:ArithmeticMean .""",
    "alternative applied to an edition": """
        <rule/t/x> a mkg:AggregationRule, mkg:AlternativeRule ; skos:prefLabel "x"@en ;
            skos:definition "x"@en ; mkg:composite <indicator/mipex/a> ;
            mkg:method mkg:ArithmeticMean ; mkg:alternativeTo <rule/mipex/a> ;
            mkg:appliesToEdition <edition/mipex-2020> .""",
    "part that is not an indicator": """
        <rule/t/x> a mkg:AggregationRule ; skos:prefLabel "x"@en ; skos:definition "x"@en ;
            mkg:composite <indicator/mipex/a> ; mkg:method mkg:ScoreTable ;
            mkg:scoreCase <rule/t/x/c> .
        <rule/t/x/c> a mkg:ScoreCase ; mkg:caseScore 150.0 ; mkg:condition <rule/t/x/c/p> .
        <rule/t/x/c/p> a mkg:PartCondition ; mkg:part <country/SWE> ; mkg:partScore 1.0 .""",
}


@pytest.mark.parametrize("name", sorted(BAD_RULES))
def test_malformed_rules_are_refused_by_the_shapes(reference_store: KnowledgeStore,
                                                   name: str) -> None:
    data = ("@base <https://w3id.org/mipex-kg/id/> .\n"
            "@prefix mkg: <https://w3id.org/mipex-kg/def#> .\n"
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n" + BAD_RULES[name]).encode()
    before = len(reference_store)
    with pytest.raises(LoadError):
        Loader(reference_store).load_turtle_files(
            {"bad.ttl": (data, iris.named_graph("curated/bad-rules"))})
    assert len(reference_store) == before

"""Recomputation on a tiny workbook in the official layout: a wrong published score is caught.

The workbook holds labour market mobility and anti-discrimination for Sweden, 2014
and 2019. Every composite is what the rules give, except one deliberately wrong
published score: anti-discrimination in 2019 (55 instead of 50).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.cli import main
from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import SDMX_ATTRIBUTE
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.aggregation_rules import read_rules
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.pipeline import Loader
from mipex_kg.loaders.provenance import now
from mipex_kg.loaders.recompute import (
    RECOMPUTED_GRAPH,
    PublishedScores,
    check,
    graph_triples,
    recompute,
    recompute_store,
    recomputed_dataset,
)
from mipex_kg.loaders.recompute_report import verification_report

from tests.workbook_builder import Column, Strand, sheet, write_workbook

WRONG = 55  # anti-discrimination, Sweden 2019; the rule gives 50


def both(value: float) -> dict[int, float]:
    return {2014: value, 2019: value}


def tiny_workbook(path: Path) -> Path:
    strands = [
        Strand("a", "Labour Market Mobility Strand", [
            Column("a", title="Labour Market Mobility", scores=both(75)),
            Column("aa1", title="Immediate access", scores=both(50)),
            Column("ab6", title="Public employment services", scores=both(100)),
        ]),
        Strand("g", "Anti-discrimination Strand", [
            Column("g", title="ANTIDISCRIMINATION", scores={2014: 50, 2019: WRONG}),
            Column("ga117", title="Law covers", scores=both(100)),
            Column("gb", title="Fields of application", scores=both(50)),
            Column(None, "gb123", title="Employment", scores=both(0)),
            Column(None, "gb124", title="Education", scores=both(100)),
            Column("gc", title="Enforcement", scores=both(0)),
            Column("gd136", title="Mandate", scores=both(100)),
            Column("gd137gd140", title="Equality bodies", scores=both(0)),
            Column("gd144", title="Positive action", scores=both(50)),
        ]),
    ]
    spec = sheet(overall=(62.5, 62.5, 62.5), strands=strands)
    spec["overall"][2019] = (65, 65, 65)  # the mean of the published a and g: consistent
    return write_workbook(path, {"SE": spec})


@pytest.fixture
def store(tmp_path: Path, reference_store: KnowledgeStore) -> KnowledgeStore:
    Loader(reference_store).load_workbook(tiny_workbook(tmp_path / "tiny_2014-2019.xlsx"))
    return reference_store


def test_the_wrong_score_is_caught_and_explained(store: KnowledgeStore) -> None:
    report = recompute_store(store)
    assert report.recomputed == len(report.results) == 2 * (2 + 1 + 3)  # a, g, gb; 3 overall
    assert report.reproduced() == len(report.results) - 1
    verification = verification_report(store)
    counts = {(s.code, s.edition): (s.reproduced, s.published) for s in verification.summaries}
    assert counts[("g", "mipex-2020")] == (1, 2)
    assert counts[("a", "mipex-2020")] == (2, 2)
    assert counts[("gb", "mipex-2020")] == (2, 2)
    assert counts[("overall-with-health", "mipex-2020")] == (2, 2)  # mean of a and g as published
    [wrong] = verification.differences
    assert (wrong.country, wrong.year, wrong.code) == ("SWE", 2019, "g")
    assert (wrong.published, wrong.recomputed, wrong.difference) == (
        Decimal(WRONG), Decimal(50), Decimal(-5))
    assert wrong.parts_scored == wrong.parts_in_rule == 6
    assert "gd144=50" in wrong.parts and "ga117=100" in wrong.parts
    assert wrong.closest is not None and wrong.closest.error == 5
    text = verification.text()
    assert "SWE 2019 g: published 55.0000, recomputed 50.0000" in text
    assert "not reproduced by any rule in the graph" in text


def test_recomputed_scores_stand_beside_the_published_ones(store: KnowledgeStore) -> None:
    published = store.graph_sizes()
    recompute_store(store)
    after = store.graph_sizes()
    assert {g: n for g, n in after.items() if g != RECOMPUTED_GRAPH.value} == published
    node = ox.NamedNode(iris.score("mipex-2020-recomputed", "SWE", 2019, "g").value)
    rows = list(store.query("""
        SELECT ?o ?status ?from ?rule ?score ?dataset (COUNT(?part) AS ?parts) WHERE {
          ?o sdmx-attribute:obsStatus ?status ; mkg:recomputedFrom ?from ; mkg:rule ?rule ;
             mkg:score ?score ; qb:dataSet ?dataset ; prov:wasDerivedFrom ?part .
        } GROUP BY ?o ?status ?from ?rule ?score ?dataset""",
        substitutions={ox.Variable("o"): node}))
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == iris.concept("status", "recomputed")
    assert row["from"] == iris.score("mipex-2020", "SWE", 2019, "g")
    assert row["rule"].value.endswith("/rule/mipex/g")
    assert row["score"].datatype.value.endswith("#decimal")
    assert Decimal(row["score"].value) == 50
    assert row["dataset"] == recomputed_dataset(iris.edition("mipex-2020"))
    assert row["parts"].value == "6"
    # the published figure is untouched
    assert {r["v"].value for r in store.query(
        "SELECT ?o ?v WHERE { ?o mkg:score ?v }",
        substitutions={ox.Variable("o"): iris.score("mipex-2020", "SWE", 2019, "g")})} == {"55"}


def test_recomputing_again_replaces_the_graph(store: KnowledgeStore) -> None:
    first = recompute_store(store).triples
    second = recompute_store(store).triples
    assert first == second == len(list(store.triples(RECOMPUTED_GRAPH)))


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "store")
    workbook = tiny_workbook(tmp_path / "tiny_2014-2019.xlsx")
    assert main(["load", "--store", path, "--quiet", str(workbook)]) == 0
    assert "recomputed 12 of 12 published composite scores" in capsys.readouterr().out
    assert main(["recompute", "--store", path]) == 0
    out = capsys.readouterr().out
    assert "recomputed 12 of 12 published composite scores (11 reproduced to 0.01)" in out
    assert "SWE 2019 g: published 55.0000" in out
    assert main(["recompute", "--store", path, "--report-only"]) == 0
    assert "SWE 2019 g: published 55.0000" in capsys.readouterr().out
    assert main(["recompute", "--store", path, "--series", "SWE", "--composite", "g"]) == 0
    out = capsys.readouterr().out
    assert "SWE g: 2 published scores, 1 breaks" in out and "years missing before" in out
    assert main(["recompute", "--store", path, "--alternative", "mipex/g/indicator-mean",
                 "--year", "2019"]) == 0
    out = capsys.readouterr().out
    assert "recomputed by rule/mipex/g/indicator-mean: 0 of 1 ranks change" in out
    assert main(["recompute", "--store", path, "--year", "2019"]) == 2
    assert "--alternative and --year go together" in capsys.readouterr().err


def test_the_gate_refuses_a_recomputed_score_that_breaks_the_shapes(store: KnowledgeStore) -> None:
    results = recompute(PublishedScores.from_store(store), read_rules(store).values())
    triples = graph_triples(results, now(), now())
    check(store, triples)  # as computed: conforms
    published = iris.concept("status", "published")
    tampered = [ox.Triple(t.subject, t.predicate, published)
                if t.predicate == SDMX_ATTRIBUTE.obsStatus else t for t in triples]
    before = store.graph_sizes()
    with pytest.raises(LoadError) as refused:
        check(store, tampered)
    assert any("id/status/recomputed" in p.message for p in refused.value.problems)
    assert store.graph_sizes() == before

"""The MIPEX 2015 workbook, loaded for real beside the 2020 ones (session fixture).

Checked against the workbook read independently with openpyxl (every scored cell,
every summary average), against facts of ../shared/data/README.md (38 countries,
the EU28 / EU15 / EU13 groups, 8 strands), and for what the project derives from
it: the rules read from the formulas, the recomputed composites and averages, and
the crosswalk to the 2020 instrument.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import LoadReport
from mipex_kg.loaders.recompute_report import time_series, verification_report

from tests.api_rest.conftest import TestClient, real_client  # noqa: F401  (shared fixture)
from tests.conftest import EDITION_2015_WORKBOOK
from tests.loaders.test_real_workbooks import ignored_cells

pytestmark = pytest.mark.realdata

EDITION = "https://w3id.org/mipex-kg/id/edition/mipex-2015"
SYSTEM = "https://w3id.org/mipex-kg/id/system/mipex-2015"


def read_cells(path: Path) -> tuple[dict[tuple[str, str], tuple[Decimal, str]],
                                    dict[tuple[str, str], Decimal]]:
    """Every numeric score cell of the country sheets, (sheet, cell) -> (value, kind),
    and every numeric average of the summary sheet, (sheet, cell) -> value.

    Independent of the loader: a country sheet is one whose A1 is "Number"; its score
    columns are those whose header says "MIPEX Score"; a row's kind is "sub" when
    column A is a number and a letter, "indicator" when column A is a number or only
    column D (the indicator's name) is filled, else "composite". The summary sheet is
    the one named "Summary ...": its averages are the numbers of columns B-E.
    """
    scores: dict[tuple[str, str], tuple[Decimal, str]] = {}
    averages: dict[tuple[str, str], Decimal] = {}
    workbook = load_workbook(path, read_only=True, data_only=True)
    for ws in workbook.worksheets:
        rows = list(ws.iter_rows())
        if ws.title.startswith("Summary"):
            for row in rows[1:]:
                for cell in row[1:5]:
                    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                        averages[(ws.title, cell.coordinate)] = Decimal(repr(cell.value))
            continue
        if not rows or rows[0][0].value != "Number":
            continue
        columns = [i for i, c in enumerate(rows[0]) if "MIPEX Score" in str(c.value or "")]
        for row in rows[1:]:
            number = str(row[0].value or "").strip()
            if re.fullmatch(r"\d+[a-z]", number):
                kind = "sub"
            elif re.fullmatch(r"\d+", number) or (not number and row[3].value
                                                  and not row[1].value and not row[2].value):
                kind = "indicator"
            else:
                kind = "composite"
            for index in columns:
                value = row[index].value if index < len(row) else None
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number_value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
                    scores[(ws.title, row[index].coordinate)] = (number_value, kind)
    workbook.close()
    return scores, averages


@pytest.fixture(scope="module")
def workbook_cells() -> tuple[dict, dict]:
    return read_cells(EDITION_2015_WORKBOOK)


@pytest.fixture(scope="module")
def report_2015(real_load: tuple[KnowledgeStore, list[LoadReport]]) -> LoadReport:
    return real_load[1][2]


def graph_scores(store: KnowledgeStore) -> dict[tuple[str, str], tuple[Decimal, str]]:
    rows = store.query(
        "SELECT ?sheet ?cell ?v ?class WHERE { ?o qb:dataSet ?ds ; mkg:score ?v ; "
        "mkg:sourceSheet ?sheet ; mkg:sourceCell ?cell ; mkg:indicator ?i . ?i a ?class . "
        "VALUES ?class { mkg:OverallIndicator mkg:PolicyArea mkg:PolicyDimension "
        "mkg:PolicyIndicator mkg:SubIndicator } "
        f"FILTER(?ds = <{EDITION}>) }}")
    kinds = {"PolicyIndicator": "indicator", "SubIndicator": "sub"}
    return {(r["sheet"].value, r["cell"].value):
            (Decimal(r["v"].value), kinds.get(r["class"].value.rsplit("#", 1)[-1], "composite"))
            for r in rows}


def test_every_scored_cell_is_one_exact_observation_of_its_kind(
        real_store: KnowledgeStore, report_2015: LoadReport, workbook_cells: tuple) -> None:
    scores, averages = workbook_cells
    ignored = ignored_cells(report_2015)
    expected = {k: v for k, v in scores.items() if k not in ignored}
    in_graph = graph_scores(real_store)
    assert {k: v for k, v in in_graph.items() if not k[0].startswith("Summary")} == expected
    assert {k: v[0] for k, v in in_graph.items() if k[0].startswith("Summary")} == averages
    # the repeats left out are the rows the report names, below the questionnaire
    assert ignored and all(sheet == "GR" for sheet, _ in ignored)


def test_the_load_report_says_what_it_left_out(report_2015: LoadReport,
                                               workbook_cells: tuple) -> None:
    notes = [n.message for n in report_2015.notes]
    assert any("#DIV/0!" in m for m in notes) and any("#REF!" in m for m in notes)
    assert any("not applicable" in m for m in notes)
    assert any("has no number" in m and "'29'" in m for m in notes)
    assert report_2015.observations == len(workbook_cells[0]) + len(workbook_cells[1]) - len(
        ignored_cells(report_2015))


def test_the_edition_has_its_own_system_countries_and_years(real_store: KnowledgeStore) -> None:
    row = next(iter(real_store.query(
        "SELECT (COUNT(DISTINCT ?c) AS ?countries) (MIN(?y) AS ?first) (MAX(?y) AS ?last) "
        "WHERE { ?o qb:dataSet ?ds ; mkg:jurisdiction ?c ; mkg:refPeriod/mkg:year ?y . "
        f"?c a mkg:Country . FILTER(?ds = <{EDITION}>) }}")))
    assert (int(row["countries"].value), int(row["first"].value), int(row["last"].value)) == (
        38, 2007, 2014)
    kinds = {r["k"].value.rsplit("#", 1)[-1]: int(r["n"].value) for r in real_store.query(
        "SELECT ?k (COUNT(?c) AS ?n) WHERE { ?c skos:inScheme ?s ; a ?k . VALUES ?k { "
        "mkg:OverallIndicator mkg:PolicyArea mkg:PolicyDimension mkg:PolicyIndicator } "
        f"FILTER(?s = <{SYSTEM}>) }} GROUP BY ?k")}
    assert kinds["PolicyIndicator"] == 167 and kinds["PolicyArea"] == 8
    # Turkey and the United Kingdom by their MIPEX sheet codes
    assert real_store.query(
        "ASK { ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2015> ; "
        "mkg:jurisdiction <https://w3id.org/mipex-kg/id/country/TUR> ; mkg:sourceSheet 'TU' }")
    assert real_store.query(
        "ASK { ?o mkg:jurisdiction <https://w3id.org/mipex-kg/id/country/GBR> ; "
        "mkg:sourceSheet 'UK' ; qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2015> }")


def test_indicators_carry_the_question_and_the_three_answers_as_written(
        real_store: KnowledgeStore) -> None:
    workbook = load_workbook(EDITION_2015_WORKBOOK, read_only=True)
    row = next(workbook["AT"].iter_rows(min_row=7, max_row=7, values_only=True))
    workbook.close()
    found = next(iter(real_store.query(
        "SELECT ?q ?a100 ?a50 ?a0 WHERE { <https://w3id.org/mipex-kg/id/indicator/mipex-2015/1> "
        "mkg:question ?q ; mkg:answerFor100 ?a100 ; mkg:answerFor50 ?a50 ; mkg:answerFor0 ?a0 }")))
    assert [found[k].value for k in ("q", "a100", "a50", "a0")] == [
        str(v).strip() for v in row[5:9]]


def test_the_groups_list_their_members_and_their_averages_are_recomputed(
        real_store: KnowledgeStore) -> None:
    members = {r["code"].value: int(r["n"].value) for r in real_store.query(
        "SELECT ?code (COUNT(?m) AS ?n) WHERE { ?g a mkg:JurisdictionGroup ; skos:notation ?code ; "
        "mkg:groupMember ?m } GROUP BY ?code")}
    assert members == {"EU28": 28, "EU15": 15, "EU13": 13, "MIPEX Average": 38}
    report = verification_report(real_store)
    assert report.group_means and all(ok == total > 0 for _, ok, total in report.group_means)


def test_the_rules_read_from_the_formulas_reproduce_the_composites(
        real_store: KnowledgeStore) -> None:
    report = verification_report(real_store)
    ok, total = report.shares(("overall", "policy area", "dimension", "indicator"))["mipex-2015"]
    assert total > 0 and ok / total >= 0.99
    mine = [d for d in report.differences if d.edition == "mipex-2015"]
    assert len(mine) == total - ok
    # each difference is explained: the cell's own formula, or parts without a score
    assert all(any("own formula" in x or "no published score" in x for x in d.diagnoses)
               for d in mine)


def test_the_crosswalk_covers_every_2015_indicator(real_store: KnowledgeStore) -> None:
    leaves = {r["c"].value for r in real_store.query(
        "SELECT ?c WHERE { ?c skos:inScheme ?s . { ?c a mkg:PolicyIndicator } UNION "
        f"{{ ?c a mkg:SubIndicator }} FILTER(?s = <{SYSTEM}>) }}")}
    linked = {r["c"].value: r["rel"].value.rsplit("#", 1)[-1] for r in real_store.query(
        "SELECT ?c ?rel WHERE { ?l a mkg:CrosswalkLink ; mkg:linkSource ?c ; "
        "mkg:mappingRelation ?rel ; mkg:textSimilarity ?t ; mkg:wordsOnlyInSource ?w }")}
    without = {r["c"].value for r in real_store.query(
        "SELECT ?c WHERE { ?c mkg:noCounterpartIn <https://w3id.org/mipex-kg/id/system/mipex> }")}
    assert leaves <= set(linked) | without and not set(linked) & without
    assert {"exactMatch", "closeMatch", "broadMatch", "narrowMatch"} <= set(linked.values())
    # an exact match asks the same question with the same answers
    assert not list(real_store.query(
        "SELECT ?l WHERE { ?l mkg:mappingRelation skos:exactMatch ; mkg:questionSimilarity ?q ; "
        "mkg:answerSimilarity ?a FILTER(?q < 0.9 || ?a < 0.8) }"))


def test_the_crosswalk_agrees_with_the_2020_codes_that_name_2015_numbers(
        real_store: KnowledgeStore) -> None:
    """The 2020 codes carry the 2015 numbers (aa1, ab7ab8): an independent check of the
    text decision, which never reads them."""
    rows = list(real_store.query(
        "SELECT DISTINCT ?from ?to WHERE { ?l mkg:linkSource ?s ; mkg:linkTarget ?t . "
        "?s skos:notation ?from ; a mkg:PolicyIndicator . ?t skos:notation ?to ; "
        "skos:inScheme <https://w3id.org/mipex-kg/id/system/mipex> }"))
    numbers_2020 = {n for r in real_store.query(
        "SELECT DISTINCT ?code WHERE { ?c skos:inScheme <https://w3id.org/mipex-kg/id/system/"
        "mipex> ; skos:notation ?code }") for n in re.findall(r"\d+", r["code"].value)}
    # the links of the 2015 indicators whose number some 2020 code carries
    named = [(r["from"].value, r["to"].value) for r in rows if r["from"].value in numbers_2020]
    agree = [f for f, t in named if f in re.findall(r"\d+", t)]
    assert len(named) >= 40 and len(agree) / len(named) >= 0.8
    strands = {r["f"].value: r["t"].value for r in real_store.query(
        "SELECT ?f ?t WHERE { ?s a mkg:PolicyArea ; skos:closeMatch ?x ; skos:notation ?f ; "
        f"skos:inScheme <{SYSTEM}> . ?x skos:notation ?t }}")}
    assert strands == {c: c for c in "abcdefgh"}


def test_one_country_on_one_indicator_in_both_editions(
        real_client: TestClient) -> None:  # noqa: F811 - the fixture imported above
    response = real_client.get("/api/editions/compare", params={
        "jurisdiction": "AUT", "indicator": "mipex-2015:1"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    workbook = load_workbook(EDITION_2015_WORKBOOK, read_only=True, data_only=True)
    own = next(workbook["AT"].iter_rows(min_row=7, max_row=7, values_only=True))[9]
    workbook.close()
    by_edition = {(i["edition"].rsplit("/", 1)[-1], i["year"]): i for i in items}
    assert by_edition[("mipex-2015", 2014)]["score"] == own
    assert ("mipex-2020", 2014) in by_edition and by_edition[("mipex-2020", 2014)]["relation"]


def test_the_time_series_shows_the_other_instrument(real_store: KnowledgeStore) -> None:
    points = time_series(real_store, "SWE", "overall-with-health", system="mipex-2015")
    assert [p.year for p in points] == [2014]
    assert points[0].counterpart == "overall-with-health" and points[0].counterpart_score

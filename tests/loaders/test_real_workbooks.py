"""The official MIPEX workbooks, loaded for real (once per session, see conftest).

Checked against the cells of the workbooks read independently with openpyxl, and
against the published facts listed in ../shared/data/README.md.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.known_sources import MIPEX_CORE_2007_2019, MIPEX_EU_2020_2024
from mipex_kg.loaders.pipeline import LoadReport
from mipex_kg.loaders.validation import validate_store

from tests.conftest import CORE_WORKBOOK, EU_WORKBOOK


def scored_cells(path: Path) -> dict[tuple[str, str], Decimal]:
    """Every numeric score cell of a workbook: (sheet, cell) -> value.

    Independent of the loader: a data row is a row whose column A is a year; the
    Overall Scores block scores sit in columns B-D, the strand blocks' in B, E, H ...
    """
    cells: dict[tuple[str, str], Decimal] = {}
    workbook = load_workbook(path, read_only=True, data_only=True)
    for ws in workbook.worksheets:
        in_overall = False
        for row in ws.iter_rows():
            first = row[0].value if row else None
            if first == "Overall Scores":
                in_overall = True
            elif first == "Policy strand":
                in_overall = False
            if not isinstance(first, int) or not 1990 <= first <= 2100:
                continue
            columns = (1, 2, 3) if in_overall else range(1, len(row), 3)
            for index in columns:
                if index >= len(row):
                    continue
                value = row[index].value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
                    cells[(ws.title, row[index].coordinate)] = number
    workbook.close()
    return cells


def graph_cells(store: KnowledgeStore, edition: str) -> dict[tuple[str, str], Decimal]:
    rows = store.query(
        "SELECT ?sheet ?cell ?v WHERE { ?o a qb:Observation ; qb:dataSet ?ds ; mkg:score ?v ; "
        "mkg:sourceSheet ?sheet ; mkg:sourceCell ?cell . FILTER(?ds = <https://w3id.org/"
        f"mipex-kg/id/edition/{edition}>) }}"
    )
    return {(r["sheet"].value, r["cell"].value): Decimal(r["v"].value) for r in rows}


def ignored_cells(report: LoadReport) -> set[tuple[str, str]]:
    """Cells the load report says it deliberately left out (repeats, uncoded columns)."""
    ignored = set()
    for note in report.notes:
        sheet = note.place.split(",")[0].removeprefix("sheet ")
        if "given twice" in note.message:
            ignored.add((sheet, note.place.rsplit(" and ", 1)[-1]))
        elif "no indicator code" in note.message:
            ignored.add((sheet, note.place.rsplit("cell ", 1)[-1]))
    return ignored


@pytest.mark.parametrize(
    ("path", "edition", "index"),
    [(CORE_WORKBOOK, "mipex-2020", 0), (EU_WORKBOOK, "mipex-2025-eu", 1)],
    ids=["2007-2019", "2020-2024"],
)
def test_every_scored_cell_is_in_the_graph_with_its_exact_value(
    real_load: tuple[KnowledgeStore, list[LoadReport]], path: Path, edition: str, index: int
) -> None:
    store, reports = real_load
    expected = scored_cells(path)
    ignored = ignored_cells(reports[index])
    in_graph = graph_cells(store, edition)
    assert {k: v for k, v in expected.items() if k not in ignored} == in_graph


def test_one_observation_per_country_year_and_indicator(real_store: KnowledgeStore) -> None:
    duplicates = list(real_store.query(
        "SELECT ?ds ?j ?i ?p (COUNT(?o) AS ?n) WHERE { ?o a qb:Observation ; qb:dataSet ?ds ; "
        "mkg:jurisdiction ?j ; mkg:indicator ?i ; mkg:refPeriod ?p } GROUP BY ?ds ?j ?i ?p "
        "HAVING (COUNT(?o) > 1)"))
    assert duplicates == []


def test_the_load_report_names_the_cells_given_twice(real_load: tuple) -> None:
    _store, reports = real_load
    twice = [n for n in reports[0].notes if "given twice" in n.message]
    assert twice and all(n.place.startswith("sheet IL, cells ") for n in twice)
    assert any("171" in n.place and "176" in n.place for n in twice)


def overall_2019(store: KnowledgeStore) -> list[tuple[str, Decimal]]:
    rows = store.query(
        "SELECT ?name ?v WHERE { ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2020> ; "
        "mkg:indicator <https://w3id.org/mipex-kg/id/indicator/mipex/"
        "overall-with-health> ; mkg:refPeriod <https://w3id.org/mipex-kg/id/period/2019> ; "
        "mkg:score ?v ; mkg:jurisdiction ?c . ?c skos:prefLabel ?name } ORDER BY DESC(?v)")
    return [(r["name"].value, Decimal(r["v"].value)) for r in rows]


def test_sweden_2019_and_the_top_of_the_ranking(real_store: KnowledgeStore) -> None:
    ranking = overall_2019(real_store)
    assert ranking[0][0] == "Sweden" and round(ranking[0][1], 1) == Decimal("86.4")
    assert [name for name, _ in ranking[:5]] == ["Sweden", "Finland", "Portugal", "Canada",
                                                  "New Zealand"]
    published = {"Finland": "84.6", "Portugal": "81.4", "Canada": "79.6", "New Zealand": "77.4"}
    assert {n: str(round(v, 1)) for n, v in ranking[1:5]} == published
    assert len(ranking) == 56


def _count(store: KnowledgeStore, edition: str, what: str) -> int:
    row = next(iter(store.query(
        f"SELECT (COUNT(DISTINCT {what}) AS ?n) WHERE {{ ?o qb:dataSet "
        f"<https://w3id.org/mipex-kg/id/edition/{edition}> ; mkg:jurisdiction ?j ; "
        "mkg:refPeriod/mkg:year ?y ; mkg:indicator ?i . ?i a ?kind }")))
    return int(row["n"].value)


def test_counts_match_the_files(real_store: KnowledgeStore) -> None:
    assert _count(real_store, "mipex-2020", "?j") == 56
    assert _count(real_store, "mipex-2025-eu", "?j") == 28
    assert _count(real_store, "mipex-2020", "?y") == 14  # 2007-2019, and 2020 rows of 4 countries
    assert _count(real_store, "mipex-2025-eu", "?y") == 5
    kinds = {r["k"].value.rsplit("#", 1)[-1]: int(r["n"].value) for r in real_store.query(
        "SELECT ?k (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i skos:inScheme <https://w3id.org/mipex-kg/"
        "id/system/mipex> ; a ?k . FILTER(STRSTARTS(STR(?k), STR(mkg:))) } GROUP BY ?k")}
    assert kinds["PolicyArea"] == 8 and kinds["OverallIndicator"] == 3
    assert kinds["PolicyIndicator"] == 59 and kinds["SubIndicator"] == 20


def test_whole_store_conforms_to_the_shapes(real_store: KnowledgeStore) -> None:
    text, conforms = validate_store(real_store)
    assert conforms, text


def test_provenance_of_a_score_reaches_file_sheet_cell_edition_publisher(
    real_store: KnowledgeStore,
) -> None:
    rows = list(real_store.query(
        "SELECT ?sha ?url ?sheet ?cell ?edition ?publisher ?started WHERE { "
        "<https://w3id.org/mipex-kg/id/score/mipex-2020/SWE/2019/aa1> prov:wasDerivedFrom ?file ; "
        "mkg:sourceSheet ?sheet ; mkg:sourceCell ?cell ; qb:dataSet ?edition . "
        "?file mkg:sha256 ?sha ; mkg:originalUrl ?url . ?edition prov:wasAttributedTo ?publisher . "
        "?load prov:used ?file ; prov:startedAtTime ?started }"))
    assert rows
    assert {r["sha"].value for r in rows} == {MIPEX_CORE_2007_2019.sha256}
    assert {r["url"].value for r in rows} == {MIPEX_CORE_2007_2019.url}
    assert {(r["sheet"].value, r["cell"].value) for r in rows} == {("SE", "E36")}
    assert {r["publisher"].value.rsplit("/", 1)[-1] for r in rows} >= {"mpg", "cidob"}
    eu = list(real_store.query("SELECT ?sha WHERE { ?f a mkg:SourceFile ; mkg:sha256 ?sha ; "
                               "mkg:edition <https://w3id.org/mipex-kg/id/edition/mipex-2025-eu> }"))
    assert [r["sha"].value for r in eu] == [MIPEX_EU_2020_2024.sha256]

"""The MIPEX workbook loader on tiny workbooks built in the official layout.

Each malformed workbook must be refused with a message naming the place, and leave
the store exactly as it was.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph import iris
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.mipex_workbook import read_workbook
from mipex_kg.loaders.pipeline import Loader, workbook_graph

from tests.workbook_builder import Column, Strand, sheet, write_workbook


def snapshot(store: KnowledgeStore) -> bytes:
    return b"".join(sorted((store.dump(None, ox.RdfFormat.N_QUADS) or b"").splitlines()))


def test_reads_concepts_and_scores_exactly(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "w.xlsx", {"SE": sheet(), "UK": sheet(overall=(1.1, 2.2, 3.3))})
    content = read_workbook(path, ["SE", "UK"])
    assert content.problems == []
    kinds = {c.code: c.kind for c in content.concepts.values()}
    assert kinds["a"] == "area" and kinds["aa1"] == "indicator"
    assert kinds["bb28a"] == "sub" and content.concepts["bb28a"].parent == "bb28"
    assert content.concepts["ba21"].kind == "indicator"
    se_overall = {(o.year, o.code): o.value for o in content.observations
                  if o.sheet == "SE" and o.code.startswith("overall")}
    assert se_overall[(2019, "overall-without-health")] == Decimal("61.25")
    aa1 = [o for o in content.observations if o.sheet == "SE" and o.code == "aa1" and o.year == 2019]
    assert aa1[0].comment == "As of 2019, A and C." and aa1[0].cell.startswith("E")


def test_load_puts_every_score_in_the_graph(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = write_workbook(tmp_path / "tiny_2014-2019.xlsx", {"SE": sheet(), "UK": sheet()})
    report = Loader(reference_store).load_workbook(path)
    assert report.status == "loaded"
    assert report.observations == 2 * 2 * (3 + 3 + 5)
    score = iris.score("mipex-2020", "GBR", 2019, "aa1")
    rows = list(reference_store.query(
        "SELECT ?o ?v ?cell ?sheet WHERE { ?o mkg:score ?v ; mkg:sourceCell ?cell ; mkg:sourceSheet ?sheet }",
        substitutions={ox.Variable("o"): score}))
    assert [(r["v"].value, r["sheet"].value) for r in rows] == [("50", "UK")]
    assert reference_store.has_graph(workbook_graph(path))


def test_loading_the_same_file_twice_is_a_no_op(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = write_workbook(tmp_path / "w.xlsx", {"SE": sheet()})
    loader = Loader(reference_store)
    loader.load_workbook(path)
    before = snapshot(reference_store)
    assert loader.load_workbook(path).status == "unchanged"
    assert snapshot(reference_store) == before


def test_a_changed_file_replaces_its_graph(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = tmp_path / "w.xlsx"
    loader = Loader(reference_store)
    write_workbook(path, {"SE": sheet(), "FI": sheet()})
    loader.load_workbook(path)
    write_workbook(path, {"SE": sheet(overall=(10.0, 20.0, 30.0))})
    assert loader.load_workbook(path).status == "loaded"
    countries = {r["c"].value for r in reference_store.query(
        "SELECT DISTINCT ?c WHERE { ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2020> ; "
        "mkg:jurisdiction ?c }")}
    assert countries == {iris.country("SWE").value}
    sources = list(reference_store.query("SELECT ?s WHERE { ?s a mkg:SourceFile }"))
    assert len(sources) == 1 + len(list(reference_store.query(
        "SELECT ?s WHERE { GRAPH ?g { ?s a mkg:SourceFile } FILTER(STRSTARTS(STR(?g), "
        "'https://w3id.org/mipex-kg/graph/curated/') || STR(?g) = "
        "'https://w3id.org/mipex-kg/graph/ontology') }")))


def _refused(tmp_path: Path, store: KnowledgeStore, path: Path) -> LoadError:
    before = snapshot(store)
    with pytest.raises(LoadError) as caught:
        Loader(store).load_workbook(path)
    assert snapshot(store) == before, "a refused load changed the store"
    return caught.value


def _with_column(column: Column) -> dict:
    spec = sheet()
    spec["strands"][0].columns.append(column)
    return spec


@pytest.mark.parametrize(
    ("spec", "place", "words"),
    [
        (_with_column(Column("ab9", scores={2019: 120})), "sheet SE, cell K14", "outside 0-100"),
        (_with_column(Column("ab9", scores={2019: "fifty"})), "sheet SE, cell K14", "not a number"),
        (_with_column(Column("ab9", scores={2014: -1})), "sheet SE, cell K13", "outside 0-100"),
    ],
    ids=["score-120", "text-score", "negative"],
)
def test_bad_scores_are_refused_with_their_cell(tmp_path: Path, reference_store: KnowledgeStore,
                                                 spec: dict, place: str, words: str) -> None:
    path = write_workbook(tmp_path / "bad.xlsx", {"SE": spec})
    error = _refused(tmp_path, reference_store, path)
    assert any(place in p.place and words in p.message and p.file == "bad.xlsx"
               for p in error.problems), error.problems


def test_unknown_sheet_code_is_refused(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = write_workbook(tmp_path / "w.xlsx", {"SE": sheet(), "XX": sheet()})
    error = _refused(tmp_path, reference_store, path)
    assert [p.place for p in error.problems] == ["sheet 'XX'"]


def test_missing_strand_header_row_is_refused(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = write_workbook(tmp_path / "w.xlsx", {"SE": sheet()})
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["SE"]
    for row in ws.iter_rows():
        if row[0].value == "Sub-indicator":
            row[0].value = None  # the block loses its Sub-indicator header
            break
    wb.save(path)
    error = _refused(tmp_path, reference_store, path)
    assert any("Sub-indicator" in p.message and "sheet SE, cell A" in p.place for p in error.problems)


def test_sheet_without_blocks_is_refused(tmp_path: Path, reference_store: KnowledgeStore) -> None:
    path = write_workbook(tmp_path / "w.xlsx", {"SE": {"years": (), "overall": {}, "strands": []}})
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["SE"].delete_rows(1, 10)
    wb.save(path)
    error = _refused(tmp_path, reference_store, path)
    messages = " ".join(p.message for p in error.problems)
    assert "Overall Scores" in messages and "Policy strand" in messages


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"Year,Score\n2019,50\n", "not a readable .xlsx"), (None, "not a readable .xlsx")],
    ids=["empty", "csv-named-xlsx", "truncated"],
)
def test_unreadable_files_are_refused(tmp_path: Path, reference_store: KnowledgeStore,
                                      content: bytes | None, words: str) -> None:
    path = tmp_path / "broken.xlsx"
    if content is None:
        good = write_workbook(tmp_path / "good.xlsx", {"SE": sheet()}).read_bytes()
        content = good[: len(good) // 2]
    path.write_bytes(content)
    error = _refused(tmp_path, reference_store, path)
    assert error.problems[0].file == "broken.xlsx" and words in error.problems[0].message


def test_repeated_year_with_equal_scores_is_one_observation(tmp_path: Path) -> None:
    spec = sheet(years=(2014, 2019, 2019))
    path = write_workbook(tmp_path / "w.xlsx", {"SE": spec})
    content = read_workbook(path, ["SE"])
    keys = [(o.sheet, o.year, o.code) for o in content.observations]
    assert len(keys) == len(set(keys))
    assert any("given twice with the same score" in n.message for n in content.notes)


def test_repeated_year_with_different_scores_is_refused(tmp_path: Path) -> None:
    spec = sheet(years=(2019,), strands=[Strand("a", "Labour", [Column("a", scores={2019: 50})])])
    path = write_workbook(tmp_path / "w.xlsx", {"SE": spec})
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["SE"].append([2019, 60, None])
    wb.save(path)
    content = read_workbook(path, ["SE"])
    assert any("different scores" in p.message and "B" in p.place for p in content.problems)


def test_quirks_are_reported_not_hidden(tmp_path: Path) -> None:
    spec = _with_column(Column("ab9", scores={2014: "#DIV/0!", 2019: 100}))
    spec["strands"][1].columns.append(Column("fb102_new", scores={2019: 50}))
    path = write_workbook(tmp_path / "w.xlsx", {"SE": spec})
    content = read_workbook(path, ["SE"])
    assert content.problems == []
    messages = [n.message for n in content.notes]
    assert any("#DIV/0!" in m for m in messages)
    assert any("variant spelling of 'fa102_new'" in m for m in messages)
    assert "fa102_new" in content.concepts and "fb102_new" not in content.concepts

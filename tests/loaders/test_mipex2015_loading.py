"""Loading workbooks in the MIPEX 2015 layout: recognised from the file, every scored
cell one observation, the formulas as rules, and malformed files refused with the
sheet and cell named and the store unchanged (tiny workbooks built by the tests)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.excel_formulas import FormulaError, parse_formula
from mipex_kg.loaders.mipex2015_workbook import is_mipex2015_layout
from mipex_kg.loaders.pipeline import Loader
from mipex_kg.loaders.recompute import recompute_store

from tests.workbook2015_builder import cached_figures, country_rows, write_2015_workbook
from tests.workbook_builder import sheet, write_workbook

ID = "https://w3id.org/mipex-kg/id/"


def scores(store: KnowledgeStore) -> dict[tuple[str, str], Decimal]:
    return {(r["sheet"].value, r["cell"].value): Decimal(r["v"].value) for r in store.query(
        "SELECT ?sheet ?cell ?v WHERE { ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/"
        "mipex-2015> ; mkg:score ?v ; mkg:sourceSheet ?sheet ; mkg:sourceCell ?cell }")}


def test_formulas_name_their_cells() -> None:
    formula = parse_formula("=AVERAGE(J5,J30:J32,#REF!)")
    assert [(r.column, r.row) for r in formula.references] == [(10, 5), (10, 30), (10, 31),
                                                              (10, 32)]
    assert formula.broken == 1
    assert parse_formula("=AT!J3").references[0].sheet == "AT"
    assert parse_formula("=AVERAGE(J256:L257)").references[-1].column == 12
    with pytest.raises(FormulaError):
        parse_formula("=SUM(J5:J7)")
    with pytest.raises(FormulaError):
        parse_formula("=J2-R2")


def test_the_layout_is_recognised_from_the_file_not_its_name(tmp_path: Path) -> None:
    renamed = write_2015_workbook(tmp_path / "mipex_core_2007-2019.xlsx", {"SE": country_rows()})
    other = write_workbook(tmp_path / "policy_indicators_finalwebsite.xlsx", {"SE": sheet()})
    assert is_mipex2015_layout(renamed)
    assert not is_mipex2015_layout(other)


def test_every_scored_cell_and_composite_is_loaded_and_the_formulas_become_rules(
        reference_store: KnowledgeStore, tmp_path: Path) -> None:
    path = write_2015_workbook(tmp_path / "w.xlsx", {"SE": country_rows(), "TU": country_rows()},
                               cached={**cached_figures("SE"), **cached_figures("TU")})
    report = Loader(reference_store).load_workbook(path)
    found = scores(reference_store)
    # 4 numbers (1, 2, 3a, 3b) and 4 formulas (3, dimension, strand, overall), two years, two sheets
    assert len(found) == report.observations == 32
    assert found[("SE", "J5")] == 50 and found[("TU", "L6")] == 0 and found[("SE", "J7")] == 50
    assert reference_store.query(
        "ASK { ?o mkg:sourceSheet 'TU' ; mkg:jurisdiction <https://w3id.org/mipex-kg/id/country/"
        "TUR> ; mkg:sourceCell 'J5' ; mkg:comment 'comment on 1' }")
    assert reference_store.query(
        "ASK { ?o mkg:sourceCell 'J4' ; mkg:sourceFormula '=AVERAGE(J5:J7)' ; "
        "mkg:indicator <https://w3id.org/mipex-kg/id/indicator/mipex-2015/aa> }")
    parts = {r["p"].value.rsplit("/", 1)[-1] for r in reference_store.query(
        "SELECT ?p WHERE { <https://w3id.org/mipex-kg/id/rule/mipex-2015/aa> mkg:partGroup/"
        "mkg:weightedPart/mkg:part ?p }")}
    assert parts == {"1", "2", "3"}
    run = recompute_store(reference_store)
    assert run.recomputed == 16 and run.reproduced() == 16


@pytest.mark.parametrize(("rows", "place", "words"), [
    ([country_rows()[0]], "sheet SE, row 2", "truncated"),
    (country_rows({"dimension": ("=AVERAGE(J5:J99)", None)}), "sheet SE, cell J4",
     "outside the sheet"),
    (country_rows({"dimension": ("=AVERAGE(TU!J5:J7)", None)}), "sheet SE, cell J4",
     "another sheet"),
    (country_rows({"2": (120, 0)}), "sheet SE, cell J6", "outside 0-100"),
], ids=["truncated", "formula-outside-the-sheet", "formula-to-another-sheet",
        "score-out-of-range"])
def test_a_malformed_workbook_is_refused_with_sheet_and_cell_and_nothing_changes(
        reference_store: KnowledgeStore, tmp_path: Path, rows: list, place: str,
        words: str) -> None:
    good = write_2015_workbook(tmp_path / "good.xlsx", {"SE": country_rows()})
    loader = Loader(reference_store)
    loader.load_workbook(good)
    before = reference_store.dump(None, ox.RdfFormat.N_QUADS)
    bad = write_2015_workbook(tmp_path / "good.xlsx", {"SE": rows})
    with pytest.raises(LoadError) as refused:
        loader.load_workbook(bad)
    messages = [str(p) for p in refused.value.problems]
    assert any(m.startswith(f"good.xlsx, {place}") and words in m for m in messages), messages
    assert reference_store.dump(None, ox.RdfFormat.N_QUADS) == before

"""First start: the service loads a 2015-layout workbook it finds in the data folder."""

from __future__ import annotations

from pathlib import Path

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.bootstrap import ensure_loaded, workbooks_in
from mipex_kg.loaders.crosswalk import CROSSWALK_GRAPH
from mipex_kg.loaders.known_sources import MIPEX_2015

from tests.workbook2015_builder import cached_figures, country_rows, write_2015_workbook


def test_the_known_2015_file_is_one_of_the_workbooks_of_a_data_folder(tmp_path: Path) -> None:
    (tmp_path / MIPEX_2015.file_name).write_bytes(b"")
    (tmp_path / "other.xlsx").write_bytes(b"")
    assert workbooks_in(tmp_path) == [tmp_path / MIPEX_2015.file_name, tmp_path / "other.xlsx"]


def test_first_start_loads_and_recomputes_a_2015_workbook(tmp_path: Path) -> None:
    write_2015_workbook(tmp_path / "mipex2015.xlsx", {"SE": country_rows()},
                        cached=cached_figures("SE"))
    store = KnowledgeStore()
    lines: list[str] = []
    reports = ensure_loaded(store, tmp_path, lines.append)
    assert [r.status for r in reports if r.source == "mipex2015.xlsx"] == ["loaded"]
    assert any(line.startswith("recomputed 8 of 8") for line in lines), lines
    assert store.query("ASK { ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2015> ; "
                       "mkg:sourceSheet 'SE' }")
    # nothing to link to without the 2020 instrument: no crosswalk, and no error
    assert not store.has_graph(CROSSWALK_GRAPH)

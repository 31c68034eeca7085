"""``serve``'s first start: fetch the workbooks when asked, load them, say what happened.

The workbook is a tiny one in the official layout, served by a real HTTP server on
127.0.0.1 (``site``) under the official file name, as mipex.eu would serve it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mipex_kg.api.overview import MISSING_DATA_HINT, Overview
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.bootstrap import first_start
from mipex_kg.loaders.known_sources import KnownWorkbook

from tests.workbook_builder import sheet, write_workbook

NAME = "mipex_core_2007-2019.xlsx"


def test_serve_fetch_downloads_checks_and_loads_the_workbooks(site: tuple[str, Path],
                                                              tmp_path: Path) -> None:
    url, folder = site
    data = write_workbook(folder / NAME, {"SE": sheet(), "FI": sheet()}).read_bytes()
    known = KnownWorkbook(NAME, hashlib.sha256(data).hexdigest(), f"{url}/{NAME}", "mipex-2020")
    store, lines = KnowledgeStore(), []
    first_start(store, tmp_path / "data", fetch=True, report=lines.append, workbooks=[known])
    assert f"{tmp_path / 'data' / NAME}: downloaded, sha256 matches" in lines
    overview = Overview.of(store)
    assert [e.iri.rsplit("/", 1)[-1] for e in overview.editions] == ["mipex-2020"]
    assert overview.editions[0].jurisdictions == 2
    assert overview.summary().startswith("Editions loaded: mipex-2020 (2014-2019, ")


def test_without_network_the_service_starts_with_reference_data_and_says_so(
        tmp_path: Path) -> None:
    known = KnownWorkbook(NAME, "0" * 64, f"http://127.0.0.1:9/{NAME}", "mipex-2020")
    store, lines = KnowledgeStore(), []
    first_start(store, tmp_path / "data", fetch=True, report=lines.append, workbooks=[known],
                timeout=5)
    assert any(line.startswith("could not fetch the workbooks into") for line in lines)
    overview = Overview.of(store)
    assert not overview.has_scores and overview.systems > 0 and overview.jurisdictions > 50
    assert overview.summary() == MISSING_DATA_HINT

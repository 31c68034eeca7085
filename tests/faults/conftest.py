"""Fixtures of the fault tests: a store on disk that holds a workbook already loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.processes import mipex_kg
from tests.queries.conftest import fixture_store  # noqa: F401  (the fuzz test's data)
from tests.workbook_builder import sheet, write_workbook


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two versions of ``tiny.xlsx`` (same name, so the same graph; other scores).

    Version 2 adds two countries: it changes over a tenth of the store, so loading it
    writes a whole snapshot (a smaller change is written in place, see graph/delta.py,
    whose crash points the service's writes reach).
    """
    folder = tmp_path_factory.mktemp("workbooks")
    for version in ("v1", "v2"):
        (folder / version).mkdir()
    return (write_workbook(folder / "v1" / "tiny.xlsx", {"SE": sheet()}),
            write_workbook(folder / "v2" / "tiny.xlsx", {"SE": sheet(overall=(70.0, 71.5, 72.0)),
                                                         "FI": sheet(), "NO": sheet()}))


@pytest.fixture(scope="session")
def loaded_store(workbooks: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder with the reference data and version 1 of ``tiny.xlsx`` (copy it to write)."""
    store = tmp_path_factory.mktemp("loaded") / "store"
    result = mipex_kg("load", "--store", store, "--quiet", workbooks[0])
    assert result.returncode == 0, result.stderr
    return store

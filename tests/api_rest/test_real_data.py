"""Facts from the official workbooks, through the REST facade (needs ../shared/data)."""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from tests.api_rest.conftest import TestClient
from tests.conftest import CORE_WORKBOOK

pytestmark = pytest.mark.realdata


def number(value: Any) -> float | None:
    """A workbook cell as a number (the workbooks store many scores as text)."""
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


@pytest.fixture(scope="module")
def swedish_sheet() -> list[list[Any]]:
    """Sweden's sheet of the 2007-2019 workbook, as rows of values (1-based via grid[r-1])."""
    workbook = load_workbook(CORE_WORKBOOK, read_only=True, data_only=True)
    try:
        return [list(row) for row in workbook["SE"].iter_rows(values_only=True)]
    finally:
        workbook.close()


def cell(grid: list[list[Any]], address: str) -> Any:
    column, row = coordinate_from_string(address)
    values = grid[row - 1]
    index = column_index_from_string(column) - 1
    return values[index] if index < len(values) else None


def year_of(grid: list[list[Any]], address: str) -> float | None:
    """The year a score cell belongs to: the cell on its left, or column A (overall block)."""
    column, row = coordinate_from_string(address)
    left = number(grid[row - 1][column_index_from_string(column) - 2])
    return left if left is not None and 2000 < left < 2030 else number(grid[row - 1][0])


def changed_cells(grid: list[list[Any]], first: int, last: int) -> set[tuple[int, int, int]]:
    """Every (column, row of first year, row of last year) whose score differs, read directly.

    Score columns are those under a 'Score' header (indicator triplets) or in the
    overall block (columns B to D under 'Year' in column A).
    """
    found = set()
    for r, row in enumerate(grid):
        headers = [str(v).strip() if v is not None else "" for v in row]
        if "Year" not in headers:
            continue
        if headers[0] == "Year" and len(headers) > 1 and headers[1].startswith("Overall"):
            columns = [c for c in range(1, 4) if headers[c].startswith("Overall")]
            year_column = {c: 0 for c in columns}
        else:
            columns = [c + 1 for c, h in enumerate(headers[:-1]) if h == "Year"
                       and headers[c + 1] == "Score"]
            year_column = {c: c - 1 for c in columns}
        block = []
        for data in grid[r + 1:]:
            if not any(v is not None for v in data):
                break
            block.append(data)
        for c in columns:
            by_year = {}
            for offset, data in enumerate(block):
                year = number(data[year_column[c]]) if year_column[c] < len(data) else None
                value = number(data[c]) if c < len(data) else None
                if year in (first, last) and value is not None:
                    by_year[year] = (r + 2 + offset, value)
            if len(by_year) == 2 and by_year[first][1] != by_year[last][1]:
                found.add((c + 1, by_year[first][0], by_year[last][0]))
    return found


def overall_with_health(grid: list[list[Any]], year: int) -> float | None:
    """The cell under 'Overall Score (with health)' in the row of ``year``, read directly."""
    header = next(r for r, row in enumerate(grid) if row and row[0] == "Year"
                  and str(row[1]).startswith("Overall Score (with health"))
    return next(number(row[1]) for row in grid[header + 1:] if row and number(row[0]) == year)


def test_sweden_overall_score_in_2019(real_client: TestClient,
                                      swedish_sheet: list[list[Any]]) -> None:
    body = real_client.get("/api/scores", params={
        "jurisdiction": "SWE", "indicator": "overall-with-health", "from": 2019, "to": 2019,
        "edition": "mipex-2020"}).json()
    (row,) = body["items"]
    assert row["score"] == overall_with_health(swedish_sheet, 2019)
    assert round(row["score"], 1) == 86.4  # the published figure
    assert row["observation"].endswith("/score/mipex-2020/SWE/2019/overall-with-health")


def test_the_2019_ranking_top_five(real_client: TestClient) -> None:
    body = real_client.get("/api/rankings", params={"indicator": "overall-with-health",
                                                    "year": 2019}).json()
    top = [(i["rank"], i["jurisdictionLabel"]) for i in body["items"][:5]]
    assert top == [(1, "Sweden"), (2, "Finland"), (3, "Portugal"), (4, "Canada"),
                   (5, "New Zealand")]
    assert len(body["items"]) == 56 and body["unscored"] == []


def test_swedens_changes_2014_2019_match_the_workbook_cells(
        real_client: TestClient, swedish_sheet: list[list[Any]]) -> None:
    body = real_client.get("/api/changes", params={"jurisdiction": "SWE", "from": 2014,
                                                   "to": 2019}).json()
    assert body["items"], "Sweden's scores changed between 2014 and 2019"
    reported = set()
    for change in body["items"]:
        cells = []
        for side, year in (("from", 2014), ("to", 2019)):
            chain = real_client.get("/api/provenance",
                                    params={"score": change[f"{side}Observation"]}).json()
            assert chain["file"]["fileName"] == CORE_WORKBOOK.name
            assert chain["cell"]["sheet"] == "SE"
            address = chain["cell"]["cell"]
            assert number(cell(swedish_sheet, address)) == change[f"{side}Score"], address
            assert year_of(swedish_sheet, address) == year, address
            column, row = coordinate_from_string(address)
            cells.append((column_index_from_string(column), row))
        comment_cell = (cells[1][0] + 1, cells[1][1])
        written = swedish_sheet[comment_cell[1] - 1][comment_cell[0] - 1] \
            if comment_cell[0] - 1 < len(swedish_sheet[comment_cell[1] - 1]) else None
        if change["level"] != "overall":
            assert (written or None) == change["toComment"] or \
                str(written).strip() == change["toComment"]
        reported.add((cells[0][0], cells[0][1], cells[1][1]))
        assert cells[0][0] == cells[1][0]
    assert reported == changed_cells(swedish_sheet, 2014, 2019)

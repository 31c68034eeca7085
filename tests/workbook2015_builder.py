"""Build tiny workbooks in the MIPEX 2015 layout, for tests that run anywhere.

``write_2015_workbook(path, {"SE": country_rows()})`` writes a "Structure" sheet and
one sheet per country code, laid out as policy_indicators_finalwebsite.xlsx is (the
header row of "YYYY MIPEX Score" / "YYYY MIPEX Comments" pairs from column J, the
question and the three answer options in F-I, composites as AVERAGE formulas).
openpyxl writes formulas without the value Excel would show; ``cached`` adds those
values into the file, as Excel saves them, so that composites have published figures.
Tests then break one thing at a time (a score of 120, a formula naming a cell below
the sheet ...).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADER = ["Number", "Policy Strands ", "Policy Dimensions ", "Indicators - short name ",
          "Sub-indicators - short name ", "Description", "Option 1 (100) ", "Option 2 (50) ",
          "Option 3 (0)", "2014 MIPEX Score ", "2014 MIPEX Comments ", "2013 MIPEX Score ",
          "2013 MIPEX Comments "]


def country_rows(scores: dict[str, tuple[Any, Any]] | None = None) -> list[list[Any]]:
    """One country's sheet: an overall score, one strand, one dimension, indicators 1-3
    (3 the mean of its sub-questions 3a and 3b). ``scores`` replaces the (2014, 2013)
    scores of a row by its number (or "overall", "strand", "dimension")."""
    given = {"1": (50, 50), "2": (100, 0), "3": ("=AVERAGE(J8:J9)", "=AVERAGE(L8:L9)"),
             "3a": (0, 0), "3b": (100, 100), "overall": ("=AVERAGE(J3)", "=AVERAGE(L3)"),
             "strand": ("=AVERAGE(J4)", "=AVERAGE(L4)"),
             "dimension": ("=AVERAGE(J5:J7)", "=AVERAGE(L5:L7)"), **(scores or {})}

    def row(number: str | None, strand: str | None, dimension: str | None, name: str | None,
            sub: str | None, question: str, key: str, answers: bool = True) -> list[Any]:
        options = ["Yes, all", "Some", "None"] if answers else [None, None, None]
        this, last = given[key]
        return [number, strand, dimension, name, sub, question, *options, this,
                f"comment on {key}" if key in ("1", "3a") else None, last, None]

    return [
        HEADER,
        row(None, "OVERALL SCORE", None, None, None, "", "overall", answers=False),
        row(None, "LABOUR MARKET MOBILITY", None, None, None, "Do migrants have access?",
            "strand", answers=False),
        row(None, None, "ACCESS", None, None, "Can migrants access jobs?", "dimension",
            answers=False),
        row("1", None, None, "Immediate access", None, "Immediate access: who?", "1"),
        row("2", None, None, "Public sector", None, "Public sector: who?", "2"),
        row("3", None, None, "Self-employment (average)", None, "Self-employment", "3",
            answers=False),
        row("3a", None, None, None, "a. Access", "Self-employment access?", "3a"),
        row("3b", None, None, None, "b. Conditions", "Self-employment conditions?", "3b"),
    ]


def write_2015_workbook(path: Path, sheets: dict[str, list[list[Any]]],
                        cached: dict[tuple[str, str], float] | None = None) -> Path:
    """Write "Structure" (the first sheet's texts, no scores) and the country sheets."""
    workbook = Workbook()
    structure = workbook.active
    structure.title = "Structure"
    first = next(iter(sheets.values()))
    for values in first:
        structure.append(values[:9])
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for values in rows:
            sheet.append(values)
    workbook.save(path)
    if cached:
        _add_cached_values(path, ["Structure", *sheets], cached)
    return path


def _add_cached_values(path: Path, order: list[str], cached: dict[tuple[str, str], float]) -> None:
    """Put the values Excel would have saved beside the formulas (``<v>`` of each cell)."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    for number, sheet in enumerate(order, start=1):
        name = f"xl/worksheets/sheet{number}.xml"
        xml = contents[name].decode()
        for (target, cell), value in cached.items():
            if target != sheet:
                continue
            xml, count = re.subn(
                rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v>[^<]*</v>)?',
                lambda m, v=value: f"{m[1]}{m[2]}<v>{v!r}</v>", xml)
            assert count == 1, f"no formula cell {cell} in {sheet}"
        contents[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


#: The figures Excel shows for ``country_rows()`` (3 = mean of 0 and 100, the
#: dimension the mean of 50, 100 and 50 ...), for ``cached``.
def cached_figures(sheet: str) -> dict[tuple[str, str], float]:
    return {(sheet, "J7"): 50.0, (sheet, "L7"): 50.0,
            (sheet, "J4"): 200 / 3, (sheet, "L4"): 100 / 3,
            (sheet, "J3"): 200 / 3, (sheet, "L3"): 100 / 3,
            (sheet, "J2"): 200 / 3, (sheet, "L2"): 100 / 3}

"""Build tiny MIPEX workbooks in the official layout, for tests that run anywhere.

``write_workbook(path, {"SE": sheet()})`` writes one sheet per country code; each
sheet has the Overall Scores block and the strand blocks given, laid out exactly as
the official files are (triplets of Year, Score, Comments under the header rows).
Tests then break one thing at a time (a score of 120, a text in a score cell ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook


@dataclass
class Column:
    """One triplet: an indicator (or sub-indicator) with its scores by year."""

    code: str | None
    sub_code: str | None = None
    title: str = "A title"
    question: str = "A question?"
    answers: str = "100 - yes\n0 - no"
    scores: dict[int, Any] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)


@dataclass
class Strand:
    code: str
    name: str
    columns: list[Column]


def sheet(years: tuple[int, ...] = (2014, 2019), overall: tuple[float, float, float] = (60.5, 61.25, 62.0),
          strands: list[Strand] | None = None) -> dict[str, Any]:
    """A sheet spec: overall scores for each year, and strand blocks."""
    if strands is None:
        strands = [
            Strand("a", "Labour Market Mobility Strand", [
                Column("a", title="Labour Market Mobility",
                       scores={y: 75 for y in years}),
                Column("aa1", title="Immediate access to labour market",
                       scores={y: 50 for y in years}, comments={years[-1]: "As of 2019, A and C."}),
                Column("ab6", title="Public employment services", scores={y: 100 for y in years}),
            ]),
            Strand("b", "Family Reunification Strand", [
                Column("b", title="Family Reunion", scores={y: 62.5 for y in years}),
                Column("bb28", title="Pre-entry requirement", scores={y: 25 for y in years}),
                Column(None, "bb28a", title="a. Pre-entry language", scores={y: 0 for y in years}),
                Column(None, "bb28b", title="b. Pre-entry integration", scores={y: 50 for y in years}),
                Column("ba21", title="Residence period", scores={y: 100 for y in years}),
            ]),
        ]
    return {"years": years, "overall": {y: overall for y in years}, "strands": strands}


def write_workbook(path: Path, sheets: dict[str, dict[str, Any]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for code, spec in sheets.items():
        ws = workbook.create_sheet(code)
        ws.append(["Overall Scores"])
        ws.append(["Year", "Overall Score (with health)", "Overall Score (with/out health)",
                   "Overall Score (with/out health and education)"])
        for year, values in spec["overall"].items():
            ws.append([year, *values])
        for strand in spec["strands"]:
            ws.append([])
            ws.append(["Policy strand", strand.name])
            rows: dict[str, list[Any]] = {k: [] for k in
                                          ("Indicator", "Sub-indicator", "Title ", "Description ",
                                           "Answer options ", "Year")}
            for col in strand.columns:
                rows["Indicator"] += ["Indicator", col.code, None]
                rows["Sub-indicator"] += ["Sub-indicator", col.sub_code, None]
                rows["Title "] += ["Title ", col.title, None]
                rows["Description "] += ["Description ", col.question, None]
                rows["Answer options "] += ["Answer options ", col.answers, None]
                rows["Year"] += ["Year", "Score", "Comments"]
            for row in rows.values():
                ws.append(row)
            for year in spec["years"]:
                data: list[Any] = []
                for col in strand.columns:
                    data += [year, col.scores.get(year), col.comments.get(year)]
                ws.append(data)
    workbook.save(path)
    return path

"""Read an official MIPEX workbook into typed records.

The workbooks (2007-2019 core set; 2020-2024 EU update) have one sheet per country,
named by its MIPEX code. Each sheet holds an "Overall Scores" block (Year and three
overall variants) and then one block per policy strand::

    Policy strand | <strand name>
    Indicator     | <code>  |         | Indicator     | <code> | ...
    Sub-indicator |         |         | Sub-indicator | <code> | ...
    Title         | ...
    Description   | ...      (the question)
    Answer options| ...
    Year | Score | Comments | Year | Score | Comments | ...
    2007 | 50    | ...

Columns come in triplets (Year, Score, Comments); the first triplet of a block is the
strand itself. This module turns a workbook into ``WorkbookContent``: the concepts
(strands, indicators, sub-indicators and their texts), the observations (one per
sheet, year and concept, with the cell it came from), the ``notes`` (quirks found and
how they were handled, for the load report) and the ``problems`` (errors that refuse
the load). It never raises for bad content: every problem is collected with its
sheet and cell.
"""

from __future__ import annotations

import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from mipex_kg.loaders.errors import Problem
from mipex_kg.loaders.xlsx_rows import sheet_rows

#: The three overall scores, by their column in the Overall Scores block.
OVERALL_COLUMNS: dict[int, tuple[str, str]] = {
    1: ("overall-with-health", "Overall score (with health)"),
    2: ("overall-without-health", "Overall score (without health)"),
    3: ("overall-without-health-education", "Overall score (without health and education)"),
}

#: Codes that some sheets spell differently for the same indicator (same title, same
#: column): variant -> canonical code. The variant is kept on each observation.
CODE_VARIANTS: dict[str, str] = {
    "fb102_new": "fa102_new",
    "gc_new (128, 129, 133, 135)": "gc",
}

#: Cell texts that Excel writes for a formula that failed: no score, not an error.
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"})

#: Instructions to the workbook's editors left in score cells: no score, not an error.
EDITOR_INSTRUCTIONS = frozenset({"DON'T FILL THESE YEARS FOR HEALTH"})

YEAR_RANGE = range(1990, 2101)


@dataclass
class Concept:
    """A strand, indicator or sub-indicator as the workbook defines it."""

    code: str
    kind: str  # "overall" | "area" | "indicator" | "sub"
    area: str | None = None  # the strand code, for indicators and sub-indicators
    parent: str | None = None  # the indicator code, for sub-indicators
    dimension: str | None = None  # the dimension code, for indicators of an instrument with them
    order: int = 0
    texts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    spellings: set[str] = field(default_factory=set)

    def text(self, name: str) -> str | None:
        """The most common wording of a text (title, question, answer options)."""
        counts = self.texts.get(name)
        return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class Observation:
    """One published score, with the cell it came from."""

    sheet: str
    year: int
    code: str  # canonical concept code
    source_code: str  # the code as this sheet spells it
    value: Decimal
    comment: str | None
    cell: str
    row: int


@dataclass
class WorkbookContent:
    """Everything read from one workbook."""

    file: str
    sheets: list[str] = field(default_factory=list)
    concepts: dict[str, Concept] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({o.year for o in self.observations})


def read_workbook(
    path: Path,
    known_sheets: Iterable[str],
    progress: Callable[[str, int, int], None] | None = None,
) -> WorkbookContent:
    """Read a MIPEX workbook; ``known_sheets`` are the sheet codes of known countries.

    ``progress(label, done, total)`` is called after each sheet, for a progress bar.
    """
    content = WorkbookContent(file=path.name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        reason = "the file is empty" if path.exists() and path.stat().st_size == 0 else str(exc)
        content.problems.append(Problem(path.name, "", f"not a readable .xlsx workbook: {reason}"))
        return content
    known = set(known_sheets)
    try:
        for number, name in enumerate(workbook.sheetnames, start=1):
            if progress:
                progress(f"reading {path.name}", number, len(workbook.sheetnames))
            if name not in known:
                content.problems.append(
                    Problem(path.name, f"sheet {name!r}", "sheet name is not a known MIPEX country code")
                )
                continue
            content.sheets.append(name)
            rows = sheet_rows(workbook, name)
            _SheetReader(content, name, rows).read()
    finally:
        workbook.close()
    if not content.sheets and not content.problems:
        content.problems.append(Problem(path.name, "", "the workbook has no country sheets"))
    _drop_duplicates(content)
    return content


def _cell(row: int, col: int) -> str:
    return f"{get_column_letter(col + 1)}{row}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _as_year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer() and int(value) in YEAR_RANGE:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value.strip()) in YEAR_RANGE:
        return int(value.strip())
    return None


def _decimal(value: int | float) -> Decimal:
    """The number exactly as the workbook stores it (shortest round-trip repr)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def score_problem(value: Any, code: str, year: int) -> str | None:
    """Why a cell value cannot be a published score (not a number, outside 0-100); None
    when it can."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"score of {code!r} for {year} is not a number: {str(value).strip()[:60]!r}"
    number = _decimal(value)
    if not Decimal(0) <= number <= Decimal(100):
        return f"score of {code!r} for {year} is {number}, outside 0-100"
    return None


def _is_sub_of(sub: str, parent: str) -> bool:
    """Whether a code in the Sub-indicator row belongs to the indicator before it."""
    stem = parent.split("_new")[0]
    return sub.startswith(stem) or sub in parent


class _SheetReader:
    """Reads the blocks of one country sheet into the shared ``WorkbookContent``."""

    def __init__(self, content: WorkbookContent, sheet: str, rows: Sequence[tuple[Any, ...]]):
        self.content = content
        self.sheet = sheet
        self.rows = rows
        self.found_overall = False
        self.strands = 0
        self.header_texts = {
            text
            for row in rows
            if row and _text(row[0]) in ("Title", "Description", "Answer options")
            for text in map(_text, row[1:])
            if text
        }

    def place(self, row: int, col: int | None = None) -> str:
        return f"sheet {self.sheet}, " + (f"cell {_cell(row, col)}" if col is not None else f"row {row}")

    def problem(self, row: int, col: int | None, message: str) -> None:
        self.content.problems.append(Problem(self.content.file, self.place(row, col), message))

    def note(self, row: int, col: int | None, message: str) -> None:
        self.content.notes.append(Problem(self.content.file, self.place(row, col), message))

    def read(self) -> None:
        index = 0
        while index < len(self.rows):
            head = _text(self.rows[index][0]) if self.rows[index] else None
            if head == "Overall Scores":
                index = self.read_overall(index)
            elif head == "Policy strand":
                index = self.read_strand(index)
            else:
                index += 1
        if not self.found_overall:
            self.problem(1, None, "no 'Overall Scores' block")
        if self.strands == 0:
            self.problem(1, None, "no 'Policy strand' block")

    # -- overall block ---------------------------------------------------------------

    def read_overall(self, start: int) -> int:
        self.found_overall = True
        header = self.rows[start + 1] if start + 1 < len(self.rows) else ()
        if not header or _text(header[0]) != "Year":
            self.problem(start + 2, 0, "the 'Overall Scores' block has no Year header row")
            return start + 1
        for order, (code, title) in enumerate(OVERALL_COLUMNS.values()):
            concept = self.content.concepts.setdefault(code, Concept(code, "overall", order=order))
            concept.texts["title"][title] += 1
            concept.spellings.add(code)
        index = start + 2
        while index < len(self.rows) and _as_year(self.rows[index][0] if self.rows[index] else None):
            row = self.rows[index]
            year = _as_year(row[0])
            assert year is not None
            for col, (code, _title) in OVERALL_COLUMNS.items():
                value = row[col] if col < len(row) else None
                self.add_score(index + 1, col, year, code, code, value, None)
            index += 1
        return index

    # -- strand blocks ---------------------------------------------------------------

    def read_strand(self, start: int) -> int:
        self.strands += 1
        labels = ("Indicator", "Sub-indicator", "Title", "Description", "Answer options", "Year")
        header_rows: dict[str, tuple[Any, ...]] = {}
        for offset, label in enumerate(labels, start=1):
            row = self.rows[start + offset] if start + offset < len(self.rows) else ()
            if not row or _text(row[0]) != label:
                self.problem(start + offset + 1, 0, f"expected the {label!r} header row of the strand block")
                return start + 1
            header_rows[label] = row
        columns = self.read_columns(start, header_rows)
        if not columns:
            return start + len(labels) + 1
        index = start + len(labels) + 1
        while index < len(self.rows):
            row = self.rows[index]
            row_year = _as_year(row[0]) if row else None
            if row_year is None:
                break
            for col, (code, source_code) in columns.items():
                self.read_score_cell(index + 1, row, col, row_year, code, source_code)
            self.check_uncoded_columns(index + 1, row, columns)
            index += 1
        return index

    def read_columns(self, start: int, header: dict[str, tuple[Any, ...]]) -> dict[int, tuple[str, str]]:
        """The coded triplets of a block: first column of the triplet -> (code, spelling)."""
        indicator_row, sub_row = header["Indicator"], header["Sub-indicator"]
        width = max(len(indicator_row), len(sub_row))
        columns: dict[int, tuple[str, str]] = {}
        area: str | None = None
        last_indicator: str | None = None
        for col in range(0, width, 3):
            code = _text(indicator_row[col + 1]) if col + 1 < len(indicator_row) else None
            sub = _text(sub_row[col + 1]) if col + 1 < len(sub_row) else None
            if code and sub:
                self.note(start + 3, col + 1, f"stray text {sub!r} in the Sub-indicator row of "
                          f"indicator {code!r} ignored")
                sub = None
            if col == 0:
                if not code:
                    self.problem(start + 2, 1, "the strand block has no strand code")
                    return {}
                kind, area, spelling = "area", code, code
            elif code:
                kind, spelling, last_indicator = "indicator", code, CODE_VARIANTS.get(code, code)
            elif sub and last_indicator and _is_sub_of(sub, last_indicator):
                kind, spelling = "sub", sub
            elif sub:
                self.note(start + 3, col + 1, f"code {sub!r} is written in the Sub-indicator row "
                          "but belongs to no indicator before it: read as an indicator")
                kind, spelling, last_indicator = "indicator", sub, CODE_VARIANTS.get(sub, sub)
            else:
                continue
            canonical = CODE_VARIANTS.get(spelling, spelling)
            if canonical != spelling:
                self.note(start + 2, col + 1, f"code {spelling!r} is a variant spelling of "
                          f"{canonical!r} (same title): read as {canonical!r}")
            self.define(canonical, spelling, kind, area, last_indicator if kind == "sub" else None,
                        col, header)
            columns[col] = (canonical, spelling)
        return columns

    def define(self, code: str, spelling: str, kind: str, area: str | None, parent: str | None,
               col: int, header: dict[str, tuple[Any, ...]]) -> None:
        concept = self.content.concepts.get(code)
        if concept is None:
            concept = Concept(code, kind, area=None if kind == "area" else area, parent=parent,
                              order=len(self.content.concepts))
            self.content.concepts[code] = concept
        elif (concept.kind, concept.parent) != (kind, parent) and kind != "area":
            self.note(0, None, f"code {code!r} is a {kind} here but a {concept.kind} elsewhere; "
                      f"the first reading ({concept.kind}) is kept")
        concept.spellings.add(spelling)
        for name, label in (("title", "Title"), ("question", "Description"),
                            ("answer_options", "Answer options")):
            row = header[label]
            value = _text(row[col + 1]) if col + 1 < len(row) else None
            if value and value != "TO BE FILLED AUTOMATICALLY":
                concept.texts[name][value] += 1

    def read_score_cell(self, row_number: int, row: tuple[Any, ...], col: int, row_year: int,
                        code: str, spelling: str) -> None:
        year_cell = row[col] if col < len(row) else None
        value = row[col + 1] if col + 1 < len(row) else None
        comment = _text(row[col + 2]) if col + 2 < len(row) else None
        year = _as_year(year_cell)
        if isinstance(value, str) and (value.strip() in EDITOR_INSTRUCTIONS
                                       or value.strip() in self.header_texts):
            kind = "an editor's instruction" if value.strip() in EDITOR_INSTRUCTIONS else \
                "a copy of a header text of this sheet"
            self.note(row_number, col + 1, f"score cell holds {kind} "
                      f"({value.strip()[:40]!r}): no observation")
            return
        if year is None:
            if value is not None and not (isinstance(value, str) and value.strip() in EXCEL_ERRORS):
                shown = "empty" if year_cell is None else f"{str(year_cell).strip()[:30]!r}"
                self.note(row_number, col, f"year cell is {shown}: the row's year {row_year} is used")
            year = row_year
        self.add_score(row_number, col + 1, year, code, spelling, value, comment)

    def check_uncoded_columns(self, row_number: int, row: tuple[Any, ...],
                              columns: dict[int, tuple[str, str]]) -> None:
        for col in range(0, len(row) - 1, 3):
            if col in columns:
                continue
            value = row[col + 1] if col + 1 < len(row) else None
            if value is not None:
                self.note(row_number, col + 1, "a value in a column with no indicator code is "
                          f"ignored: {str(value).strip()[:40]!r}")

    def add_score(self, row_number: int, col: int, year: int, code: str, spelling: str,
                  value: Any, comment: str | None) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
            self.note(row_number, col, f"Excel error {value.strip()} instead of a score: no observation")
            return
        wrong = score_problem(value, code, year)
        if wrong:
            self.problem(row_number, col, wrong)
            return
        number = _decimal(value)
        self.content.observations.append(Observation(
            sheet=self.sheet, year=year, code=code, source_code=spelling, value=number,
            comment=comment, cell=_cell(row_number, col), row=row_number))


def _drop_duplicates(content: WorkbookContent) -> None:
    """Keep one observation per sheet, year and concept; report every repeat.

    Repeats with the same score keep the first cell (its comment, if the later one has
    none). Repeats with different scores are problems: the load is refused.
    """
    kept: dict[tuple[str, int, str], Observation] = {}
    for obs in content.observations:
        key = (obs.sheet, obs.year, obs.code)
        first = kept.get(key)
        if first is None:
            kept[key] = obs
            continue
        where = f"sheet {obs.sheet}, cells {first.cell} and {obs.cell}"
        if first.value != obs.value:
            content.problems.append(Problem(content.file, where, f"{obs.code!r} for {obs.year} is "
                                            f"given twice with different scores ({first.value} and {obs.value})"))
            continue
        if first.comment is None and obs.comment is not None:
            kept[key] = Observation(**{**first.__dict__, "comment": obs.comment})
        content.notes.append(Problem(content.file, where, f"{obs.code!r} for {obs.year} is given twice "
                                     "with the same score: one observation kept"))
    content.observations = list(kept.values())

"""Read the MIPEX 2015 workbook (policy_indicators_finalwebsite.xlsx) into typed records.

The 2015 edition's instrument differs from the 2020 one, and so does its layout: one
sheet per country (named by its MIPEX code), every sheet the whole questionnaire::

    Number | Policy Strands | Policy Dimensions | Indicators | Sub-indicators | Description
           | Option 1 (100) | Option 2 (50) | Option 3 (0) | 2014 MIPEX Score | 2014 MIPEX Comments | 2013 ...
           | OVERALL SCORE  |                                      ... =AVERAGE(J5,J30,...)
           | LABOUR MARKET MOBILITY                                  ... =AVERAGE(J6,J12,J19,J25)
           |                | ACCESS                                 ... =AVERAGE(J7:J11)
    1      |                |                | Immediate access ... | ... | 50 | comment

Rows numbered in column A are indicators ("24") or their sub-questions ("24a");
unnumbered rows are composites: overall scores, strands (column B) and dimensions
(column C). The workbook gives composites no code, so the reader names them the way
the MIPEX codes of the 2020 instrument do: strands ``a``..``h`` in order, their
dimensions ``aa``, ``ab`` ...; the overall scores by what their label says they
leave out. A composite's score is a formula; its cached value is the published
figure, and the formula itself is kept (``CompositeFormula``) to become the
edition's aggregation rule (loaders/mipex2015_rules.py). The sheet "Structure" (the
questionnaire without scores) is skipped; "Summary 2014" is read by
loaders/mipex2015_summary.py.

Like the 2020 reader it never raises for bad content: quirks become notes (what was
found and what was done), errors become problems naming file, sheet and cell.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.functions import fromstring

from mipex_kg.loaders.errors import Problem
from mipex_kg.loaders.excel_formulas import Formula, FormulaError, is_formula, parse_formula
from mipex_kg.loaders.mipex2015_summary import SummaryContent, read_summary
from mipex_kg.loaders.mipex_workbook import (
    EXCEL_ERRORS,
    Concept,
    Observation,
    WorkbookContent,
    _decimal,
    _drop_duplicates,
    _text,
    score_problem,
)

#: The first header cell of every 2015 sheet, and the header of a year's score column.
FIRST_HEADER = "Number"
SCORE_HEADER = re.compile(r"^\s*(\d{4})\s+MIPEX\s+Score\s*$", re.IGNORECASE)
COMMENT_HEADER = re.compile(r"^\s*(\d{4})\s+MIPEX\s+Comments\s*$", re.IGNORECASE)
#: Sheets that are part of the workbook but not countries.
STRUCTURE_SHEET = "Structure"
SUMMARY_SHEET = re.compile(r"^Summary \d{4}$")
#: Texts that stand for "not applicable" in a score cell: no score, not an error.
NOT_APPLICABLE = frozenset({"n/a", "na", "not applicable"})

_INDICATOR_NUMBER = re.compile(r"^\d+$")
_SUB_NUMBER = re.compile(r"^(\d+)([a-z])$")
# columns (0-based) of the concept part of a row
_NUMBER, _STRAND, _DIMENSION, _INDICATOR, _SUB, _QUESTION = range(6)
_ANSWERS = {"answer_100": 6, "answer_50": 7, "answer_0": 8}


def is_mipex2015_layout(path: Path) -> bool:
    """Whether a workbook has the 2015 layout: recognised by its header row and sheets.

    Some sheet's first row starts with "Number" and has "YYYY MIPEX Score" columns,
    and the sheet set has the "Structure" sheet or a "Summary YYYY" sheet.
    """
    names = _sheet_names(path)
    if not (STRUCTURE_SHEET in names or any(SUMMARY_SHEET.match(n) for n in names)):
        return False
    try:
        workbook = load_workbook(path, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False
    try:
        for name in names[:3]:
            header = next(workbook[name].iter_rows(max_row=1, values_only=True), ())
            if header and _text(header[0]) == FIRST_HEADER and any(
                    isinstance(v, str) and SCORE_HEADER.match(v) for v in header):
                return True
        return False
    finally:
        workbook.close()


def _sheet_names(path: Path) -> list[str]:
    """The sheet names of an xlsx file, from its workbook part alone ([] if unreadable).

    openpyxl reads the whole shared-string table before it names a sheet (about a
    second for the 2007-2019 workbook); the layout test needs only the names.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            root = fromstring(archive.read("xl/workbook.xml"))  # defused when defusedxml is there
    except (zipfile.BadZipFile, KeyError, OSError, ParseError):
        return []
    return [sheet.get("name", "") for sheet in root.iter(f"{{{_SPREADSHEET_NS}}}sheet")]


_SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class CompositeFormula:
    """The formula of one composite cell, with the concepts its cells resolve to."""

    sheet: str
    year: int
    code: str
    cell: str
    text: str
    parts: tuple[str, ...]  # concept codes of the rows the formula names, in order
    other_columns: bool  # whether it names cells of another year's column
    broken: int  # how many #REF! arguments


@dataclass
class Mipex2015Content(WorkbookContent):
    """Everything read from the 2015 workbook's country sheets."""

    formulas: list[CompositeFormula] = field(default_factory=list)
    #: sheet -> row number -> concept code, for resolving formulas from other sheets
    rows: dict[str, dict[int, str]] = field(default_factory=dict)
    score_columns: dict[int, int] = field(default_factory=dict)  # column (1-based) -> year
    formula_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, cell) -> text
    summary: SummaryContent = field(default_factory=lambda: SummaryContent({}, []))


def read_mipex2015(
    path: Path,
    known_sheets: Iterable[str],
    progress: Callable[[str, int, int], None] | None = None,
) -> Mipex2015Content:
    """Read the country sheets of a 2015-layout workbook (values and formulas)."""
    content = Mipex2015Content(file=path.name)
    try:
        formulas = load_workbook(path, read_only=True)
        values = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        content.problems.append(Problem(path.name, "", f"not a readable .xlsx workbook: {exc}"))
        return content
    known = set(known_sheets)
    try:
        names = formulas.sheetnames
        for number, name in enumerate(names, start=1):
            if progress:
                progress(f"reading {path.name}", number, len(names))
            if name == STRUCTURE_SHEET or SUMMARY_SHEET.match(name):
                continue
            if name not in known:
                content.problems.append(Problem(path.name, f"sheet {name!r}",
                                                "sheet name is not a known MIPEX country code"))
                continue
            content.sheets.append(name)
            _SheetReader(content, name, _rows(formulas[name]), _rows(values[name])).read()
        for name in names:
            if SUMMARY_SHEET.match(name) and content.rows:
                content.summary = read_summary(
                    path.name, name, _rows(formulas[name]), _rows(values[name]), content.rows,
                    content.score_columns, content.problems, content.notes)
    finally:
        formulas.close()
        values.close()
    if not content.sheets and not content.problems:
        content.problems.append(Problem(path.name, "", "the workbook has no country sheets"))
    _drop_duplicates(content)
    return content


def _rows(worksheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in worksheet.iter_rows(values_only=True)]


def cell_name(row: int, column: int) -> str:
    """``J7`` from a 1-based row and column."""
    return f"{get_column_letter(column)}{row}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip()


def overall_code(label: str) -> str:
    """The code of an overall score, from what its label says it includes or leaves out."""
    upper = " ".join(label.upper().split())
    if "WITHOUT EDUCATION" in upper:
        return "overall-without-education"
    if "WITH HEALTH" in upper:
        return "overall-with-health"
    return "overall"


class _SheetReader:
    """Reads one country sheet into the shared ``Mipex2015Content``."""

    def __init__(self, content: Mipex2015Content, sheet: str,
                 formulas: Sequence[tuple[Any, ...]], values: Sequence[tuple[Any, ...]]):
        self.content = content
        self.sheet = sheet
        self.formulas = formulas
        self.values = values
        self.rows: dict[int, str] = {}
        self.strand: str | None = None
        self.dimension: str | None = None
        self.indicator: str | None = None
        self.strands = 0
        self.dimensions = 0
        header = formulas[0] if formulas else ()
        #: the answer options' headers as written ("Option 1 (100)" ...)
        self.option_labels = {name: (_text(header[column]) if column < len(header) else None)
                              or name for name, column in _ANSWERS.items()}

    def place(self, row: int, column: int | None = None) -> str:
        return f"sheet {self.sheet}, " + (f"cell {cell_name(row, column)}" if column else f"row {row}")

    def problem(self, row: int, column: int | None, message: str) -> None:
        self.content.problems.append(Problem(self.content.file, self.place(row, column), message))

    def note(self, row: int, column: int | None, message: str) -> None:
        self.content.notes.append(Problem(self.content.file, self.place(row, column), message))

    def read(self) -> None:
        columns = self.read_header()
        if not columns:
            return
        scored_rows: list[tuple[int, str]] = []
        for index in range(1, len(self.formulas)):
            row_number = index + 1
            code = self.read_concept(row_number, self.formulas[index])
            if code is not None:
                self.rows[row_number] = code
                scored_rows.append((row_number, code))
            else:
                self.check_empty(row_number, columns)
        self.content.rows[self.sheet] = self.rows
        if not scored_rows:
            self.problem(2, None, "the sheet has no indicator or composite rows (truncated?)")
        for row_number, code in scored_rows:
            for column, year in columns.items():
                self.read_score(row_number, column, year, code)

    # -- header and concepts -----------------------------------------------------------

    def read_header(self) -> dict[int, int]:
        """Score column (1-based) -> year, from the header row; checks the layout."""
        header = self.formulas[0] if self.formulas else ()
        if not header or _text(header[0]) != FIRST_HEADER:
            self.problem(1, 1, f"expected the header {FIRST_HEADER!r} of the 2015 layout")
            return {}
        columns: dict[int, int] = {}
        for index, value in enumerate(header):
            match = SCORE_HEADER.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            comment = header[index + 1] if index + 1 < len(header) else None
            comment_match = COMMENT_HEADER.match(comment) if isinstance(comment, str) else None
            if comment_match is None or comment_match[1] != match[1]:
                self.problem(1, index + 2, f"the score column of {match[1]} is not followed "
                             "by its comments column")
                continue
            columns[index + 1] = int(match[1])
        if not columns:
            self.problem(1, None, "the header row has no 'YYYY MIPEX Score' columns")
        known = self.content.score_columns
        for column, year in columns.items():
            if known.get(column, year) != year:
                self.problem(1, column, f"column of {year} holds {known[column]} in the "
                             "other sheets")
        known.update(columns)
        return columns

    def read_concept(self, row_number: int, row: tuple[Any, ...]) -> str | None:
        """The concept a row defines (its code), or None for an empty row."""
        def cell(index: int) -> str | None:
            return _text(row[index]) if index < len(row) else None

        number = cell(_NUMBER)
        if cell(_STRAND):
            label = cell(_STRAND) or ""
            if self.strands == 0 and "SCORE" in label.upper():
                return self.define(overall_code(label), "overall", row)
            self.strands += 1
            self.dimensions = 0
            self.strand = "abcdefghijklmnopqrstuvwxyz"[self.strands - 1]
            self.dimension = None
            return self.define(self.strand, "area", row)
        if cell(_DIMENSION):
            if self.strand is None:
                self.problem(row_number, _DIMENSION + 1, "a dimension before any strand")
                return None
            self.dimensions += 1
            self.dimension = self.strand + "abcdefghijklmnopqrstuvwxyz"[self.dimensions - 1]
            return self.define(self.dimension, "dimension", row)
        if number and _SUB_NUMBER.match(number):
            parent = _SUB_NUMBER.match(number)[1]  # type: ignore[index]
            if parent != self.indicator:
                self.problem(row_number, 1, f"sub-question {number!r} does not follow its "
                             f"indicator {parent!r}")
                return None
            if not cell(_SUB):
                self.note(row_number, 1, f"sub-question {number!r} is repeated without its "
                          "texts below the questionnaire: read as the same sub-question")
            return self.define(number, "sub", row)
        if number and _INDICATOR_NUMBER.match(number) and cell(_INDICATOR):
            self.indicator = number
            return self.define(number, "indicator", row)
        if cell(_INDICATOR) and not number:
            following = self.formulas[row_number] if row_number < len(self.formulas) else ()
            next_number = _text(following[0]) if following else None
            match = _SUB_NUMBER.match(next_number or "")
            if match is None:
                self.problem(row_number, 1, "an indicator row without a number")
                return None
            self.note(row_number, 1, f"indicator {_first_line(cell(_INDICATOR) or '')!r} has no "
                      f"number; its sub-questions are numbered {match[1]}a...: read as {match[1]!r}")
            self.indicator = match[1]
            return self.define(match[1], "indicator", row)
        if number or any(cell(i) for i in (_SUB, _QUESTION)):
            self.problem(row_number, 1, "a row that is neither a composite, an indicator nor "
                         f"a sub-question: {number or cell(_SUB) or cell(_QUESTION)!r}")
        return None

    def define(self, code: str, kind: str, row: tuple[Any, ...]) -> str:
        """Record (or count once more) the concept a row defines, with its texts."""
        concepts = self.content.concepts
        place = (self.strand if kind != "overall" else None,
                 self.indicator if kind == "sub" else None,
                 self.dimension if kind == "indicator" else None)
        concept = concepts.get(code)
        if concept is None:
            concept = Concept(code, kind, area=place[0], parent=place[1], dimension=place[2],
                              order=len(concepts))
            concepts[code] = concept
        elif (concept.kind, concept.area, concept.parent, concept.dimension) != (kind, *place):
            self.note(0, None, f"{code!r} is a {kind} here but a {concept.kind} elsewhere, or "
                      "sits elsewhere in the questionnaire; the first reading is kept")
        concept.spellings.add(code)
        title_column = {"overall": _STRAND, "area": _STRAND, "dimension": _DIMENSION,
                        "indicator": _INDICATOR, "sub": _SUB}[kind]
        title = _text(row[title_column]) if title_column < len(row) else None
        if title:
            concept.texts["title"][_first_line(title)] += 1
            if title.strip() != _first_line(title):
                concept.texts["note"][title.strip()] += 1
        for name, column in (("question", _QUESTION), *_ANSWERS.items()):
            text = _text(row[column]) if column < len(row) else None
            if text:
                concept.texts[name][text] += 1
        answers = [(self.option_labels[n], _text(row[c]) if c < len(row) else None)
                   for n, c in _ANSWERS.items()]
        if any(text for _, text in answers):
            concept.texts["answer_options"]["\n".join(
                f"{label}: {text or ''}" for label, text in answers)] += 1
        return code

    def check_empty(self, row_number: int, columns: dict[int, int]) -> None:
        """A row without a concept must hold no score."""
        row = self.formulas[row_number - 1]
        for column in columns:
            value = row[column - 1] if column - 1 < len(row) else None
            if value is not None and _text(value):
                self.problem(row_number, column, "a score in a row that names no indicator")

    # -- scores ------------------------------------------------------------------------

    def read_score(self, row_number: int, column: int, year: int, code: str) -> None:
        index = row_number - 1
        raw = self._at(self.formulas, index, column)
        comment = self.comment(row_number, column + 1)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return
        formula_text = raw if is_formula(raw) else None
        value = self._at(self.values, index, column) if formula_text else raw
        shows_error = isinstance(value, str) and value.strip() in EXCEL_ERRORS
        if formula_text and not shows_error:
            # a formula that shows a score (or nothing yet) must name cells of this sheet
            if not self.read_formula(row_number, column, year, code, formula_text):
                return
        elif not formula_text and self.content.concepts[code].kind in ("overall", "area",
                                                                        "dimension"):
            self.note(row_number, column, f"composite {code!r} is typed in as a number, not a "
                      "formula: its rule is not read from this cell")
        if isinstance(value, str):
            text = value.strip()
            if text in EXCEL_ERRORS:
                self.note(row_number, column, f"formula gives Excel error {text}: no observation")
            elif text.lower() in NOT_APPLICABLE:
                self.note(row_number, column, f"score cell says {text!r} (not applicable): "
                          "no observation")
            else:
                self.note(row_number, column, f"score cell holds text that is not a score "
                          f"({text[:50]!r}): no observation")
            return
        if value is None:
            self.note(row_number, column, "formula without a cached value: no observation")
            return
        wrong = score_problem(value, code, year)
        if wrong:
            self.problem(row_number, column, wrong)
            return
        number = _decimal(value)
        cell = cell_name(row_number, column)
        if formula_text:
            self.content.formula_of[(self.sheet, cell)] = formula_text
        self.content.observations.append(Observation(
            sheet=self.sheet, year=year, code=code, source_code=code, value=number,
            comment=comment, cell=cell, row=row_number))

    def read_formula(self, row_number: int, column: int, year: int, code: str,
                     text: str) -> bool:
        """Check a composite's formula and keep it; False when it cannot be used."""
        try:
            formula = parse_formula(text)
        except FormulaError as exc:
            self.problem(row_number, column, f"formula {text!r} not understood: {exc}")
            return False
        parts = self.resolve(row_number, column, formula)
        if parts is None:
            return False
        self.content.formulas.append(CompositeFormula(
            self.sheet, year, code, cell_name(row_number, column), text, tuple(parts),
            any(ref.column != column for ref in formula.references), formula.broken))
        return True

    def resolve(self, row_number: int, column: int, formula: Formula) -> list[str] | None:
        """The concept codes of the rows a formula names, in order; None (after a
        problem) when it names a cell outside the sheet's rows and year columns.

        Cells of a comments column inside the year columns are allowed and skipped
        (AVERAGE ignores text): some of the workbook's ranges span several years.
        """
        columns = self.content.score_columns
        first, last = min(columns), max(columns) + 1
        parts: list[str] = []
        for ref in formula.references:
            where = cell_name(ref.row, ref.column)
            if ref.sheet is not None and ref.sheet != self.sheet:
                self.problem(row_number, column, f"formula {formula.text!r} names cell {where} "
                             f"of another sheet ({ref.sheet!r})")
                return None
            if not (first <= ref.column <= last and 2 <= ref.row <= len(self.formulas)):
                self.problem(row_number, column, f"formula {formula.text!r} names cell {where}, "
                             "outside the sheet's scored rows and year columns")
                return None
            if ref.column not in columns:
                continue
            code = self.rows.get(ref.row)
            if code is None:
                self.problem(row_number, column, f"formula {formula.text!r} names cell {where}, "
                             "a row that holds no indicator")
                return None
            if code not in parts:
                parts.append(code)
        return parts

    def comment(self, row_number: int, column: int) -> str | None:
        value = self._at(self.formulas, row_number - 1, column)
        if is_formula(value):
            shown = self._at(self.values, row_number - 1, column)
            if isinstance(shown, str) and shown.strip() not in EXCEL_ERRORS:
                return _text(shown)
            self.note(row_number, column, f"comment cell holds a formula ({str(value)[:40]!r}): "
                      "not a comment, ignored")
            return None
        return _text(value)

    @staticmethod
    def _at(rows: Sequence[tuple[Any, ...]], index: int, column: int) -> Any:
        if index >= len(rows):
            return None
        row = rows[index]
        return row[column - 1] if column - 1 < len(row) else None


def most_common_formulas(content: Mipex2015Content) -> dict[str, tuple[tuple[str, ...], int, int]]:
    """Composite code -> (its parts in the most common formula, cells with it, cells in all).

    Only formulas in their own year's column and without #REF! count, and of those
    only the ones whose cell shows a score (the workbook's formulas for years in which
    a strand was not scored name the wrong rows and show #DIV/0!).
    """
    scored = {(o.sheet, o.cell) for o in content.observations}
    forms: dict[str, Counter[tuple[str, ...]]] = {}
    totals: Counter[str] = Counter()
    for formula in content.formulas:
        totals[formula.code] += 1
        if formula.other_columns or formula.broken or (formula.sheet, formula.cell) not in scored:
            continue
        forms.setdefault(formula.code, Counter())[formula.parts] += 1
    return {code: (*counter.most_common(1)[0], totals[code]) for code, counter in forms.items()}

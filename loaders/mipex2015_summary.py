"""Read the "Summary 2014" sheet of the MIPEX 2015 workbook: groups of countries and
their published averages.

The sheet has one column per country (row 1: its MIPEX code; each cell a reference
such as ``=AT!J3`` to the country's sheet) and, before them, one column per group
(row 1: "MIPEX Average", "EU28", "EU15", "EU13"; each cell ``=AVERAGE(F2,H2,...)``
over some of the country columns). Each row is one composite of the country sheets:
the cells it references tell which (row 3 of a country sheet is the overall score
with health, column J is 2014). The members of a group are the countries its
formula averages; the published averages are the cached values of the group cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mipex_kg.loaders.errors import Problem
from mipex_kg.loaders.excel_formulas import Formula, FormulaError, is_formula, parse_formula
from mipex_kg.loaders.mipex_workbook import EXCEL_ERRORS, _decimal, _text


@dataclass(frozen=True)
class JurisdictionGroup:
    """A group of countries as the summary sheet defines it."""

    code: str  # the header as written, e.g. "EU28"
    members: tuple[str, ...]  # MIPEX sheet codes
    sheet: str
    cell: str  # the header cell, e.g. "C1"
    formula_cell: str  # the cell whose formula lists the members


@dataclass(frozen=True)
class GroupAverage:
    """One published average of a group."""

    group: str
    year: int
    code: str  # the composite of the country sheets it averages
    value: Decimal
    sheet: str
    cell: str
    formula: str


@dataclass
class SummaryContent:
    groups: dict[str, JurisdictionGroup]
    averages: list[GroupAverage]


def read_summary(file: str, sheet: str, formulas: Sequence[tuple[Any, ...]],
                 values: Sequence[tuple[Any, ...]], rows: dict[str, dict[int, str]],
                 score_columns: dict[int, int], problems: list[Problem],
                 notes: list[Problem]) -> SummaryContent:
    """Groups and averages of a summary sheet; country sheets already read (``rows``).

    ``rows``: sheet -> row number -> concept code; ``score_columns``: column -> year.
    Problems and notes are appended to the given lists.
    """
    from mipex_kg.loaders.mipex2015_workbook import cell_name

    def problem(row: int, column: int, message: str) -> None:
        problems.append(Problem(file, f"sheet {sheet}, cell {cell_name(row, column)}", message))

    header = formulas[0] if formulas else ()
    texts = {index + 1: text for index, value in enumerate(header)
             if (text := _text(value)) is not None}
    country_columns = {column: text for column, text in texts.items() if text in rows}
    group_columns = {column: text for column, text in texts.items()
                     if text and text not in rows and column > 1}
    content = SummaryContent({}, [])
    if not country_columns or not group_columns:
        problems.append(Problem(file, f"sheet {sheet}, row 1", "expected group columns and "
                                "country columns (MIPEX codes) in the header row"))
        return content
    for index in range(1, len(formulas)):
        row_number, row = index + 1, formulas[index]
        target = _row_target(row, country_columns, rows, score_columns)
        if target is None:
            if any(is_formula(v) for v in row):
                problem(row_number, 1, "the countries' cells of this row do not all name the "
                        "same composite of their sheets")
            continue
        code, year = target
        for column, label in group_columns.items():
            text = row[column - 1] if column - 1 < len(row) else None
            try:
                formula = _formula_in(text)
            except FormulaError as exc:
                problem(row_number, column, f"formula {text!r} not understood: {exc}")
                continue
            if formula is None:
                continue
            members = tuple(country_columns[ref.column] for ref in formula.references
                            if ref.column in country_columns)
            if len(members) != len(formula.references):
                problem(row_number, column, f"formula {text!r} names cells that are not "
                        "country columns")
                continue
            group = content.groups.setdefault(label, JurisdictionGroup(
                label, tuple(sorted(set(members))), sheet, cell_name(1, column),
                cell_name(row_number, column)))
            if set(members) != set(group.members):
                notes.append(Problem(file, f"sheet {sheet}, cell {cell_name(row_number, column)}",
                                     f"{label} averages other countries here than in "
                                     f"{group.formula_cell}: the members of {group.formula_cell} "
                                     "are kept"))
            value = values[index][column - 1] if column - 1 < len(values[index]) else None
            if isinstance(value, str) and value.strip() in EXCEL_ERRORS or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not 0 <= value <= 100:
                problem(row_number, column, f"average {value!r} is not a score between 0 and 100")
                continue
            content.averages.append(GroupAverage(label, year, code, _decimal(value), sheet,
                                                 cell_name(row_number, column), str(text)))
    return content


def _row_target(row: tuple[Any, ...], country_columns: dict[int, str],
                rows: dict[str, dict[int, str]],
                score_columns: dict[int, int]) -> tuple[str, int] | None:
    """(composite code, year) that every country cell of a summary row references."""
    targets = set()
    for column, country in country_columns.items():
        try:
            formula = _formula_in(row[column - 1] if column - 1 < len(row) else None)
        except FormulaError:
            return None
        for ref in formula.references if formula else ():
            code = rows.get(ref.sheet or "", {}).get(ref.row)
            year = score_columns.get(ref.column)
            if ref.sheet != country or code is None or year is None:
                return None
            targets.add((code, year))
    return targets.pop() if len(targets) == 1 else None


def _formula_in(value: Any) -> Formula | None:
    """The parsed formula of a cell; None when it holds no formula.

    Raises:
        FormulaError: a formula not understood.
    """
    return parse_formula(value) if is_formula(value) else None

"""Read the cell references out of the simple Excel formulas a workbook uses.

The MIPEX 2015 workbook forms its composite scores with formulas such as
``=AVERAGE(J7:J11)``, ``=AVERAGE(J5,J30,J73)`` and, in its summary sheet, ``=AT!J3``.
This module turns such a formula into the cells it names, so that the formulas can
become aggregation rules (loaders/mipex2015_rules.py). It understands exactly one
function, AVERAGE, and plain references; anything else raises ``FormulaError``
rather than being half understood. A ``#REF!`` argument (a reference Excel lost
when rows were deleted) is kept as a broken reference, not an error: the workbook
shows an error value for such a cell, and the reader reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string

_REFERENCE = re.compile(
    r"^(?:(?P<sheet>'[^']+'|[A-Za-z0-9_]+)!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>[0-9]+)$")
_CALL = re.compile(r"^=\s*(?P<function>[A-Z]+)\((?P<args>.*)\)\s*$", re.DOTALL)
BROKEN = "#REF!"


class FormulaError(ValueError):
    """A formula this module does not understand."""


@dataclass(frozen=True)
class CellReference:
    """One cell a formula names: its sheet (None: the formula's own), column, row."""

    sheet: str | None
    column: int  # 1-based, as openpyxl counts
    row: int


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the function applied (AVERAGE, or REF for a plain reference)."""

    text: str
    function: str
    references: tuple[CellReference, ...]
    broken: int = 0  # how many arguments are #REF!


def is_formula(value: object) -> bool:
    """Whether a cell value, read without ``data_only``, is a formula."""
    return isinstance(value, str) and value.startswith("=")


def parse_formula(text: str) -> Formula:
    """The cells an ``=AVERAGE(...)`` or ``=Sheet!A1`` formula names.

    Raises:
        FormulaError: another function, an operator, or a malformed reference.
    """
    body = text.strip()
    call = _CALL.match(body)
    if call is None:
        return Formula(text, "REF", tuple(_references(body.lstrip("=").strip())))
    function = call["function"]
    if function != "AVERAGE":
        raise FormulaError(f"function {function} is not supported (only AVERAGE)")
    references: list[CellReference] = []
    broken = 0
    for argument in call["args"].split(","):
        argument = argument.strip()
        if argument == BROKEN:
            broken += 1
            continue
        references.extend(_references(argument))
    return Formula(text, function, tuple(references), broken)


def _references(argument: str) -> list[CellReference]:
    """The cells of one argument: a cell or a rectangular range."""
    if not argument:
        raise FormulaError("an empty argument")
    ends = argument.split(":")
    if len(ends) > 2:
        raise FormulaError(f"{argument!r} is not a cell or a range")
    first = _reference(ends[0])
    last = _reference(ends[1], default_sheet=first.sheet) if len(ends) == 2 else first
    if last.sheet != first.sheet:
        raise FormulaError(f"range {argument!r} spans two sheets")
    return [
        CellReference(first.sheet, column, row)
        for column in range(min(first.column, last.column), max(first.column, last.column) + 1)
        for row in range(min(first.row, last.row), max(first.row, last.row) + 1)
    ]


def _reference(text: str, default_sheet: str | None = None) -> CellReference:
    match = _REFERENCE.match(text.strip())
    if match is None:
        raise FormulaError(f"{text.strip()!r} is not a cell reference")
    sheet = match["sheet"].strip("'") if match["sheet"] else default_sheet
    return CellReference(sheet, column_index_from_string(match["col"]), int(match["row"]))

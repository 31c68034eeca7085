"""The values of a worksheet's rows, read straight from the sheet's XML.

``sheet_rows(workbook, name)`` gives exactly what openpyxl's
``workbook[name].iter_rows(values_only=True)`` gives for a workbook opened with
``read_only=True, data_only=True`` (the same tuples: ints stay ints, error cells stay
their text such as ``"#N/A"``, so a problem can still name its cell) for about 60% of
openpyxl's CPU time (0.9-1.0 s against 1.55-1.8 s for the rows of the 2007-2019
workbook): openpyxl builds an element and a dictionary for every cell, empty ones
included (most of the official workbooks' cells are empty cells that carry a style),
where this finds the cells with content with one regular expression
(docs/performance.md). The workbook itself (sheet paths, shared strings, styles,
dimensions) is still read by openpyxl.

Only the plain form that Excel and openpyxl write is read here: the main namespace
as the default one, UTF-8, a cell's value in ``<v>`` or as one plain run of inline
text, attributes in double quotes. A sheet with anything else (rich inline text,
comments or CDATA in the cell data, a date, no dimension, another encoding or
namespace prefix) is read by openpyxl itself.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Sequence
from typing import Any, NamedTuple
from xml.etree import ElementTree

from openpyxl.utils.cell import column_index_from_string
from openpyxl.workbook.workbook import Workbook

#: The head of a sheet this module reads: the main namespace as the default one.
_MAIN_NAMESPACE = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", re.S)
_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
#: A cell with content (not ``<c .../>``): its attributes and its content.
_CELL = re.compile(r"<c\b([^>]*?)(?<!/)>(.*?)</c>", re.S)
#: The attributes as Excel and openpyxl write them: r, then s and t if any.
_USUAL_ATTRIBUTES = re.compile(r'\s+r="([A-Z]+)\d+"(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?\s*')
_ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(r"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_INLINE = re.compile(r"\s*<is>\s*<t(?:\s[^>]*)?>([^<]+)</t>\s*</is>\s*")
_COORDINATE = re.compile(r"([A-Z]+)\d+$")
_COLUMNS: dict[str, int] = {}
_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([^\"']+)[\"']")
#: What only openpyxl reads right: comments, CDATA.
_NOT_PLAIN = ("<!--", "<![CDATA[")


class _NotPlain(Exception):
    """The sheet has something this reader leaves to openpyxl."""


class _Styles(NamedTuple):
    """What the cells' values are read with, from the workbook."""

    strings: Sequence[str]  # the shared strings
    dates: Container[int]  # the styles that format a number as a date or a time


def sheet_rows(workbook: Workbook, name: str) -> list[tuple[Any, ...]]:
    """The rows of sheet ``name`` as openpyxl's read-only ``iter_rows(values_only=True)``.

    ``workbook``: opened by ``openpyxl.load_workbook(path, read_only=True, data_only=True)``.
    """
    worksheet = workbook[name]
    try:
        xml = workbook._archive.read(worksheet._worksheet_path)  # type: ignore[attr-defined]
        strings = worksheet._shared_strings  # type: ignore[attr-defined]
        dates = workbook._date_formats  # type: ignore[attr-defined]
        return list(_plain_rows(xml, _Styles(strings, dates), worksheet.max_column,
                                worksheet.max_row))
    except _NotPlain:
        return [tuple(row) for row in worksheet.iter_rows(values_only=True)]


def _plain_rows(xml: bytes, styles: _Styles, max_col: int | None,
                max_row: int | None) -> Iterator[tuple[Any, ...]]:
    """The rows, padded and cut as openpyxl's ``ReadOnlyWorksheet._cells_by_row`` does."""
    head = xml[:2000]
    declared = _ENCODING.match(head)
    if (declared and declared.group(1).lower() != b"utf-8") or _MAIN_NAMESPACE.encode() not in head:
        raise _NotPlain
    text = xml.decode("utf-8")
    data = _SHEET_DATA.search(text)
    if data is None:
        raise _NotPlain
    cells_xml = data.group(1) or ""
    if max_col is None or any(mark in cells_xml for mark in _NOT_PLAIN):
        raise _NotPlain  # no dimension: openpyxl sizes each row by its last cell
    empty_row: tuple[Any, ...] = (None,) * max_col
    counter = index = 1
    number = 0
    for row_match in _ROW.finditer(cells_xml):
        index = number = _row_number(row_match.group(1), number)
        if max_row is not None and index > max_row:
            break
        while counter < index:  # rows the file leaves out
            counter += 1
            yield empty_row
        if counter <= index:
            counter += 1
            yield _row_values(row_match.group(2) or "", styles, max_col)
    if max_row is not None and max_row < index:
        for _ in range(counter, max_row + 1):
            yield empty_row


def _row_number(attributes: str, previous: int) -> int:
    """A row's number: its r, else one more than the row before (as openpyxl counts)."""
    if "'" in attributes:
        raise _NotPlain  # attributes in single quotes
    number = dict(_ATTRIBUTE.findall(attributes)).get("r")
    if number is None:
        return previous + 1
    value = float(number)
    if not value.is_integer():
        raise _NotPlain  # openpyxl refuses it: let it say so
    return int(value)


def _row_values(cells_xml: str, styles: _Styles, width: int) -> tuple[Any, ...]:
    """One row's values by column, 1 to ``width`` (cells further right are left out).

    Only cells with content are looked at (an element ``<c .../>`` has no value): most
    cells of the official workbooks are empty ones that carry a style.
    """
    values: list[Any] = [None] * width
    for cell in _CELL.finditer(cells_xml):
        attributes = cell.group(1)
        usual = _USUAL_ATTRIBUTES.fullmatch(attributes)
        if usual is not None:
            letters, style, kind = usual.groups()
        else:
            named = dict(_ATTRIBUTE.findall(attributes))
            found = _COORDINATE.match(named.get("r", ""))
            if found is None:
                raise _NotPlain  # counted from the cells before it, empty ones too
            letters, style, kind = found.group(1), named.get("s"), named.get("t")
        column = _column(letters)
        if column <= width:
            values[column - 1] = _value(kind or "n", style, cell.group(2), styles)
    return tuple(values)


def _column(letters: str) -> int:
    """The column number of ``A``, ``B``, ... ``AA``, ... (remembered)."""
    number = _COLUMNS.get(letters)
    if number is None:
        number = _COLUMNS[letters] = column_index_from_string(letters)
    return number


def _value(kind: str, style: str | None, inner: str, styles: _Styles) -> Any:
    """A cell's value as openpyxl's ``WorkSheetParser.parse_cell`` gives it (data only):
    ``kind`` and ``style`` are the cell's t and s, ``inner`` its content."""
    if kind == "inlineStr":  # one plain run of text (openpyxl writes them so)
        found = _INLINE.fullmatch(inner)
        if found is None:
            raise _NotPlain
        raw: str | None = found.group(1)
    elif inner.startswith("<v>") and inner.endswith("</v>") and inner.count("<") == 2:
        raw = inner[3:-4]
    else:
        found = _VALUE.search(inner)
        raw = found.group(1) if found else None
    if raw is not None and ("&" in raw or "\r" in raw or "<" in raw):
        raw = ElementTree.fromstring(f"<v>{raw}</v>").text  # entities, line ends
    if not raw:
        return None
    if kind == "n":
        if style and int(style) in styles.dates:
            raise _NotPlain  # a date or a time: openpyxl converts it
        return float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
    if kind == "s":
        return styles.strings[int(raw)]
    if kind == "b":
        return bool(int(raw))
    if kind == "d":
        raise _NotPlain  # an ISO 8601 date: openpyxl converts it
    return raw  # "inlineStr", "str" (a formula's text), "e" (an error such as #N/A)

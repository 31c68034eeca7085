"""The sheet reader of our own (loaders/xlsx_rows.py) gives exactly openpyxl's rows.

Each workbook is read both ways, openpyxl's read-only ``iter_rows(values_only=True)``
being the reference: the same tuples, with the same types (an int stays an int, an
error cell stays its text). Workbooks written as Excel writes them (shared strings,
formulas with cached values, empty styled cells) are made here as zip files, since
openpyxl writes another form (inline strings); the real workbooks are read too.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from mipex_kg.loaders.xlsx_rows import _NotPlain, _plain_rows, _Styles, sheet_rows

from tests.conftest import CORE_WORKBOOK, EDITION_2015_WORKBOOK, EU_WORKBOOK
from tests.workbook_builder import sheet, write_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

#: Cells as Excel writes them: shared strings, numbers, a formula with its cached
#: value, a formula's text, an error, a boolean, empty styled cells, a skipped row,
#: text with markup characters and a Windows line end, a cell beyond the dimension.
EXCEL_CELLS = (
    '<row r="1" spans="1:5"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="1"/>'
    '<c r="C1" s="2" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2" s="3"><v>2019</v></c><c r="B2"><v>50</v></c>'
    '<c r="C2" s="4"><f>AVERAGE(B2,B3)</f><v>45.904265873015873</v></c>'
    '<c r="D2" t="e"><v>#N/A</v></c><c r="E2" t="b"><v>1</v></c></row>'
    '<row r="3"><c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="C3"><v>1E-3</v></c>'
    '<c r="D3" t="str"><f>"a"&amp;"b"</f><v>a&amp;b &lt;c&gt;\r\nd</v></c>'
    '<c r="E3" t="s"><v>2</v></c><c r="F3"><v>7</v></c></row>'
    '<row r="5"><c r="A5" s="1"/><c r="C5"><v>123456789012345678901</v></c></row>'
    '<row r="6"/>'
)
EXCEL_STRINGS = ("Overall Scores", "Comments & notes", "DON'T FILL THESE YEARS")


def excel_like(path: Path, cells: str, *, dimension: str | None = "A1:E7",
               strings: tuple[str, ...] = EXCEL_STRINGS, date_style: bool = False) -> Path:
    """A one-sheet workbook (sheet ``SE``) whose sheet XML is ``cells``, as Excel writes it."""
    shared = "".join(f"<si><t>{s.replace('&', '&amp;')}</t></si>" for s in strings)
    # style 3 formats a number as a date when asked (numFmtId 14), else as a plain number
    formats = "".join(f'<xf numFmtId="{14 if date_style and i == 3 else 0}" fontId="0" '
                      'fillId="0" borderId="0" xfId="0"/>' for i in range(5))
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{DOCUMENT}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>',
        "xl/workbook.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="SE" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOCUMENT}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{DOCUMENT}/styles" Target="styles.xml"/>'
            '</Relationships>',
        "xl/sharedStrings.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>',
        "xl/styles.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><fonts count="1">'
            '<font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
            '</border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="5">{formats}</cellXfs><cellStyles count="1">'
            '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
        "xl/worksheets/sheet1.xml":
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}">'
            + (f'<dimension ref="{dimension}"/>' if dimension else "")
            + f"<sheetData>{cells}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def both_ways(path: Path) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Every sheet's rows by openpyxl and by ``sheet_rows``."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return {name: ([tuple(r) for r in workbook[name].iter_rows(values_only=True)],
                       sheet_rows(workbook, name))
                for name in workbook.sheetnames}
    finally:
        workbook.close()


def assert_same(path: Path) -> None:
    for name, (expected, read) in both_ways(path).items():
        assert read == expected, name
        assert [[type(v) for v in row] for row in read] == \
            [[type(v) for v in row] for row in expected], name


def read_plainly(path: Path) -> list[tuple[Any, ...]]:
    """The rows of sheet SE by this module's own reading (raises ``_NotPlain`` when it
    would leave the sheet to openpyxl)."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook["SE"]
        xml = workbook._archive.read(worksheet._worksheet_path)  # type: ignore[attr-defined]
        styles = _Styles(worksheet._shared_strings,  # type: ignore[union-attr]
                         workbook._date_formats)  # type: ignore[attr-defined]
        return list(_plain_rows(xml, styles, worksheet.max_column, worksheet.max_row))
    finally:
        workbook.close()


def test_excel_form_is_read_by_its_own_reader_exactly(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "excel.xlsx", EXCEL_CELLS)
    rows = read_plainly(path)
    assert rows == both_ways(path)["SE"][0]
    assert rows[0] == ("Overall Scores", None, "Comments & notes", None, None)
    assert rows[1] == (2019, 50, 45.904265873015873, "#N/A", True)
    assert type(rows[1][1]) is int
    # F3 lies beyond the dimension (A1:E7): left out, as openpyxl does
    assert rows[2] == (None, "#DIV/0!", 0.001, "a&b <c>\nd", "DON'T FILL THESE YEARS")
    assert rows[3] == (None,) * 5  # row 4 is not in the file
    assert rows[4] == (None, None, 123456789012345678901, None, None)
    # row 6 is in the file, empty; openpyxl stops at the file's last row, not at row 7
    assert len(rows) == 6
    assert_same(path)


def test_rows_past_the_dimension_are_cut_as_openpyxl_cuts_them(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "short.xlsx", EXCEL_CELLS, dimension="A1:C2")
    assert read_plainly(path) == [("Overall Scores", None, "Comments & notes"), (2019, 50, 45.904265873015873)]
    assert_same(path)


@pytest.mark.parametrize(("cells", "options"), [
    (EXCEL_CELLS, {"dimension": None}),  # openpyxl sizes each row by its last cell
    (EXCEL_CELLS, {"date_style": True}),  # A2 (style 3) is a date
    ('<row r="1"><c r="A1" t="inlineStr"><is><r><t>rich</t></r><r><t> text</t></r></is></c></row>', {}),
    ('<row r="1"><!-- a comment --><c r="A1"><v>1</v></c></row>', {}),
    ('<row r="1"><c r="A1" t="d"><v>2019-01-01T00:00:00</v></c></row>', {}),
    ("<row r='2'><c r='A2'><v>1</v></c></row>", {}),  # attributes in single quotes
])
def test_what_it_does_not_read_is_left_to_openpyxl(tmp_path: Path, cells: str,
                                                   options: dict[str, Any]) -> None:
    path = excel_like(tmp_path / "other.xlsx", cells, **options)
    with pytest.raises(_NotPlain):
        read_plainly(path)
    assert_same(path)  # sheet_rows gives openpyxl's rows all the same


def test_openpyxl_written_workbooks_with_inline_strings(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "built.xlsx", {"SE": sheet(), "FI": sheet(years=(2019,))})
    assert read_plainly(path)  # inline strings are read here, not left to openpyxl
    assert_same(path)


def test_awkward_values_written_by_openpyxl(tmp_path: Path) -> None:
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = "SE"
    worksheet.append(["Tom & Jerry <b>", "line\nbreak", "  padded  ", "#N/A", True, None, 0])
    worksheet.append([])
    worksheet.append([2019, 62.5, -1, 1e-20, "=SUM(A1:A2)", "#DIV/0!", "ünïcødé"])
    path = tmp_path / "awkward.xlsx"
    workbook.save(path)
    rows = read_plainly(path)
    assert rows[0][:5] == ("Tom & Jerry <b>", "line\nbreak", "  padded  ", "#N/A", True)
    assert rows[2][4] is None  # a formula with no cached value: data only
    assert_same(path)


@pytest.mark.realdata
@pytest.mark.parametrize("path", [CORE_WORKBOOK, EU_WORKBOOK, EDITION_2015_WORKBOOK],
                         ids=lambda p: p.name)
def test_real_workbooks_read_exactly_as_openpyxl(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    assert_same(path)

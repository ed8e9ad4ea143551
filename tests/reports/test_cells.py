"""The sheet writer on its own: text that stays text, widths, splitting."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from connect_desktop.reports.cells import Kind
from connect_desktop.reports.progress import Tracker
from connect_desktop.reports.workbook import Column, SheetWriter, estimate_widths, new_workbook, sheet_title

RISKY = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1 555 0100",
    "-2",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "#N/A",
    "#REF!",
]


def write(
    path: Path, columns: list[Column], rows: list[tuple[object, ...]], max_rows: int | None = None
) -> None:
    wb = new_workbook()
    writer = SheetWriter(wb, "Data", columns, ["Title", "Sub", "Note"], max_rows=max_rows)
    writer.write([rows], Tracker(None, None))
    wb.save(path)


def test_formula_like_strings_are_written_as_literal_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write(path, [Column("Value")], [(s,) for s in RISKY])
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and 't="e"' not in xml
    wb = openpyxl.load_workbook(path)
    try:
        cells = [row[0] for row in wb["Data"].iter_rows(min_row=6)]
        # XML turns a raw carriage return into a line feed; everything else is kept as typed
        assert [c.value for c in cells] == [s.replace("\r", "\n") for s in RISKY]
        assert all(c.data_type == "s" for c in cells)
        assert all(c.quotePrefix for c in cells)
    finally:
        wb.close()


def test_illegal_characters_are_dropped_and_ids_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write(
        path,
        [Column("Name"), Column("Number", Kind.ID), Column("Born", Kind.DATE), Column("Seen", Kind.DATETIME)],
        [("A\x00b\x1fc", "000123", "2015-03-04", "2026-06-01 07:05:00.000000"), (None, 42, None, None)],
    )
    wb = openpyxl.load_workbook(path)
    try:
        ws = wb["Data"]
        assert ws["A6"].value == "Abc"
        assert ws["B6"].value == "000123" and ws["B6"].data_type == "s"
        assert ws["B7"].value == "42" and ws["B7"].data_type == "s"
        assert ws["C6"].is_date and ws["C6"].value == dt.datetime(2015, 3, 4)
        assert ws["D6"].is_date and ws["D6"].value == dt.datetime(2026, 6, 1, 7, 5)
        assert ws["D6"].number_format == "yyyy-mm-dd h:mm:ss"
    finally:
        wb.close()


@pytest.mark.parametrize("rows", [0, 1, 44, 45, 46, 90, 91, 200])
def test_split_keeps_every_row_exactly_once(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "t.xlsx"
    write(path, [Column("N", Kind.INT), Column("Text")], [(i, f"r{i}") for i in range(rows)], max_rows=50)
    wb = openpyxl.load_workbook(path)
    try:
        seen = []
        for ws in wb.worksheets:
            assert [c.value for c in ws[5]] == ["N", "Text"]
            seen.extend(r[0] for r in ws.iter_rows(min_row=6, values_only=True))
        assert seen == list(range(rows))
        expected_sheets = max(1, -(-rows // 45))
        assert wb.sheetnames == [sheet_title("Data", i) for i in range(1, expected_sheets + 1)]
    finally:
        wb.close()


def test_sheet_titles_fit_excel() -> None:
    assert sheet_title("A" * 40, 1) == "A" * 31
    assert sheet_title("A" * 40, 12) == "A" * 26 + " (12)"


def test_widths_from_header_and_sample() -> None:
    columns = [
        Column("Id", Kind.ID),
        Column("Long header here"),
        Column("Born", Kind.DATE),
        Column("Fix", width=9),
    ]
    widths = estimate_widths(columns, [("x" * 200, "short", "2015-01-01", "zzzzzzzzzzzzzzzzzz")])
    assert widths[0] == 60 and widths[1] == len("Long header here") + 2
    assert widths[2] >= 10 and widths[3] == 9

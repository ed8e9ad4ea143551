"""Reading exported workbooks back for assertions."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl

HEADER_ROW = 5  # three title rows, a blank row, the header


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def sheet_names(path: Path) -> list[str]:
    wb = load(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_sheet(path: Path, name: str) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """(header, data rows) of one sheet, values only."""
    wb = load(path)
    try:
        rows = list(wb[name].iter_rows(min_row=HEADER_ROW, values_only=True))
    finally:
        wb.close()
    return list(rows[0]), [tuple(r) for r in rows[1:]]


def records(path: Path, name: str) -> list[dict[str, Any]]:
    header, rows = read_sheet(path, name)
    return [dict(zip(header, row, strict=True)) for row in rows]


def column_cells(path: Path, name: str, header: str) -> list[Any]:
    """The data cells (not values) under `header` in sheet `name`."""
    wb = load(path)
    try:
        ws = wb[name]
        index = [c.value for c in ws[HEADER_ROW]].index(header)
        return [row[index] for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    finally:
        wb.close()


def sheet_xml(path: Path, name: str) -> str:
    """The raw XML of a worksheet, found through the workbook's sheet order."""
    index = sheet_names(path).index(name) + 1
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")

"""Read the student numbers of a new-year upload file (CSV or XLSX), keeping leading zeros."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connect_desktop.errors import KnownError

_HEADER_NAMES = ("studentnumber", "studentno", "studentid", "sisid", "localid", "id", "number")
"""Normalised header names of the id column, most specific first."""


class RosterFileError(KnownError):
    """The file cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class StudentNumbers:
    numbers: frozenset[str]
    column: str
    """The header of the column read, or "column 1" when the file has no header."""
    rows: int


def read_student_numbers(path: Path) -> StudentNumbers:
    """The distinct student numbers in the file's id column.

    The column is the first whose header reads like "student_number", "Student
    Number", "Student ID" or "id"; otherwise the first column. Values are read as text,
    so "00123" stays "00123".
    """
    if not path.is_file():
        raise RosterFileError(f"The file {path.name} was not found. Choose the file again.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        rows = _xlsx_rows(path)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(path)
    else:
        raise RosterFileError(f"{path.name} is not a CSV or Excel (.xlsx) file. Save it as one, then retry.")
    return _numbers(path, rows)


def _numbers(path: Path, rows: list[list[str]]) -> StudentNumbers:
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise RosterFileError(f"{path.name} is empty. Choose the file of next year's students.")
    start = _header_row(rows)
    index, header = _id_column(rows[start])
    body = rows[start + 1 :] if header is not None else rows[start:]
    numbers = frozenset(row[index] for row in body if index < len(row) and row[index])
    if not numbers:
        raise RosterFileError(
            f"{path.name} has no student numbers in its column {header or 1}. "
            "Check that the file lists one student per row."
        )
    return StudentNumbers(numbers, header or "column 1", len(body))


_TITLE_ROWS = 10
"""How far down a header is looked for: a report (this app's own, say) has title rows above it."""


def _header_row(rows: list[list[str]]) -> int:
    """The first row among the first few that names a student-number column; 0 when none does."""
    for number, row in enumerate(rows[:_TITLE_ROWS]):
        if any(_normalised(cell) in _HEADER_NAMES for cell in row):
            return number
    return 0


def _normalised(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.lower())


def _id_column(first_row: Sequence[str]) -> tuple[int, str | None]:
    """Index of the id column and its header (None when the first row is data)."""
    normalised = [_normalised(cell) for cell in first_row]
    for name in _HEADER_NAMES:
        if name in normalised:
            index = normalised.index(name)
            return index, first_row[index]
    looks_like_header = bool(first_row) and not any(ch.isdigit() for ch in first_row[0])
    return 0, (first_row[0] if looks_like_header else None)


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", errors="replace")
    if "\x00" in text:
        raise RosterFileError(f"{path.name} is not a text CSV file. Export it again as CSV, then retry.")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(text.splitlines(), dialect)]
    except csv.Error as error:
        raise RosterFileError(f"{path.name} could not be read as CSV ({error}).") from error


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise RosterFileError(
            f"{path.name} could not be opened as an Excel workbook. Open it in Excel and save it "
            "again as .xlsx, or export it as CSV."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(cell) for cell in row] for row in sheet.iter_rows()]
    finally:
        workbook.close()


def _cell_text(cell: Any) -> str:
    """A cell as the text the user sees; numbers formatted "00000" keep their zeros."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number_format = getattr(cell, "number_format", "") or ""
        if re.fullmatch(r"0+", number_format):
            return str(value).zfill(len(number_format))
        return str(value)
    return str(value).strip()

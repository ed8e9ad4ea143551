from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from connect_desktop.rollover import RosterFileError, read_student_numbers


def _csv(tmp_path: Path, text: str, name: str = "students.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _xlsx(tmp_path: Path, rows: list[list[object]], number_format: str | None = None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if number_format:
        for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
            cell.number_format = number_format
    path = tmp_path / "students.xlsx"
    workbook.save(path)
    workbook.close()
    return path


@pytest.mark.parametrize(
    ("header", "column"),
    [("student_number", 1), ("Student Number", 1), ("Student ID", 1), ("id", 1)],
)
def test_csv_column_found_by_header_and_leading_zeros_kept(tmp_path: Path, header: str, column: int) -> None:
    path = _csv(tmp_path, f"Last Name,{header},Grade\nLee,00123,5\nKim,4567,6\n,,\n")
    numbers = read_student_numbers(path)
    assert numbers.numbers == {"00123", "4567"}
    assert numbers.column == header
    assert numbers.rows == 2


def test_csv_without_known_header_uses_the_first_column(tmp_path: Path) -> None:
    assert read_student_numbers(_csv(tmp_path, "Code;Name\n007;Bond\n")).numbers == {"007"}
    headerless = read_student_numbers(_csv(tmp_path, "0042\n0043\n", "plain.csv"))
    assert headerless.numbers == {"0042", "0043"} and headerless.column == "column 1"


def test_csv_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffStudent ID,Name\n0099,A\n".encode())
    assert read_student_numbers(path).numbers == {"0099"}


def test_xlsx_text_and_zero_padded_numbers(tmp_path: Path) -> None:
    as_text = _xlsx(tmp_path, [["Name", "Student Number"], ["Lee", "00123"], ["Kim", 4567]])
    assert read_student_numbers(as_text).numbers == {"00123", "4567"}
    padded = _xlsx(tmp_path, [["Student ID"], [123], [45]], number_format="00000")
    assert read_student_numbers(padded).numbers == {"00123", "00045"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"this is not a zip file", "could not be opened as an Excel workbook"),
        ("binary.csv", b"\x00\x01\x02PK\x00", "not a text CSV file"),
        ("empty.csv", b"\n\n", "is empty"),
        ("header-only.csv", b"student_number\n", "has no student numbers"),
        ("students.pdf", b"%PDF-1.4", "not a CSV or Excel"),
    ],
)
def test_unusable_files_give_plain_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterFileError, match=message):
        read_student_numbers(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterFileError, match="was not found"):
        read_student_numbers(tmp_path / "nope.csv")

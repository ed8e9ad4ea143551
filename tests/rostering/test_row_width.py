"""Rows are counted against the header, so that no value is read in its neighbour's column."""

from __future__ import annotations

from pathlib import Path

import pytest

from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.validate import read_snapshot, validate_source

from .district import EXPECTED_COUNTS, oneroster_files, oneroster_tables, to_csv, write_zip


def users_lines(version: str) -> list[str]:
    return to_csv(*oneroster_tables(version)["users"]).split("\r\n")


def with_users(tmp_path: Path, version: str, lines: list[str]) -> Path:
    files = {**oneroster_files(version), "users.csv": "\r\n".join(lines)}
    return write_zip(tmp_path / "p.zip", files)  # type: ignore[arg-type]


def row_of(lines: list[str], sid: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(f"{sid},")) + 1


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_an_unquoted_comma_is_an_error_naming_the_split(tmp_path: Path, version: str) -> None:
    """`Carter, Jr.` unquoted, the last column empty: before, the values slid one column right."""
    lines = users_lines(version)
    row = row_of(lines, "s-cal")
    lines[row - 1] = lines[row - 1].replace(",Carter,", ",Carter, Jr.,")
    report = validate_source(with_users(tmp_path, version, lines))
    assert [(d.code, d.severity) for d in report.diagnostics] == [("too_many_values", "error")]
    [diag] = report.diagnostics
    assert (diag.file, diag.row, diag.column) == ("users.csv", row, "familyName")
    width = len(oneroster_tables(version)["users"][0])
    assert diag.message == (
        f"The row has {width + 1} values; the header has {width}: "
        "a comma inside a value — here probably after 'Carter' — needs the value in quotes."
    )
    assert '"Carter, Jr."' in diag.hint


def test_a_file_that_ends_every_row_with_a_comma_is_read_in_the_right_columns(tmp_path: Path) -> None:
    lines = users_lines("1.2")
    lines = [lines[0]] + [line + "," if line else line for line in lines[1:]]
    diags = Diagnostics()
    with read_snapshot(with_users(tmp_path, "1.2", lines), diags) as snap:
        assert snap.counts() == EXPECTED_COUNTS
        cal = snap.get("student", "s-cal")
        ann = snap.get("staff", "t-ann")
        assert cal is not None and cal.as_dict()["student_number"] == "1001"
        assert ann is not None and ann.as_dict()["email"] == "ann@springfield.example"
    assert [(d.code, d.severity, d.row) for d in diags] == [("trailing_comma", "warning", 2)]


def test_in_a_trailing_comma_file_a_split_value_is_still_an_error(tmp_path: Path) -> None:
    lines = users_lines("1.2")
    lines = [lines[0]] + [line + "," if line else line for line in lines[1:]]
    row = row_of(lines, "s-fay")
    lines[row - 1] = lines[row - 1].replace(",Fox,", ",Fox, III,")
    report = validate_source(with_users(tmp_path, "1.2", lines))
    [error] = [d for d in report.diagnostics if d.severity == "error"]
    assert (error.code, error.row, error.column) == ("too_many_values", row, "familyName")
    assert "(and a trailing comma)" in error.message


def test_a_split_first_row_does_not_pass_for_the_files_style(tmp_path: Path) -> None:
    """The first data row has one extra empty value, but it is a split value: the next row decides."""
    lines = users_lines("1.1")
    lines[1] = lines[1].replace(",Archer,", ",Archer, PhD,")
    report = validate_source(with_users(tmp_path, "1.1", lines))
    assert [(d.code, d.row) for d in report.diagnostics] == [("too_many_values", 2)]


def test_a_line_break_in_an_unquoted_value_is_one_error_for_both_pieces(tmp_path: Path) -> None:
    lines = users_lines("1.2")
    row = row_of(lines, "s-eve")
    first, rest = lines[row - 1].split(",Evans,")
    lines[row - 1 : row] = [first + ",Ev", "ans," + rest]
    report = validate_source(with_users(tmp_path, "1.2", lines))
    assert [(d.code, d.row) for d in report.diagnostics] == [
        ("too_few_values", row),
        ("too_few_values", row + 1),
    ]
    cut, piece = report.diagnostics
    assert cut.column == "familyName" and "'Ev'" in cut.message and f"goes on in row {row + 1}" in cut.message
    assert f"the rest of row {row}" in piece.message


def test_a_row_without_its_trailing_empty_values_is_read_with_a_warning(tmp_path: Path) -> None:
    """A writer that leaves out the empty values at the end loses nothing."""
    lines = users_lines("1.2")
    row = row_of(lines, "t-ann")
    assert lines[row - 1].endswith(",sch-elem,")  # primaryOrgSourcedId, then an empty pronouns
    lines[row - 1] = lines[row - 1].removesuffix(",")
    diags = Diagnostics()
    with read_snapshot(with_users(tmp_path, "1.2", lines), diags) as snap:
        assert snap.counts() == EXPECTED_COUNTS
    [warning] = list(diags)
    assert (warning.code, warning.severity, warning.row) == ("short_row", "warning", row)
    assert "'pronouns' was read as empty" in warning.message


def test_a_short_row_missing_a_required_value_is_an_error(tmp_path: Path) -> None:
    header, rows = oneroster_tables("1.2")["enrollments"]
    text = to_csv(header, rows) + "e9,,,cls-bio1,sch-high\r\n"  # userSourcedId and role missing
    files = {**oneroster_files("1.2"), "enrollments.csv": text}
    report = validate_source(write_zip(tmp_path / "p.zip", files))  # type: ignore[arg-type]
    assert [(d.code, d.row, d.column) for d in report.diagnostics] == [
        ("too_few_values", 10, "schoolSourcedId")
    ]

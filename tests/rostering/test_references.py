"""Every reference of the OneRoster model is checked, each problem of a row is reported at once,
and a finding refuses the package only when keeping it would lose or corrupt a record."""

from __future__ import annotations

from pathlib import Path

import pytest

from connect_desktop.rostering.diagnostics import Diagnostic
from connect_desktop.rostering.validate import ValidationReport, validate_source

from .district import EXPECTED_COUNTS, oneroster_files, oneroster_tables, to_csv, write_zip


def edited(version: str, *cells: tuple[str, int, str, str]) -> dict[str, str]:
    """A valid package with cells changed: (file, row counting the header as 1, column, value)."""
    tables = {
        name: (header, [list(r) for r in rows]) for name, (header, rows) in oneroster_tables(version).items()
    }
    for file, row, column, value in cells:
        header, rows = tables[file]
        rows[row - 2][header.index(column)] = value
    files = oneroster_files(version)
    files.update({f"{name}.csv": to_csv(*table) for name, table in tables.items()})
    return files


def validate(tmp_path: Path, files: dict[str, str]) -> ValidationReport:
    return validate_source(write_zip(tmp_path / "p.zip", files))  # type: ignore[arg-type]


def found(report: ValidationReport, code: str) -> list[Diagnostic]:
    return [d for d in report.diagnostics if d.code == code]


def codes(report: ValidationReport, severity: str) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(d.code, d.file, d.row, d.column) for d in report.diagnostics if d.severity == severity]


REFERENCES = [
    # (version, file, row, column, value, the file the reference points into)
    ("1.2", "orgs", 3, "parentSourcedId", "dist-nope", "orgs"),
    ("1.2", "academicSessions", 3, "parentSourcedId", "sy-nope", "academicSessions"),
    ("1.2", "courses", 2, "schoolYearSourcedId", "sy-nope", "academicSessions"),
    ("1.2", "courses", 3, "orgSourcedId", "sch-nope", "orgs"),
    ("1.2", "classes", 2, "courseSourcedId", "crs-nope", "courses"),
    ("1.2", "classes", 3, "schoolSourcedId", "sch-nope", "orgs"),
    ("1.2", "classes", 4, "termSourcedIds", "sem-1,sem-nope", "academicSessions"),
    ("1.1", "users", 5, "orgSourcedIds", "sch-elem,sch-nope", "orgs"),
    ("1.2", "users", 5, "primaryOrgSourcedId", "sch-nope", "orgs"),
    ("1.1", "users", 6, "agentSourcedIds", "g-gia,g-nope", "users"),
    ("1.2", "roles", 5, "orgSourcedId", "sch-nope", "orgs"),
    ("1.2", "enrollments", 3, "classSourcedId", "cls-nope", "classes"),
    ("1.1", "enrollments", 4, "schoolSourcedId", "sch-nope", "orgs"),
    ("1.2", "enrollments", 5, "userSourcedId", "s-nope", "users"),
]


@pytest.mark.parametrize(
    ("version", "file", "row", "column", "value", "target"),
    REFERENCES,
    ids=[f"{r[1]}.{r[3]}-{r[0]}" for r in REFERENCES],
)
def test_each_broken_reference_is_an_error(
    tmp_path: Path, version: str, file: str, row: int, column: str, value: str, target: str
) -> None:
    report = validate(tmp_path, edited(version, (file, row, column, value)))
    [broken] = found(report, "broken_reference")  # one finding: nothing cascades from it
    assert (broken.severity, broken.file, broken.row, broken.column) == ("error", f"{file}.csv", row, column)
    missing = value.split(",")[-1]
    assert broken.message == f"'{missing}' is not in {target}.csv."
    assert missing in broken.hint and "{count}" in broken.group and f"{target}.csv" in broken.group
    assert not report.ok


@pytest.mark.parametrize(
    ("file", "ids"), [("orgs", ["sch-elem", "dist-1"]), ("academicSessions", ["sem-2", "sy-2025"])]
)
def test_a_parent_may_come_later_in_its_file(tmp_path: Path, file: str, ids: list[str]) -> None:
    """A child row before its parent is legal: parents are checked once the file is read."""
    header, rows = oneroster_tables("1.2")[file]
    first = [r for r in rows if r[0] == ids[0]]
    files = {
        **oneroster_files("1.2"),
        f"{file}.csv": to_csv(header, first + [r for r in rows if r[0] != ids[0]]),
    }
    report = validate(tmp_path, files)
    assert report.errors == 0 and report.warnings == 0, [str(d) for d in report.diagnostics]
    assert report.counts == EXPECTED_COUNTS


def test_references_into_a_file_the_package_does_not_hold_are_not_checked(tmp_path: Path) -> None:
    """courses.csv is optional for Connect: without it, classes' courseSourcedIds cannot be checked."""
    files = oneroster_files("1.2")
    del files["courses.csv"]
    files["manifest.csv"] = files["manifest.csv"].replace("file.courses,bulk", "file.courses,absent")
    report = validate(tmp_path, files)
    assert report.errors == 0, [str(d) for d in report.diagnostics]
    assert report.counts == EXPECTED_COUNTS


def test_a_row_with_a_field_error_and_a_broken_reference_shows_both(tmp_path: Path) -> None:
    files = edited(
        "1.2",
        ("enrollments", 3, "beginDate", "08/26/2024"),
        ("enrollments", 3, "classSourcedId", "cls-nope"),
        ("classes", 2, "classType", "lecture"),
        ("classes", 2, "termSourcedIds", "sem-nope"),
    )
    report = validate(tmp_path, files)
    assert sorted(codes(report, "error")) == [
        ("bad_date", "enrollments.csv", 3, "beginDate"),
        ("bad_enum", "classes.csv", 2, "classType"),
        ("broken_reference", "classes.csv", 2, "termSourcedIds"),
        ("broken_reference", "enrollments.csv", 3, "classSourcedId"),
    ]


def test_a_row_with_errors_of_its_own_is_not_blamed_again_where_it_is_used(tmp_path: Path) -> None:
    """An org with a bad type is left out, but the classes and users of that school are not reported."""
    report = validate(tmp_path, edited("1.2", ("orgs", 4, "type", "campus")))
    assert codes(report, "error") == [("bad_enum", "orgs.csv", 4, "type")]
    assert report.counts["classroom"] < EXPECTED_COUNTS["classroom"]  # what had errors is not kept


def test_an_active_class_in_a_deleted_term_is_an_error(tmp_path: Path) -> None:
    """The class would be lost with its term: refused, and said without 'skipped'."""
    report = validate(tmp_path, edited("1.2", ("academicSessions", 3, "status", "tobedeleted")))
    assert codes(report, "error") == [("reference_to_deleted", "classes.csv", 3, "termSourcedIds")]
    [error] = [d for d in report.diagnostics if d.severity == "error"]
    assert "sem-1" in error.message and "skipped" not in error.message


def test_enrollments_of_a_deleted_class_are_ignored_with_a_warning(tmp_path: Path) -> None:
    """Nothing Connect keeps is lost: the class goes, and its enrollments with it."""
    report = validate(tmp_path, edited("1.2", ("classes", 3, "status", "tobedeleted")))
    assert report.ok, [str(d) for d in report.diagnostics]
    ignored = found(report, "reference_to_deleted")
    assert {(d.file, d.row, d.severity) for d in ignored} == {
        ("enrollments.csv", 5, "warning"),
        ("enrollments.csv", 6, "warning"),
    }
    assert all("the enrollment was ignored" in d.message for d in ignored)
    assert report.counts["classroom"] == 2 and report.counts["enrollment"] == 6


def test_a_student_enrolled_as_teacher_is_an_error_that_does_not_claim_a_skip(tmp_path: Path) -> None:
    report = validate(
        tmp_path, edited("1.2", ("enrollments", 2, "role", "student"), ("enrollments", 6, "role", "teacher"))
    )
    mismatches = sorted(found(report, "role_mismatch"), key=lambda d: d.row or 0)
    assert [(d.row, d.severity) for d in mismatches] == [(2, "error"), (6, "error")]
    teacher_as_student, student_as_teacher = mismatches
    assert (
        teacher_as_student.message == "'t-ann' is enrolled as a student, but is a staff member in roles.csv."
    )
    assert student_as_teacher.group == "{count} enrollments point at a student as their teacher"
    assert not any("skipped" in d.message for d in report.diagnostics)


def test_the_same_enrollment_twice_with_two_roles_is_an_error(tmp_path: Path) -> None:
    files = oneroster_files("1.2")
    files["enrollments.csv"] += "e9,,,cls-bio1,sch-high,t-bob,student,false,,\r\n"  # t-bob teaches it
    roles_header, roles = oneroster_tables("1.2")["roles"]
    files["roles.csv"] = to_csv(
        roles_header, [*roles, ["r-x", "", "", "t-bob", "secondary", "student", "", "", "sch-high", ""]]
    )
    report = validate(tmp_path, files)
    [conflict] = found(report, "conflicting_enrollment")
    assert (conflict.severity, conflict.row) == ("error", 10)
    assert "as a teacher in row 5 and as a student here" in conflict.message


def test_a_user_without_a_role_is_an_error(tmp_path: Path) -> None:
    """A 1.2 user with no role may be a student Connect would otherwise archive."""
    header, rows = oneroster_tables("1.2")["roles"]
    files = {**oneroster_files("1.2"), "roles.csv": to_csv(header, [r for r in rows if r[3] != "s-gus"])}
    report = validate(tmp_path, files)
    assert codes(report, "error") == [("no_role", "users.csv", 8, None)]

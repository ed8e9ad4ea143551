"""The four real OneRoster packages, read exactly as they are."""

from __future__ import annotations

import pytest

from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.validate import read_snapshot, validate_source
from tests.support.samples import ONEROSTER as SAMPLES


@pytest.fixture(autouse=True, scope="module")
def _samples_present() -> None:
    assert SAMPLES.is_dir(), f"the sample OneRoster packages are missing: expected them in {SAMPLES}"


def find(
    report: list[Diagnostic], code: str, file: str | None = None, row: int | None = None
) -> list[Diagnostic]:
    return [
        d
        for d in report
        if d.code == code and (file is None or d.file == file) and (row is None or d.row == row)
    ]


def test_full_11_bulk_reports_its_real_defects() -> None:
    report = validate_source(SAMPLES / "Test_full_data_set.zip")
    assert report.version == "1.1"
    assert not report.ok
    # the only org is a department, yet classes and students point at it as their school
    [not_school] = find(report.diagnostics, "not_a_school", "classes.csv", 2)
    assert not_school.column == "schoolSourcedId" and "'department'" in not_school.message
    assert {d.row for d in find(report.diagnostics, "student_without_school", "users.csv")} == {3, 6, 7}
    # 'inactive' is not a OneRoster 1.1 status
    [bad_status] = find(report.diagnostics, "bad_enum", "academicSessions.csv", 4)
    assert bad_status.column == "status" and "'inactive'" in bad_status.message
    # harmless: TRUE booleans, CRLF, no final newline, 'Scheduled' in the wrong case
    assert not find(report.diagnostics, "bad_boolean")
    [case] = find(report.diagnostics, "enum_case", "classes.csv", 2)
    assert case.severity == "warning" and "'scheduled'" in case.message
    # tobedeleted rows in a bulk file are left out, and rows pointing at them are skipped with a warning
    assert find(report.diagnostics, "deleted_in_bulk", "classes.csv", 3)
    assert {d.row for d in find(report.diagnostics, "reference_to_deleted", "enrollments.csv")} == {5, 6, 7}
    assert report.counts["staff"] == 2 and report.counts["contact"] == 1 and report.counts["student"] == 0


def test_minimal_11_bulk() -> None:
    diags = Diagnostics()
    with read_snapshot(SAMPLES / "Test_minimal_data_set.zip", diags) as snap:
        assert snap.count("term") == 5
        assert snap.get("staff", "usr-222-123456").as_dict()["email"] is None  # type: ignore[union-attr]
        assert snap.get("contact", "usr-222-1234561") is not None
    assert {d.row for d in find(diags.items, "no_identifier", "users.csv")} == {3, 6, 7}
    assert len(find(diags.items, "not_a_school", "classes.csv")) == 2
    # blank status/dateLastModified is what a bulk file should have: nothing reported
    assert not find(diags.items, "missing_value")


def test_12_delta_is_valid() -> None:
    diags = Diagnostics()
    with read_snapshot(SAMPLES / "oneroster_test_data.zip", diags) as snap:
        assert snap.version == "1.2"
        assert snap.modes["student"] == "delta"
        assert snap.counts() == {
            "school": 1,
            "term": 1,
            "staff": 0,
            "student": 1,
            "contact": 0,
            "student_contact": 0,
            "classroom": 1,
            "enrollment": 1,
        }
        bruce = snap.get("student", "USER_0")
        assert bruce is not None
        assert bruce.as_dict() == {
            "school": "ORG_1",
            "student_number": "bruce.wayne",
            "first_name": "Bruce",
            "last_name": "Wayne",
            "birth_date": "2010-04-17",
            "grade": None,
        }
        assert snap.get("school", "ORG_1").as_dict()["level"] == "high"  # type: ignore[union-attr]
    assert diags.errors == 0, [str(d) for d in diags]
    assert diags.warnings == 0, [str(d) for d in diags]


def test_12_full_reports_header_typos_and_roles() -> None:
    report = validate_source(SAMPLES / "v1p2_full_dataset.zip")
    assert report.version == "1.2"
    typo = find(report.diagnostics, "unknown_column", "users.csv")
    assert {d.column for d in typo} == {"prefferedGivenName", "prefferedMiddleName", "prefferedFamilyName"}
    assert "preferredGivenName" in next(d.hint for d in typo if d.column == "prefferedGivenName")
    [dlm] = [
        d for d in find(report.diagnostics, "unknown_column", "roles.csv") if d.column == "dataLastModified"
    ]
    assert "dateLastModified" in dlm.hint
    [blank] = find(report.diagnostics, "blank_header", "roles.csv")  # columns 10 and 11: one finding
    assert "10 and 11" in blank.message
    # blank manifest values; a lowercase userprofiles.csv whose file.userProfiles is blank: said once,
    # with the file, in the specification's spelling
    assert {d.column for d in find(report.diagnostics, "manifest_value")} == {
        "file.scoreScales",
        "file.userResources",
    }
    [profiles] = find(report.diagnostics, "undeclared_file", "userprofiles.csv")
    assert "file.userProfiles" in profiles.message and "userProfiles.csv" in profiles.hint
    # '1/05/2023' is ambiguous, but dateLastModified is not used in a bulk file: a warning
    bad_dlm = find(report.diagnostics, "bad_datetime", "users.csv", 2)
    assert bad_dlm and bad_dlm[0].severity == "warning"
    [no_primary] = find(report.diagnostics, "no_primary_role", "users.csv", 4)
    assert "usr-222-1234561" in no_primary.message
    # John Doe is a teacher with a secondary guardian role: staff and contact at once
    assert (
        report.counts["staff"] == 3
        and report.counts["contact"] == 1
        and report.counts["student_contact"] == 2
    )
    assert find(report.diagnostics, "not_a_school", "classes.csv", 2)

"""Ten real roster exports from other projects, read exactly as they are.

Each expectation below was judged from the files and the OneRoster 1.1/1.2, Clever and
School Data Sync specifications (row numbers count the header as row 1, as a
spreadsheet shows them), not taken from the validator's output.
"""

from __future__ import annotations

import pytest

from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.validate import ValidationReport, read_snapshot, validate_source
from tests.support.samples import REALWORLD


@pytest.fixture(autouse=True, scope="module")
def _samples_present() -> None:
    assert REALWORLD.is_dir(), f"the real-world exports are missing: expected them in {REALWORLD}"


def validate(name: str) -> ValidationReport:
    return validate_source(REALWORLD / name)


def at(
    report: ValidationReport,
    severity: str,
    file: str | None,
    column: str | None = None,
    row: int | None = None,
) -> list[Diagnostic]:
    """The findings of one severity at a file (and column, and row)."""
    return [
        d
        for d in report.diagnostics
        if d.severity == severity
        and d.file == file
        and (column is None or d.column == column)
        and (row is None or d.row == row)
    ]


def rows(report: ValidationReport, severity: str, file: str, column: str) -> set[int]:
    return {d.row for d in at(report, severity, file, column) if d.row is not None}


def test_oat_sa_is_refused_for_classes_without_course_or_term() -> None:
    report = validate("oat-sa-v1p1-base")
    assert report.kind == "oneroster-1.1" and not report.ok
    # classes rows 2-4: courseSourcedId is required and empty
    assert rows(report, "error", "classes.csv", "courseSourcedId") == {2, 3, 4}
    # their only term, '1', is not in academicSessions.csv (which has no rows)
    assert rows(report, "error", "classes.csv", "termSourcedIds") == {2, 3, 4}


def test_snapwiz_can_be_used_with_its_quirks_reported() -> None:
    report = validate("snapwiz-v1p1-base")
    assert report.ok, [str(d) for d in report.diagnostics if d.severity == "error"]
    counts = report.counts
    assert (counts["student"], counts["staff"], counts["contact"]) == (7, 4, 0)
    assert (counts["school"], counts["term"], counts["classroom"]) == (2, 4, 3)
    assert counts["enrollment"] == 17  # 19 rows; rows 18 and 17 repeat rows 2 and 4
    # demographics rows for users that do not exist: reported, and nothing Connect keeps is lost
    assert rows(report, "warning", "demographics.csv", "sourcedId") == {13, 14, 15}
    # a trailing comma on one row of academicSessions.csv shifts nothing, but is said
    assert at(report, "warning", "academicSessions.csv", row=2)


@pytest.mark.parametrize("package", ["lepo-en", "lepo-ja-zip/oneroster.zip"])
def test_lepo_is_refused_while_two_students_teach_every_class(package: str) -> None:
    report = validate(package)
    assert report.kind == "oneroster-1.1" and not report.ok
    refused = [d for d in report.diagnostics if d.severity == "error"]
    # us0001 (users row 2) and us0002 (row 3) are students enrolled as teachers (enrollments rows 2-6)
    named = {d.row for d in refused if d.file == "enrollments.csv"} | {
        d.row for d in refused if d.file == "users.csv"
    }
    assert named & {2, 3, 4, 5, 6}
    assert all("skipped" not in d.message for d in refused), (
        "an error refuses the package; nothing is skipped"
    )
    # the only other defect: manifest key 'fiel.demographics' is a warning, not an error
    assert not [d for d in refused if d.file == "manifest.csv"]


def test_rjeike_is_refused_for_its_missing_school_term_and_dates() -> None:
    report = validate("rjeike-csvsample")
    assert not report.ok
    assert at(report, "error", "manifest.csv")  # no manifest: version and bulk/delta unknown
    assert rows(report, "error", "academicSessions.csv", "startDate") == {2, 3, 4}  # 8/27/2018
    assert rows(report, "error", "academicSessions.csv", "endDate") == {2, 3, 4}
    assert {2, 3, 4} <= rows(report, "error", "classes.csv", "termSourcedIds")  # 267_FYT_2019
    assert {2, 3} <= rows(report, "error", "classes.csv", "schoolSourcedId")  # Sch_000002
    assert rows(report, "error", "users.csv", "orgSourcedIds") >= {2, 3, 4}  # Sch_000002


def test_moodle_12_delta_can_be_used() -> None:
    report = validate("moodle-vrd118/VRd118.zip")
    assert report.kind == "oneroster-1.2" and report.ok, [str(d) for d in report.diagnostics]
    counts = report.counts
    assert (counts["student"], counts["school"], counts["term"]) == (1, 1, 1)
    assert (counts["classroom"], counts["enrollment"]) == (1, 1)


def test_moodle_12_nested_is_refused_for_having_no_school() -> None:
    report = validate("moodle-v1p2-nested/v1p2_full_dataset.zip")
    assert report.kind == "oneroster-1.2" and not report.ok
    # the only org is a department, yet the class points at it as its school
    assert 2 in rows(report, "error", "classes.csv", "schoolSourcedId")
    # broken parent references
    assert rows(report, "error", "orgs.csv", "parentSourcedId") == {2}
    assert {3, 6} <= rows(report, "error", "academicSessions.csv", "parentSourcedId")
    # 'inactive' is not a OneRoster status
    assert rows(report, "error", "academicSessions.csv", "status") == {4}
    # the manifest key is file.userProfiles, as the specification writes it
    assert all("userprofiles," not in d.hint for d in report.diagnostics)


def test_school_data_sync_is_recognised_and_explained_once() -> None:
    report = validate("sds-v2.1")
    assert report.kind == "sds" and not report.ok
    [first, *rest] = report.diagnostics
    assert first.severity == "error" and "School Data Sync" in first.message
    assert "OneRoster" in first.hint or "OneRoster" in first.message
    assert not [d for d in rest if d.severity == "error"]


def test_a_vendor_format_is_recognised_and_explained_once() -> None:
    report = validate("parentsquare-generic")
    assert report.kind == "vendor" and not report.ok
    errors = [d for d in report.diagnostics if d.severity == "error"]
    assert len(errors) == 1 and "manifest" not in errors[0].message.lower()


def test_clevers_demo_district_reads_whole() -> None:
    report = validate("clever-sandbox")
    assert report.kind == "clever-csv" and report.ok, [str(d) for d in report.diagnostics][:10]
    counts = report.counts
    assert counts["student"] == 1_004
    assert counts["staff"] == 89
    assert counts["classroom"] == 379
    # 8,971 students in sections, and 460 distinct teacher-section pairs of sections.csv
    assert counts["enrollment"] == 8_971 + 460
    assert counts["school"] == 3
    # one contact per student row, no Contact_sis_id: siblings' shared parents are one contact
    # (1,002 distinct by name and e-mail address), every student keeps the link to theirs
    assert (counts["contact"], counts["student_contact"]) == (1_002, 1_004)
    named = {d.file for d in report.diagnostics}
    assert not named & {"orgs.csv", "classes.csv", "users.csv", "manifest.csv"}
    # 02/29/2005 is not a date (students.csv row 525): said, and the student is kept
    assert at(report, "warning", "students.csv", row=525)


def test_the_rollover_preview_reads_what_validate_recognises() -> None:
    """`read_snapshot` (the preview's and the GUI's reader) follows the same recognition."""
    diags = Diagnostics()
    with read_snapshot(REALWORLD / "clever-sandbox", diags) as snap:
        assert diags.errors == 0 and snap.count("student") == 1_004
    diags = Diagnostics()
    with read_snapshot(REALWORLD / "sds-v2.1", diags) as snap:
        assert snap.count("student") == 0 and not snap.present
    [refusal] = [d for d in diags.items if d.severity == "error"]
    assert "School Data Sync" in refusal.message

"""Clever's CSV upload as real districts write it: Clever's demo district, and small files with its quirks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from connect_desktop.rostering.clever_api import iso_date
from connect_desktop.rostering.clever_csv import read_clever_csv
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.validate import validate_source
from tests.support.samples import REALWORLD

from .district import to_csv, write_folder, write_zip

SANDBOX = REALWORLD / "clever-sandbox"
ONEROSTER_WORDS = (
    "orgs.csv",
    "classes.csv",
    "users.csv",
    "academicSessions.csv",
    "courses.csv",
    "roles.csv",
    "demographics.csv",
    "manifest.csv",
    "sourcedId",
    "OneRoster",
)


def oneroster_named(diagnostics: list[Diagnostic]) -> list[str]:
    return [
        str(d)
        for d in diagnostics
        if any(w in f"{d.file} {d.column} {d.message} {d.hint} {d.group}" for w in ONEROSTER_WORDS)
    ]


def sandbox_rows(name: str) -> list[dict[str, str]]:
    with (SANDBOX / name).open(newline="") as f:  # csv reads bare-CR lines too
        return list(csv.DictReader(f))


# -- Clever's demo district, as it is ------------------------------------------------
def test_demo_district_figures() -> None:
    diags = Diagnostics()
    with read_clever_csv(SANDBOX, diags) as snap:
        counts = snap.counts()
        student_enrollments = sum(1 for r in snap.records("enrollment") if r.as_dict()["role"] == "student")
        diane = snap.get("student", "738733110").as_dict()  # type: ignore[union-attr]
        y1 = snap.get("term", "Y1").as_dict()  # type: ignore[union-attr]
        kindergarten = {r.as_dict()["grade"] for r in snap.records("student")}
    assert counts["student"] == 1004 == len(sandbox_rows("students.csv"))
    assert counts["staff"] == 89 == len(sandbox_rows("teachers.csv"))
    assert counts["classroom"] == 379 == len(sandbox_rows("sections.csv"))
    assert student_enrollments == 8971 == len(sandbox_rows("enrollments.csv"))
    assert counts["school"] == 3
    assert (y1["start_date"], y1["end_date"]) == ("2015-08-01", "2016-06-01")  # 8/1/15, 6/1/16
    assert diane["birth_date"] == "1998-11-01"  # 11/1/98
    assert "K" in kindergarten and "0" not in kindergarten  # grade 0 is kindergarten


def test_demo_district_names_only_its_real_defects() -> None:
    report = validate_source(SANDBOX)
    assert report.kind == "clever-csv" and report.version == "clever-csv"
    assert not oneroster_named(report.diagnostics), oneroster_named(report.diagnostics)
    assert report.ok and report.errors == 0
    # 2005 has no February 29: said, and the student is read without a birth date
    [dob] = [d for d in report.diagnostics if d.code == "bad_date"]
    assert (dob.severity, dob.file, dob.row, dob.column) == ("warning", "students.csv", 525, "Dob")
    assert sandbox_rows("students.csv")[525 - 2]["Dob"] == "02/29/2005"
    # sections naming one teacher in two of their Teacher columns, counted independently
    twice = {
        (row, c)
        for row, r in enumerate(sandbox_rows("sections.csv"), start=2)
        for i, c in enumerate(("Teacher_id", "Teacher_2_id", "Teacher_3_id", "Teacher_4_id"))
        if r[c] and r[c] in [r[p] for p in ("Teacher_id", "Teacher_2_id", "Teacher_3_id")[:i]]
    }
    assert {(d.row, d.column) for d in report.diagnostics if d.code == "duplicate_teacher"} == twice
    # contacts without Contact_sis_id: one warning for all of them, not one per row
    [contacts] = [d for d in report.diagnostics if d.code == "contact_without_id"]
    assert "1,004 rows" in contacts.message
    assert {d.code for d in report.diagnostics} == {"bad_date", "duplicate_teacher", "contact_without_id"}


# -- small files with Clever's quirks -----------------------------------------------
def upload(**changes: str) -> dict[str, str]:
    files = {
        "schools.csv": to_csv(
            ["School_id", "School_name", "Nces_id"], [["s1", "Lincoln Elementary", "36000"]]
        ),
        "teachers.csv": to_csv(
            ["School_id", "Teacher_id", "Last_name", "First_name", "Teacher_email"],
            [["s1", "t1", "Ng", "Ann", "ann@example.org"]],
        ),
        "students.csv": to_csv(
            ["School_id", "Student_id", "Student_number", "Last_name", "First_name", "Grade", "Dob"],
            [
                ["s1", "p1", "1001", "Cruz", "Bea", "0", "3/4/19"],
                ["s1", "p2", "1002", "Diaz", "Cal", "1", "12/31/70"],
            ],
        ),
        "sections.csv": to_csv(
            ["School_id", "Section_id", "Teacher_id", "Name", "Term_name", "Term_start", "Term_end"],
            [["s1", "c1", "t1", "Reading", "2024-25", "8/26/24", "6/13/2025"]],
        ),
        "enrollments.csv": to_csv(
            ["School_id", "Section_id", "Student_id"], [["s1", "c1", "p1"], ["s1", "c1", "p2"]]
        ),
    }
    files.update({name.replace("__", "."): text for name, text in changes.items()})
    return files


def read(
    tmp_path: Path, files: dict[str, str]
) -> tuple[dict[str, dict[str, dict[str, object]]], list[Diagnostic]]:
    diags = Diagnostics()
    with read_clever_csv(write_folder(tmp_path / "clever", files), diags) as snap:  # type: ignore[arg-type]
        return snap.as_dicts(), diags.items


def test_missing_optional_columns_and_dob_alias_are_clean(tmp_path: Path) -> None:
    """No School_number, an Nces_id, `Dob` for DOB, two-digit years: nothing to report."""
    data, found = read(tmp_path, upload())
    assert found == []
    assert data["term"]["2024-25"]["start_date"] == "2024-08-26"
    assert data["term"]["2024-25"]["end_date"] == "2025-06-13"
    assert data["student"]["p1"]["birth_date"] == "2019-03-04"  # 19 -> 2019
    assert data["student"]["p2"]["birth_date"] == "1970-12-31"  # 70 -> 1970
    assert data["student"]["p1"]["grade"] == "K"
    assert len(data["enrollment"]) == 3


def test_bare_cr_reads_like_crlf(tmp_path: Path) -> None:
    files = upload()
    old_mac = {name: text.replace("\r\n", "\r") for name, text in files.items()}
    assert read(tmp_path / "crlf", files) == read(tmp_path / "cr", old_mac)


def test_header_in_another_case_is_read_with_a_warning(tmp_path: Path) -> None:
    files = upload()
    files["students.csv"] = files["students.csv"].replace("First_name", "first_name").replace("Dob", "dob")
    data, found = read(tmp_path, files)
    assert data["student"]["p1"]["first_name"] == "Bea" and data["student"]["p1"]["birth_date"]
    assert {(d.severity, d.code, d.column) for d in found} == {
        ("warning", "column_case", "first_name"),
        ("warning", "column_case", "dob"),
    }


def test_unknown_and_extension_columns(tmp_path: Path) -> None:
    files = upload()
    files["teachers.csv"] = to_csv(
        ["School_id", "Teacher_id", "Last_name", "First_name", "Teacher_emial", "ext.badge"],
        [["s1", "t1", "Ng", "Ann", "ann@example.org", "7"]],
    )
    _data, found = read(tmp_path, files)
    [unknown] = found
    assert (unknown.severity, unknown.code, unknown.column) == ("warning", "unknown_column", "Teacher_emial")
    assert "Teacher_email" in unknown.hint


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("8/1/15", "2015-08-01"),
        ("08/01/2015", "2015-08-01"),
        ("1/1/69", "2069-01-01"),
        ("1/1/70", "1970-01-01"),
        ("2/29/2024", "2024-02-29"),
        ("2/29/2023", ""),
        ("2024-08-26", "2024-08-26"),
        ("2024-08-26T00:00:00.000Z", "2024-08-26"),
        ("8/26/2024 0:00", "2024-08-26"),
        ("13/1/2024", ""),
        ("2024-13-01", ""),
        ("1/1/123", ""),
        ("August 26", ""),
    ],
)
def test_clever_dates(raw: str, iso: str) -> None:
    assert iso_date(raw) == iso


def test_bad_and_future_dates_name_the_clever_column(tmp_path: Path) -> None:
    files = upload()
    files["students.csv"] = files["students.csv"].replace("3/4/19", "3/4/50")  # 2050: in the future
    files["sections.csv"] = files["sections.csv"].replace("8/26/24", "26/8/24")  # day first
    data, found = read(tmp_path, files)
    assert data["student"]["p1"]["birth_date"] is None and "2024-25" not in data["term"]
    where = {(d.severity, d.code, d.file, d.row, d.column) for d in found}
    assert ("warning", "bad_date", "students.csv", 2, "Dob") in where  # the student is still read
    assert ("error", "bad_date", "sections.csv", 2, "Term_start") in where  # no term without it
    assert any("four digits" in d.hint for d in found)


def test_messages_name_clevers_files_and_columns(tmp_path: Path) -> None:
    files = upload(
        enrollments__csv=to_csv(
            ["School_id", "Section_id", "Student_id"], [["s1", "c9", "p1"], ["s1", "c1", "p9"]]
        ),
        sections__csv=to_csv(
            ["School_id", "Section_id", "Teacher_id"],
            [["s1", "c1", "t9"], ["s1", "c1", "t1"], ["s2", "c2", "t1"]],
        ),
    )
    _data, found = read(tmp_path, files)
    assert not oneroster_named(found), oneroster_named(found)
    by_where = {(d.code, d.file, d.row, d.column): d for d in found}
    assert "sections.csv" in by_where["broken_reference", "enrollments.csv", 2, "Section_id"].message
    assert "students.csv" in by_where["broken_reference", "enrollments.csv", 3, "Student_id"].message
    assert "teachers.csv" in by_where["broken_reference", "sections.csv", 2, "Teacher_id"].message
    assert "schools.csv" in by_where["broken_reference", "sections.csv", 4, "School_id"].message
    duplicate = by_where["duplicate_id", "sections.csv", 3, "Section_id"]
    assert duplicate.message.startswith("The Section_id 'c1'")


def test_contacts_without_a_sis_id_are_kept_by_name_and_email(tmp_path: Path) -> None:
    header = [
        "School_id",
        "Student_id",
        "Student_number",
        "Last_name",
        "First_name",
        "Contact_name",
        "Contact_email",
        "Contact_sis_id",
        "Contact_type",
    ]
    rows = [
        ["s1", "p1", "1001", "Cruz", "Bea", "Rosa Cruz", "rosa@example.org", "g1", "Mother"],
        ["s1", "p2", "1002", "Diaz", "Cal", "Luis Diaz", "luis@example.org", "", "Father"],
        ["s1", "p3", "1003", "Diaz", "Ana", "Luis  diaz", "LUIS@example.org", "", "Father"],  # sibling
        ["s1", "p4", "1004", "Diaz", "Eva", "Luis Diaz", "other@example.org", "", "Father"],
    ]
    data, found = read(tmp_path, upload(students__csv=to_csv(header, rows)))
    assert data["contact"]["g1"]["last_name"] == "Cruz"
    assert data["student_contact"]["p1:g1"]["relationship"] == "parent"  # from Contact_type
    keyed = {link.split(":")[1] for link in data["student_contact"] if not link.endswith(":g1")}
    # the siblings' father is one contact (case and spacing ignored); another e-mail, another person
    assert len(keyed) == 2 and len(data["contact"]) == 3
    p2 = next(link for link in data["student_contact"] if link.startswith("p2:")).split(":")[1]
    assert f"p3:{p2}" in data["student_contact"] and f"p4:{p2}" not in data["student_contact"]
    # the same contact gets the same id in the next sync's read
    again, _ = read(tmp_path / "again", upload(students__csv=to_csv(header, rows)))
    assert set(again["contact"]) == set(data["contact"])
    [warning] = found
    assert (warning.code, warning.row, warning.column) == ("contact_without_id", 3, "Contact_sis_id")


def test_a_zip_upload_with_capitalised_names(tmp_path: Path) -> None:
    files = {name.capitalize(): text for name, text in upload().items()}
    report = validate_source(write_zip(tmp_path / "clever.zip", files))  # type: ignore[arg-type]
    assert report.kind == "clever-csv" and report.ok
    assert report.counts["student"] == 2
    cases = [d for d in report.diagnostics if d.code == "file_name_case"]
    assert len(cases) == 5 and all("Clever names it" in d.message for d in cases)

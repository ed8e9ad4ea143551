"""Every report, read back and compared with the cache computed independently."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connect_desktop.reports import REPORTS, export_report
from connect_desktop.store import models as m
from tests.reports.conftest import INJECTION, TODAY
from tests.reports.helpers import load, read_sheet, records, sheet_names, sheet_xml


def full_name(p: Any) -> str:
    return f"{p.first_name} {p.last_name}"


def test_students_report_matches_cache(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "students", out_dir, today=TODAY, account_name="Demo District")
    assert path.name == "Students - Demo District - 2026-06-12.xlsx"
    got = {r["Connect ID"]: r for r in records(path, "Students")}
    with Session(engine) as s:
        students = s.scalars(select(m.Student)).all()
        schools = {x.id: x.name for x in s.scalars(select(m.School))}
        contacts = {x.id: x for x in s.scalars(select(m.Contact))}
        links = s.scalars(select(m.StudentContact)).all()
    assert len(got) == len(students)
    for st in students:
        row = got[st.id]
        assert row["Student number"] == st.student_number
        assert (row["Last name"], row["First name"], row["Grade"]) == (st.last_name, st.first_name, st.grade)
        assert row["School"] == schools[st.school_id]
        assert row["Status"] == st.status.capitalize()
        assert row["Birth date"] == (dt.datetime.combine(st.birth_date, dt.time()) if st.birth_date else None)
        assert row["Withdrawn on"] == (
            dt.datetime.combine(st.withdrawn_on, dt.time()) if st.withdrawn_on else None
        )
        mine = sorted(
            (contacts[x.contact_id] for x in links if x.student_id == st.id),
            key=lambda c: (c.last_name, c.first_name, c.id),
        )
        assert (row["Family contacts"] or "").count("; ") == max(len(mine) - 1, 0)
        for c in mine:
            assert full_name(c) in row["Family contacts"]
            for reach in (c.phone, c.email):
                if reach and reach.strip():
                    assert reach in row["Family contacts"]


def test_student_numbers_stay_text_and_dates_are_dates(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "students", out_dir, today=TODAY)
    wb = load(path)
    try:
        ws = wb["Students"]
        first = ws.cell(row=6, column=1)
        assert first.data_type == "s" and isinstance(first.value, str) and first.value.startswith("000")
        birth = next(c for c in ws["D"][5:] if c.value is not None)
        assert birth.is_date and birth.number_format == "yyyy-mm-dd"
    finally:
        wb.close()


def test_formula_like_names_are_text(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "students", out_dir, today=TODAY)
    _, rows = read_sheet(path, "Students")
    assert any(row[2] == INJECTION for row in rows)
    xml = sheet_xml(path, "Students")
    assert "<f>" not in xml and "HYPERLINK" in xml
    assert 'quotePrefix="1"' in _styles(path)


def _styles(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/styles.xml").decode()


def test_families_flag_contacts_that_cannot_be_reached(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "families", out_dir, today=TODAY)
    got = {r["Connect ID"]: r for r in records(path, "Families")}
    with Session(engine) as s:
        contacts = s.scalars(select(m.Contact)).all()
        links = s.scalars(select(m.StudentContact)).all()
        students = {x.id: x for x in s.scalars(select(m.Student))}
    assert len(got) == len(contacts)
    unreachable = 0
    for c in contacts:
        row = got[c.id]
        cannot = not (c.phone or "").strip() and not (c.email or "").strip()
        unreachable += cannot
        assert row["Cannot be reached"] == ("Yes" if cannot else None)
        assert row["Phone"] == ((c.phone or "").strip() or None)
        assert row["E-mail"] == ((c.email or "").strip() or None)
        linked = [students[x.student_id] for x in links if x.contact_id == c.id]
        assert row["Students linked"] == len(linked)
        for st in linked:
            assert f"{full_name(st)} ({st.student_number}" in row["Linked students"]
    assert unreachable >= 3  # the fixture has contacts with neither, including blank strings


def test_staff_report_counts_classrooms_of_current_year(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "staff", out_dir, today=TODAY)
    header, _ = read_sheet(path, "Staff")
    assert "Classrooms taught (2025–26)" in header
    got = {r["Connect ID"]: r for r in records(path, "Staff")}
    with Session(engine) as s:
        staff = s.scalars(select(m.Staff)).all()
        rooms = {c.id: c for c in s.scalars(select(m.Classroom))}
        terms = {t.id: t for t in s.scalars(select(m.Term))}
        teaching = s.scalars(select(m.Enrollment).where(m.Enrollment.role == "teacher")).all()
    assert len(got) == len(staff)
    for person in staff:
        row = got[person.id]
        assert row["E-mail"] == person.email
        assert row["Access"] == person.access.capitalize()
        assert row["Last sign-in"] == person.last_sign_in_at
        current = sorted(
            rooms[e.classroom_id].name
            for e in teaching
            if e.person_id == person.id and terms[rooms[e.classroom_id].term_id].school_year == 2026
        )
        assert row["Classrooms taught (2025–26)"] == len(current)
        assert row["Classroom names (2025–26)"] == ("; ".join(current) or None)
        if person.role == "district_admin":
            assert row["School(s)"] == "All schools"


def test_classrooms_and_rosters(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "classrooms", out_dir, today=TODAY)
    assert sheet_names(path) == ["Classrooms", "Rosters"]
    with Session(engine) as s:
        rooms = s.scalars(select(m.Classroom)).all()
        enrollments = s.scalars(select(m.Enrollment)).all()
        students = {x.id: x for x in s.scalars(select(m.Student))}
        staff = {x.id: x for x in s.scalars(select(m.Staff))}
    got = {r["Connect ID"]: r for r in records(path, "Classrooms")}
    assert set(got) == {c.id for c in rooms}
    for c in rooms:
        mine = [e for e in enrollments if e.classroom_id == c.id]
        assert got[c.id]["Students"] == sum(e.role == "student" for e in mine)
        for e in mine:
            if e.role == "teacher":
                assert full_name(staff[e.person_id]) in got[c.id]["Teachers"]
        assert got[c.id]["Status"] == c.status.capitalize()
    roster = Counter((r["Classroom ID"], r["Student ID"]) for r in records(path, "Rosters"))
    expected = Counter((e.classroom_id, e.person_id) for e in enrollments if e.role == "student")
    assert roster == expected
    numbers = {r["Student ID"]: r["Student number"] for r in records(path, "Rosters")}
    assert all(numbers[sid] == students[sid].student_number for sid in numbers)


def test_message_activity_two_sheets(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "messages", out_dir, today=TODAY)
    with Session(engine) as s:
        stats = s.scalars(select(m.MessageStat)).all()
    by_staff: Counter[tuple[str, dt.date]] = Counter()
    by_room: Counter[tuple[str, dt.date]] = Counter()
    for x in stats:
        by_staff[(x.staff_id, x.month)] += x.messages_sent
        if x.classroom_id:
            by_room[(x.classroom_id, x.month)] += x.messages_sent
    got_staff = {
        (r["Staff ID"], r["Month"].date()): r["Messages sent"] for r in records(path, "Messages by staff")
    }
    got_room = {
        (r["Classroom ID"], r["Month"].date()): r["Messages sent"]
        for r in records(path, "Messages by classroom")
    }
    assert got_staff == dict(by_staff)
    assert got_room == dict(by_room)
    wb = load(path)
    try:
        month = wb["Messages by staff"]["D6"]
        assert month.is_date and month.number_format == "mmm yyyy"
    finally:
        wb.close()


def test_sync_history_counts_per_type(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "sync-history", out_dir, today=TODAY)
    rows = records(path, "Sync runs")
    with Session(engine) as s:
        runs = s.scalars(select(m.SyncRun).order_by(m.SyncRun.started_at.desc())).all()
    assert [r["Run ID"] for r in rows] == [r.id for r in runs]
    for row, run in zip(rows, runs, strict=True):
        assert row["Started"] == run.started_at and row["Finished"] == run.finished_at
        for kind, measures in run.counts.items():
            for measure, value in measures.items():
                label = f"{kind.capitalize()} {measure.replace('_', ' ')}"
                assert row[label] == value
    assert rows[0]["Students tried to archive"] == 40
    assert rows[0]["Status"] == "Held at the deletion threshold, nothing archived"


def test_changes_lists_every_operation_with_a_label(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "changes", out_dir, today=TODAY)
    rows = records(path, "Year-end changes")
    with Session(engine) as s:
        ops = s.scalars(select(m.PendingOperation).order_by(m.PendingOperation.created_at)).all()
        students = {x.id: x for x in s.scalars(select(m.Student))}
        staff = {x.id: x for x in s.scalars(select(m.Staff))}
        rooms = {x.id: x for x in s.scalars(select(m.Classroom))}
    assert [r["Operation ID"] for r in rows] == [op.op_id for op in ops]
    for row, op in zip(rows, ops, strict=True):
        assert row["Created"] == op.created_at and row["Sent"] == op.sent_at
        assert row["Result message"] == op.result_message
        assert row["Target ID"] == op.target_id
        if op.target_type == "student" and op.target_id in students:
            st = students[op.target_id]
            assert row["Target"] == f"{st.last_name}, {st.first_name} ({st.student_number})"
        elif op.target_type == "student":
            assert row["Target"] == "(no longer in the cache)"
        elif op.target_type == "staff":
            assert row["Target"] == f"{staff[op.target_id].last_name}, {staff[op.target_id].first_name}"
        elif op.target_type == "classroom":
            assert row["Target"].startswith(rooms[op.target_id].name)
        if op.params:
            assert json.loads(row["Details"]) == op.params
    assert {r["State"] for r in rows} >= {"Not yet sent", "Applied", "Conflict: changed on the server"}


def test_title_rows_say_which_state_is_shown(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "students", out_dir, today=TODAY, account_name="Demo District")
    wb = load(path)
    try:
        ws = wb["Students"]
        assert ws["A1"].value == "Students" and ws["A1"].font.b
        assert ws["A2"].value.startswith("Demo District · generated ")
        note = ws["A3"].value
        assert "as last downloaded" in note and "2026-06-11 16:30" in note
        assert "3 changes staged on this computer but not yet sent are NOT included" in note
        assert ws.freeze_panes == "A6"
        assert ws.auto_filter.ref == f"A5:L{ws.max_row}"
        assert all(c.font.b for c in ws[5])
        assert 8 < ws.column_dimensions["B"].width <= 60
        assert "lead.person" not in "".join(str(ws.cell(r, 1).value) for r in (1, 2, 3))
    finally:
        wb.close()


def test_account_name_comes_from_schools_not_the_person(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "staff", out_dir, today=TODAY)
    assert path.name == "Staff and access - All schools - 2026-06-12.xlsx"
    with Session(engine) as s:
        account = s.get(m.Account, 1)
        assert account is not None
        school = s.scalars(select(m.School).order_by(m.School.name)).first()
        assert school is not None
        account.school_ids = [school.id]
        s.commit()
        name = school.name
    path = export_report(engine, "staff", out_dir, today=TODAY)
    assert path.name == f"Staff and access - {name} - 2026-06-12.xlsx"


def test_archive_has_summary_with_chart_then_every_sheet(engine: Engine, out_dir: Path) -> None:
    path = export_report(engine, "archive", out_dir, today=TODAY)
    names = sheet_names(path)
    expected = [s.name for spec in REPORTS.values() if spec.name != "archive" for s in spec.sheets]
    assert names == ["Summary", *expected]
    with zipfile.ZipFile(path) as z:
        assert "xl/charts/chart1.xml" in z.namelist()
        assert "barChart" in z.read("xl/charts/chart1.xml").decode()
    wb = load(path)
    try:
        summary: dict[str, tuple[Any, ...]] = {}
        contents: dict[str, int] = {}
        section = ""
        for row in wb["Summary"].iter_rows(min_row=5, values_only=True):
            if row[0] in ("Records", "Students per grade", "Sheets in this workbook"):
                section = row[0]
            elif row[0] and section == "Records":
                summary[row[0]] = row
            elif row[0] and section == "Sheets in this workbook":
                contents[row[0]] = row[1]
    finally:
        wb.close()
    with Session(engine) as s:
        students = s.scalars(select(m.Student)).all()
    assert summary["Students"][1:4] == (
        len(students),
        sum(x.status == "active" for x in students),
        sum(x.status == "archived" for x in students),
    )
    assert list(contents) == expected
    assert contents["Students"] == len(read_sheet(path, "Students")[1])
    assert contents["Rosters"] == len(read_sheet(path, "Rosters")[1])


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_opens_with_header_filter_and_freeze(engine: Engine, out_dir: Path, name: str) -> None:
    path = export_report(engine, name, out_dir, today=TODAY)
    wb = load(path)
    try:
        for ws in wb.worksheets:
            if ws.title == "Summary":
                continue
            assert ws.freeze_panes == "A6", ws.title
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A5:"), ws.title
    finally:
        wb.close()

"""Steps 3–5 and restoring, driven through the real app against the live server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from connect_desktop.rollover import StudentRule
from connect_server.models import Classroom, Staff, Student
from tests.ui.conftest import District, OpenedApp, RecordingReporter, open_app
from tests.ui.test_year_end_flow import checklist_row, confirm_send, loaded, open_review
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner
from ui.wizard.classrooms import ArchiveClassroomsPage
from ui.wizard.done import DonePage
from ui.wizard.plan_page import PlanPage
from ui.wizard.staff import InactiveStaffPage
from ui.wizard.students import NonReturningStudentsPage

WAIT = 15_000


@pytest.fixture
def people(district: District) -> dict[str, Any]:
    """Manual staff (one left, two not signed in this year, one active) and students to clean up."""
    build = district.build
    school_id = district.students[0]["school_id"]
    class0, class1 = district.current_classrooms
    staff = {
        "gone": build.staff(
            first_name="Gail",
            last_name="Gone",
            school_id=school_id,
            left_on=dt.date(2026, 5, 1),
            last_sign_in_at=dt.datetime(2026, 4, 30, 9),
        ),
        "stale": build.staff(
            first_name="Sam",
            last_name="Stale",
            school_id=school_id,
            last_sign_in_at=dt.datetime(2025, 3, 1, 9),
        ),
        "keeper": build.staff(
            first_name="Kim",
            last_name="Keeper",
            school_id=school_id,
            last_sign_in_at=dt.datetime(2025, 4, 1, 9),
        ),
        "active": build.staff(
            first_name="Ana",
            last_name="Active",
            school_id=school_id,
            last_sign_in_at=dt.datetime(2026, 6, 1, 9),
        ),
    }
    build.enroll(class0, staff["stale"]["id"], role="teacher")
    build.enroll(class1, staff["keeper"]["id"], role="teacher")
    build.enroll(class1, staff["active"]["id"], role="teacher")
    fifth = [build.student(school_id, grade="5", last_name=f"Fifth{n}") for n in range(2)]
    withdrawn = build.student(school_id, grade="3", last_name="Leaver", withdrawn_on=dt.date(2026, 3, 2))
    return {"staff": staff, "fifth": fifth, "withdrawn": withdrawn}


def server_values(district: District, model: Any, column: Any, ids: list[str]) -> dict[str, str]:
    with district.server.sessions() as session:
        rows = session.execute(select(model.id, column).where(model.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}


def wait_plan(qtbot: QtBot, page: PlanPage, total: int | None = None) -> None:
    def ready() -> bool:
        return page.plan is not None and loaded(page.model) and (total is None or page.model.total == total)

    qtbot.waitUntil(ready, timeout=WAIT)


def row_of(page: PlanPage, matches: Callable[[tuple[Any, ...]], bool]) -> int:
    return next(r for r in range(page.model.loaded) if matches(page.model.row(r)))


def stage(qtbot: QtBot, window: MainWindow, page: PlanPage, expected: int) -> None:
    assert page.add.isEnabled()
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        page.add.click()
    assert f"{expected} change" in page.feedback.text()


def send_all(qtbot: QtBot, window: MainWindow, expected: int) -> None:
    review = open_review(qtbot, window)
    qtbot.waitUntil(lambda: not review.showing_results and review.model.total == expected, timeout=WAIT)
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        confirm_send(qtbot, review)
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=WAIT)
    assert {review.model.row(r)[3] for r in range(review.model.loaded)} == {"applied"}
    assert review.model.total == expected


def test_clean_up_send_then_restore_the_batch(
    qtbot: QtBot,
    district: District,
    people: dict[str, Any],
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    staff_ids = [s["id"] for s in people["staff"].values()]
    student_ids = [s["id"] for s in district.students + people["fifth"] + [people["withdrawn"]]]
    classroom_ids = [c["id"] for c in district.old_classrooms + district.current_classrooms]
    before = (
        server_values(district, Staff, Staff.access, staff_ids),
        server_values(district, Student, Student.status, student_ids),
        server_values(district, Classroom, Classroom.status, classroom_ids),
    )

    # Step 3: filter, unselect the keeper, see the consequence and details, stage.
    window.show_wizard("inactive_staff")
    staff_page = window.wizard.page("inactive_staff")
    assert isinstance(staff_page, InactiveStaffPage)
    qtbot.waitUntil(lambda: staff_page.since.day() == dt.date(2025, 8, 20), timeout=WAIT)
    wait_plan(qtbot, staff_page, 3)  # the default date is the start of the school year
    assert staff_page.search is not None
    staff_page.search.setText("Keeper")
    wait_plan(qtbot, staff_page, 1)
    staff_page.search.clear()
    wait_plan(qtbot, staff_page, 3)
    staff_page.select_all.click()
    keeper = row_of(staff_page, lambda row: row[1] == "Kim Keeper")
    staff_page.model.set_selected(keeper, False)
    qtbot.waitUntil(
        lambda: staff_page.consequence.text() == "1 classroom taught by these staff will have no teacher",
        timeout=WAIT,
    )
    stale = row_of(staff_page, lambda row: row[1] == "Sam Stale")
    assert "Not signed in since 2025-08-20" in staff_page.model.row(stale)[5]
    staff_page.table.selectRow(stale)
    qtbot.waitUntil(lambda: "Class 0" in staff_page.details.text(), timeout=WAIT)
    stage(qtbot, window, staff_page, 2)

    # Step 4: filter by school year, unselect one, stage.
    window.show_wizard("archive_classrooms")
    classrooms = window.wizard.page("archive_classrooms")
    assert isinstance(classrooms, ArchiveClassroomsPage)
    wait_plan(qtbot, classrooms, 5)
    qtbot.waitUntil(lambda: classrooms.school_year.count() == 2, timeout=WAIT)  # "all" + 2024–25
    classrooms.school_year.setCurrentIndex(classrooms.school_year.findData(2025))
    wait_plan(qtbot, classrooms, 5)
    classrooms.select_all.click()
    kept_classroom = classrooms.model.key(0)
    classrooms.model.set_selected(0, False)
    stage(qtbot, window, classrooms, 4)

    # Step 5: top grade, unselect one, archive.
    window.show_wizard("non_returning_students")
    students = window.wizard.page("non_returning_students")
    assert isinstance(students, NonReturningStudentsPage)
    students.rule_buttons[StudentRule.TOP_GRADE].click()  # this school's fifth graders leave Connect
    wait_plan(qtbot, students, 2)
    assert all("top grade" in students.model.row(r)[6] for r in range(2))
    students.select_all.click()
    kept_student = students.model.key(1)
    students.model.set_selected(1, False)
    stage(qtbot, window, students, 1)

    send_all(qtbot, window, 7)
    staff_after = server_values(district, Staff, Staff.access, staff_ids)
    assert [name for name, s in people["staff"].items() if staff_after[s["id"]] == "revoked"] == [
        "gone",
        "stale",
    ]
    classrooms_after = server_values(district, Classroom, Classroom.status, classroom_ids)
    archived = {i for i, status in classrooms_after.items() if status == "archived"}
    assert archived == {c["id"] for c in district.old_classrooms} - {kept_classroom}
    students_after = server_values(district, Student, Student.status, student_ids)
    changed = {i for i in student_ids if students_after[i] != before[1][i]}
    assert changed == {s["id"] for s in people["fifth"]} - {kept_student}

    # Restore the whole batch from the Done page, send, and the server is as before.
    window.show_wizard("done")
    done = window.wizard.page("done")
    assert isinstance(done, DonePage)
    qtbot.waitUntil(lambda: loaded(done.model) and done.model.total == 7, timeout=WAIT)
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        done.restore_batch.click()
    assert "7 restores added" in done.feedback.text()
    qtbot.waitUntil(lambda: loaded(done.model) and done.model.total == 0, timeout=WAIT)
    send_all(qtbot, window, 7)
    after = (
        server_values(district, Staff, Staff.access, staff_ids),
        server_values(district, Student, Student.status, student_ids),
        server_values(district, Classroom, Classroom.status, classroom_ids),
    )
    assert after == before
    # the checklist says what was done and undone, not one count of both
    review_row = checklist_row(window, "Review and send").text(2)
    assert "1 student archived" in review_row and "1 student restored" in review_row
    assert reporter.reported == []


def test_the_default_proposes_only_students_leaving_the_district_and_says_why(
    qtbot: QtBot,
    district: District,
    people: dict[str, Any],
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    high = district.build.school(name="Lincoln High", level="high", grade_low="9", grade_high="12")
    senior = district.build.student(high["id"], grade="12", last_name="Senior")
    district.build.student(high["id"], grade="11", last_name="Junior")
    controller, window = open_app(qtbot, district, runner, reporter, ui_settings, bridge)
    window.show_wizard("non_returning_students")
    page = window.wizard.page("non_returning_students")
    assert isinstance(page, NonReturningStudentsPage)
    assert page.rule() is StudentRule.LEAVING_DISTRICT
    wait_plan(qtbot, page, 2)  # the senior and the withdrawn third grader, not the fifth graders
    rows = {page.model.row(r)[1]: page.model.row(r)[6] for r in range(page.model.loaded)}
    assert rows == {
        f"{senior['first_name']} Senior": "Graduating: grade 12 is the last grade your district offers",
        f"{people['withdrawn']['first_name']} Leaver": "Withdrawn on 2026-03-02",
    }
    # the chosen rule says in plain words, on the page, whom it proposes
    assert page.rule_hint.isVisible()
    assert "moving up to another of your schools keep receiving messages" in page.rule_hint.text()
    page.rule_buttons[StudentRule.TOP_GRADE].click()  # the fifth graders come in only when asked
    assert "stops their families' messages" in page.rule_hint.text()
    wait_plan(qtbot, page, 3)
    assert reporter.reported == []
    controller.shutdown()


def test_delete_needs_the_typed_phrase_and_files_are_checked(
    qtbot: QtBot,
    district: District,
    people: dict[str, Any],
    reporter: RecordingReporter,
    tmp_path: Path,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    window.show_wizard("non_returning_students")
    page = window.wizard.page("non_returning_students")
    assert isinstance(page, NonReturningStudentsPage)
    page.rule_buttons[StudentRule.TOP_GRADE].click()
    wait_plan(qtbot, page, 2)

    # A file that is not a student file: its plain message is shown on the page.
    bad = tmp_path / "students.pdf"
    bad.write_text("nope")
    page.load_file(bad)
    qtbot.waitUntil(page.file_error.isVisible, timeout=WAIT)
    assert "is not a CSV or Excel (.xlsx) file" in page.file_error.text()
    # The new year's file lists every active student but the withdrawn one.
    good = tmp_path / "next-year.csv"
    numbers = [s["student_number"] for s in district.students[:5] + people["fifth"]]
    good.write_text("Student Number,Last name\n" + "".join(f"{n},x\n" for n in numbers))
    page.load_file(good)
    qtbot.waitUntil(lambda: page.rule() is StudentRule.NOT_IN_FILE, timeout=WAIT)
    wait_plan(qtbot, page, 1)
    assert page.model.row(0)[6] == "Not in the new year's file"

    page.delete.setChecked(True)
    wait_plan(qtbot, page, 2)  # deleting also looks at archived students
    page.select_all.click()
    page.model.set_selected(row_of(page, lambda row: row[5] == "archived"), False)

    # Without the phrase the core refuses; nothing is staged.
    page.stage_with(None)
    qtbot.waitUntil(lambda: "type exactly" in page.feedback.text(), timeout=WAIT)
    page.stage_with("DELETE 2 STUDENTS")
    qtbot.waitUntil(lambda: '"DELETE 1 STUDENT"' in page.feedback.text(), timeout=WAIT)

    # The dialog: OK disabled until the exact phrase; it offers the reports first.
    page.add.click()
    qtbot.waitUntil(lambda: page.confirm_dialog is not None and page.confirm_dialog.isVisible(), timeout=WAIT)
    dialog = page.confirm_dialog
    assert dialog is not None and dialog.phrase == "DELETE 1 STUDENT"
    assert not dialog.ok.isEnabled()
    dialog.typed.setText("delete 1 students")
    assert not dialog.ok.isEnabled()
    dialog.ok.click()
    assert dialog.isVisible()
    dialog.typed.setFocus()
    qtbot.keyClick(dialog.typed, Qt.Key.Key_Return)  # Enter says what is missing, never closes silently
    assert dialog.isVisible() and "Type DELETE 1 STUDENT exactly" in dialog.typed_problem.text()
    dialog.reports.click()
    assert not dialog.isVisible()
    assert window.wizard.current_step == "reports"
    window.wizard.go_to("non_returning_students")
    wait_plan(qtbot, page, 2)
    assert page.delete.isChecked()
    review = open_review(qtbot, window)
    assert review.model.total == 0  # nothing was staged so far

    window.show_wizard("non_returning_students")
    wait_plan(qtbot, page, 2)
    page.model.set_selected(row_of(page, lambda row: row[5] == "active"), True)
    page.add.click()
    qtbot.waitUntil(
        lambda: page.confirm_dialog is not dialog and page.confirm_dialog is not None, timeout=WAIT
    )
    dialog = page.confirm_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    dialog.typed.setText("DELETE 1 STUDENT")
    assert dialog.ok.isEnabled() and dialog.typed_problem.text() == ""
    dialog.typed.setFocus()
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        qtbot.keyClick(dialog.typed, Qt.Key.Key_Enter)  # Enter, once the phrase is typed, deletes
    # the send names the deletion and waits for a deliberate tick, not a reflex
    review = open_review(qtbot, window)
    qtbot.waitUntil(lambda: not review.showing_results and review.model.total == 1, timeout=WAIT)
    review.send.click()
    qtbot.waitUntil(lambda: review.confirm_box is not None and review.confirm_box.isVisible(), timeout=WAIT)
    box = review.confirm_box
    assert box is not None
    assert "1 student will be deleted for good; this cannot be undone." in box.text()
    assert "can be restored later" not in box.informativeText()
    go = next(b for b in box.buttons() if b.text().startswith("&Send"))
    understood = box.checkBox()
    assert understood is not None and not understood.isChecked() and not go.isEnabled()
    assert box.defaultButton() is not go
    go.click()  # disabled: nothing happens
    assert box.isVisible() and review.model.total == 1
    understood.click()
    assert go.isEnabled()
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        go.click()
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=WAIT)
    assert {review.model.row(r)[3] for r in range(review.model.loaded)} == {"applied"}
    withdrawn = people["withdrawn"]
    # the result names the student as before, though the record has left the local copy
    assert [review.model.row(0)[2]] == [
        f"{withdrawn['last_name']}, {withdrawn['first_name']} ({withdrawn['student_number']})"
    ]
    with district.server.sessions() as session:
        assert session.get(Student, withdrawn["id"]) is None
    assert reporter.reported == []


def test_a_table_fits_its_columns_again_when_the_window_grows(
    qtbot: QtBot,
    people: dict[str, Any],  # the staff, there before the app signs in
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    window.showNormal()
    window.resize(900, 700)
    window.show_wizard("inactive_staff")
    page = window.wizard.page("inactive_staff")
    assert isinstance(page, InactiveStaffPage)
    wait_plan(qtbot, page)
    header = page.table.horizontalHeader()
    why = next(i for i, column in enumerate(page.columns) if column.title == "Why")
    narrow = header.sectionSize(why)  # the reasons, squeezed to fit 900 px
    window.resize(1800, 1000)  # maximised on a large screen: the reasons get room, not only the names
    qtbot.waitUntil(lambda: header.sectionSize(why) > narrow, timeout=WAIT)
    assert reporter.reported == []

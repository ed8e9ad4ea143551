"""Step 6, Merge duplicate students, in the real app against the live server: find, compare,
choose, stage, send, undo; dismissing, filtering and a pair the server would refuse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from connect_desktop.rollover.duplicates import Band
from connect_server.models import Enrollment, Student, StudentContact
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user
from tests.ui.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AS_OF,
    OpenedApp,
    RecordingReporter,
    open_app,
)
from tests.ui.test_focus_order import spoken, walk
from tests.ui.test_year_end_flow import checklist_row, confirm_send, loaded, open_review
from ui.app import AppServices
from ui.controller import AppController
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner
from ui.wizard.done import DonePage
from ui.wizard.merge_duplicates import MergeDuplicatesPage

STUDENT_FIELDS = ("first_name", "last_name", "student_number", "grade", "birth_date", "status", "school_id")


@dataclass
class Duplicates:
    """A small district with planted duplicates (see `duplicates`)."""

    server: LiveServer
    kept: dict[str, Any]
    """John Smith, from the SIS: the record to keep."""
    typed: dict[str, Any]
    """Jon Smith, typed by hand last year and archived: the one merged into John."""
    sis_twins: tuple[dict[str, Any], dict[str, Any]]
    """Two records from the SIS: the server refuses to merge them."""
    namesakes: tuple[dict[str, Any], dict[str, Any]]
    """Liam Brown and Liam Browne: dismissed as two children."""
    oak: dict[str, Any]
    """The second school, with a pair of its own."""
    oak_pair: tuple[dict[str, Any], dict[str, Any]]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def duplicates(live_server: LiveServer) -> Duplicates:
    build = RecordBuilder(live_server.sessions)
    lincoln = build.school(name="Lincoln Elementary")
    oak = build.school(name="Oak Middle", level="middle", grade_low="6", grade_high="8")
    term = build.term(name="2025–26", school_year=2026, school_id=lincoln["id"])
    oak_term = build.term(name="2025–26", school_year=2026, school_id=oak["id"])
    teacher = build.staff(first_name="Rosa", last_name="Diaz", school_id=lincoln["id"])
    rooms = [build.classroom(lincoln["id"], term["id"], name=f"Room {n}") for n in "ABC"]
    for room in rooms:
        build.enroll(room, teacher["id"], role="teacher")

    kept = build.student(
        lincoln["id"], first_name="John", last_name="Smith", student_number="S100", grade="3",
        birth_date=dt.date(2016, 4, 3), origin="sync", source_id="sis-100",
    )  # fmt: skip
    typed = build.student(
        lincoln["id"], first_name="Jon", last_name="Smith", student_number="S200", grade="2",
        birth_date=dt.date(2016, 3, 4), status="archived",
    )  # fmt: skip
    mary = build.contact(first_name="Mary", last_name="Smith", phone="555-0100")
    tom = build.contact(first_name="Tom", last_name="Smith", phone="555-0101")
    build.link(kept, mary, relationship="mother")
    build.link(typed, mary, relationship="mother")  # shared: kept once
    build.link(typed, tom, relationship="father")
    build.enroll(rooms[0], kept["id"])
    build.enroll(rooms[1], kept["id"])
    build.enroll(rooms[1], typed["id"])  # shared: kept once
    build.enroll(rooms[2], typed["id"])

    sis_twins = tuple(
        build.student(
            lincoln["id"],
            first_name="Ava",
            last_name="Lee",
            student_number=f"S30{n}",
            grade="4",
            birth_date=dt.date(2015, 9, 10),
            origin="sync",
            source_id=f"sis-30{n}",
        )
        for n in range(2)
    )
    namesakes = tuple(
        build.student(
            lincoln["id"],
            first_name="Liam",
            last_name=last,
            student_number=f"S40{n}",
            grade="5",
            birth_date=dt.date(2014, 1, 1),
        )
        for n, last in enumerate(("Brown", "Browne"))
    )
    oak_pair = tuple(
        build.student(
            oak["id"],
            first_name="Noah",
            last_name="Garcia",
            student_number=f"S50{n}",
            grade="7",
            birth_date=dt.date(2012, 5, 5),
            status=status,
        )
        for n, status in enumerate(("active", "archived"))
    )
    # an uncertain pair (same name, other birth dates): "check these"
    for n, born in enumerate((dt.date(2013, 6, 12), dt.date(2013, 11, 5))):
        build.student(
            oak["id"], first_name="Emma", last_name="Wilson", student_number=f"S60{n}", grade="6",
            birth_date=born,
        )  # fmt: skip
    others = [("Olivia", "Martin"), ("Mason", "Clark"), ("Sophia", "Lewis"), ("Lucas", "Walker"),
              ("Mia", "Hall"), ("Ethan", "Allen"), ("Isabella", "Young"), ("James", "King")]  # fmt: skip
    for n, (first, last) in enumerate(others):
        build.student(
            lincoln["id"], first_name=first, last_name=last, student_number=f"T{n}", grade="5",
            birth_date=dt.date(2014, n + 1, n + 3),
        )  # fmt: skip
    build.classroom(oak["id"], oak_term["id"], name="Homeroom 7")
    add_user(live_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD, display_name="Dana Admin")
    return Duplicates(live_server, kept, typed, sis_twins, namesakes, oak, oak_pair)


# -- helpers ----------------------------------------------------------------------------------
def server_student(server: LiveServer, student_id: str) -> dict[str, Any] | None:
    """Every field, family link and enrollment the server holds for one student."""
    with server.sessions() as session:
        student = session.get(Student, student_id)
        if student is None:
            return None
        links = session.execute(
            select(StudentContact.contact_id, StudentContact.relationship).where(
                StudentContact.student_id == student_id
            )
        ).all()
        seats = session.execute(
            select(Enrollment.classroom_id, Enrollment.role).where(Enrollment.person_id == student_id)
        ).all()
        return {
            **{name: getattr(student, name) for name in STUDENT_FIELDS},
            "origin": student.origin,
            "source_id": student.source_id,
            "links": sorted((str(c), str(r)) for c, r in links),
            "enrollments": sorted((str(c), str(r)) for c, r in seats),
        }


def open_page(qtbot: QtBot, window: MainWindow) -> MergeDuplicatesPage:
    window.show_wizard("merge_duplicates")
    page = window.wizard.page("merge_duplicates")
    assert isinstance(page, MergeDuplicatesPage)
    settle(qtbot, page)
    return page


def settle(qtbot: QtBot, page: MergeDuplicatesPage) -> None:
    qtbot.waitUntil(
        lambda: not page.searching and page.findings is not None and loaded(page.model), timeout=20_000
    )


def listed(page: MergeDuplicatesPage) -> list[tuple[str, str]]:
    return [(str(page.model.row(r)[6]), str(page.model.row(r)[7])) for r in range(page.model.loaded)]


def pair_of(first: dict[str, Any], second: dict[str, Any]) -> tuple[str, str]:
    a, b = sorted((first["id"], second["id"]))
    return a, b


def select_pair(qtbot: QtBot, page: MergeDuplicatesPage, pair: tuple[str, str]) -> None:
    page.table.selectRow(listed(page).index(pair))
    qtbot.waitUntil(
        lambda: page.preview is not None and {page.preview.survivor.id, page.preview.merged.id} == set(pair),
        timeout=10_000,
    )


def set_filter(qtbot: QtBot, page: MergeDuplicatesPage, combo_name: str, data: str) -> None:
    combo = getattr(page, combo_name)
    qtbot.waitUntil(lambda: combo.findData(data) >= 0, timeout=10_000)
    combo.setCurrentIndex(combo.findData(data))
    settle(qtbot, page)


# -- the whole flow ---------------------------------------------------------------------------
def test_find_compare_merge_send_then_undo(
    qtbot: QtBot,
    duplicates: Duplicates,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    server, kept, typed = duplicates.server, duplicates.kept, duplicates.typed
    before = {record["id"]: server_student(server, record["id"]) for record in (kept, typed)}
    controller, window = open_app(qtbot, duplicates, runner, reporter, ui_settings, bridge)  # type: ignore[arg-type]
    page = open_page(qtbot, window)
    pair = pair_of(kept, typed)
    assert pair in listed(page)
    select_pair(qtbot, page, pair)

    # the default survivor is the active record from the SIS, and the comparison shows both
    preview = page.preview
    assert preview is not None
    assert preview.survivor.id == kept["id"] and preview.blocked is None
    assert page.survivor.buttons[kept["id"]].isChecked()
    assert page.survivor.buttons[kept["id"]].text().startswith("John Smith")
    assert page.survivor.buttons[typed["id"]].text().startswith("Jon Smith")
    assert set(page.comparison.field_buttons) == {"first_name", "student_number", "grade", "birth_date"}
    body = page.comparison.widget()
    texts = {w.text() for w in body.findChildren(type(page.status))}
    assert "Mary Smith (mother)\nTom Smith (father)" in texts  # Jon's contacts
    assert "1 shared (kept once)" in texts
    assert page.merge.isEnabled()
    assert "you can undo this for 180 days" in page.consequence.text()
    assert "Jon Smith's 1 family contact and 1 classroom move to John Smith" in page.consequence.text()

    # two fields from Jon's record: the sentence follows at once
    page.comparison.choose("grade", typed["id"])
    page.comparison.choose("birth_date", typed["id"])
    assert sorted(page.comparison.take()) == ["birth_date", "grade"]
    assert "John Smith takes Jon Smith's grade (2) and birth date (2016-03-04)" in page.consequence.text()

    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        page.merge.click()
    assert "Added to your changes" in page.feedback.text()
    qtbot.waitUntil(lambda: loaded(page.model), timeout=10_000)
    assert pair not in listed(page)

    review = open_review(qtbot, window)
    assert review.model.total == 1
    assert review.model.row(0)[1] == "Merge duplicate students"
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review)
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    assert review.model.row(0)[3] == "applied", review.model.row(0)[4]

    # the server holds one student with both students' links and enrollments, none doubled
    assert server_student(server, typed["id"]) is None
    merged = server_student(server, kept["id"])
    assert merged is not None
    old_kept, old_typed = before[kept["id"]], before[typed["id"]]
    assert old_kept is not None and old_typed is not None
    assert merged["links"] == sorted(set(old_kept["links"]) | set(old_typed["links"]))
    assert merged["enrollments"] == sorted(set(old_kept["enrollments"]) | set(old_typed["enrollments"]))
    assert len(merged["links"]) == 2 and len(merged["enrollments"]) == 3
    assert merged["grade"] == "2" and merged["birth_date"] == dt.date(2016, 3, 4)
    assert merged["first_name"] == "John" and merged["student_number"] == "S100"

    # undo, the app's way: Done → restore the merge → review → send
    window.show_wizard("done")
    done = window.wizard.page("done")
    assert isinstance(done, DonePage)
    qtbot.waitUntil(lambda: loaded(done.model), timeout=10_000)
    row = next(r for r in range(done.model.loaded) if done.model.row(r)[1] == "Merge duplicate students")
    done.model.set_selected(row, True)
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        done.restore_selected.click()
    assert "1 restore added" in done.feedback.text()
    review = open_review(qtbot, window)
    assert review.model.total == 1 and review.model.row(0)[1] == "Undo a merge of students"
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review)
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    assert review.model.row(0)[3] == "applied", review.model.row(0)[4]
    after = {record["id"]: server_student(server, record["id"]) for record in (kept, typed)}
    assert after == before
    assert reporter.reported == []
    controller.shutdown()


# -- dismissing, filters, a pair the server would refuse ---------------------------------------
def test_not_the_same_child_stays_dismissed_after_reopening(
    qtbot: QtBot,
    duplicates: Duplicates,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    controller, window = open_app(qtbot, duplicates, runner, reporter, ui_settings, bridge)  # type: ignore[arg-type]
    page = open_page(qtbot, window)
    pair = pair_of(*duplicates.namesakes)
    others = [p for p in listed(page) if p != pair]
    select_pair(qtbot, page, pair)
    assert page.not_same.isEnabled() and page.not_same.text() == "Not the &same child"
    page.not_same.click()
    qtbot.waitUntil(lambda: "two different children" in page.feedback.text(), timeout=10_000)
    qtbot.waitUntil(lambda: loaded(page.model), timeout=10_000)
    assert listed(page) == others
    assert "Brown, Liam" in page.feedback.text() and "Browne, Liam" in page.feedback.text()
    window.close()
    controller.shutdown()

    again = AppController(AppServices(runner, reporter, ui_settings, bridge), as_of=AS_OF, sync_interval_ms=0)
    reopened = again.open_main(controller.service, sync=False)
    qtbot.addWidget(reopened)
    qtbot.waitUntil(lambda: reopened.summary is not None, timeout=10_000)
    page = open_page(qtbot, reopened)
    assert pair not in listed(page)
    assert set(listed(page)) == set(others)
    assert reporter.reported == []
    again.shutdown()


def test_filters_narrow_the_list(
    qtbot: QtBot,
    duplicates: Duplicates,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    controller, window = open_app(qtbot, duplicates, runner, reporter, ui_settings, bridge)  # type: ignore[arg-type]
    page = open_page(qtbot, window)
    everything = listed(page)
    assert {page.model.row(r)[8] for r in range(page.model.loaded)} <= {Band.MATCH, Band.CHECK}

    set_filter(qtbot, page, "band", Band.CHECK.value)
    checking = listed(page)
    assert {page.model.row(r)[8] for r in range(page.model.loaded)} <= {Band.CHECK}
    set_filter(qtbot, page, "band", Band.MATCH.value)
    matching = listed(page)
    assert {page.model.row(r)[8] for r in range(page.model.loaded)} == {Band.MATCH}
    assert sorted(matching + checking) == sorted(everything)

    set_filter(qtbot, page, "band", "")
    set_filter(qtbot, page, "school", duplicates.oak["id"])
    oak = listed(page)
    assert pair_of(*duplicates.oak_pair) in oak
    assert pair_of(duplicates.kept, duplicates.typed) not in oak
    assert 0 < len(oak) < len(everything)

    set_filter(qtbot, page, "grade", "7")
    assert listed(page) == [pair_of(*duplicates.oak_pair)]
    set_filter(qtbot, page, "grade", "3")
    assert listed(page) == []
    assert page.preview is None and not page.merge.isEnabled()
    assert reporter.reported == []
    controller.shutdown()


def test_a_pair_both_from_the_sis_cannot_be_merged(
    qtbot: QtBot,
    duplicates: Duplicates,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    controller, window = open_app(qtbot, duplicates, runner, reporter, ui_settings, bridge)  # type: ignore[arg-type]
    page = open_page(qtbot, window)
    select_pair(qtbot, page, pair_of(*duplicates.sis_twins))
    reason = (
        "Both records come from your SIS; fix the duplicate there and the next sync will correct Connect."
    )
    assert not page.merge.isEnabled()
    assert page.blocked.isVisibleTo(page) and page.blocked.text() == reason
    assert page.merge.toolTip() == reason and page.merge.accessibleDescription() == reason
    assert page.not_same.isEnabled()  # they may still be two children
    # keeping the other one does not help: still refused, still said why
    other = page.preview.merged.id if page.preview is not None else ""
    page.survivor.buttons[other].setChecked(True)
    qtbot.waitUntil(lambda: page.preview is not None and page.preview.survivor.id == other, timeout=10_000)
    assert not page.merge.isEnabled() and page.blocked.text() == reason
    page.merge.click()  # disabled: nothing is staged
    assert window.summary is not None and window.summary.waiting == 0
    assert reporter.reported == []
    controller.shutdown()


def test_keyboard_reaches_every_control_with_a_name(
    qtbot: QtBot,
    duplicates: Duplicates,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    controller, window = open_app(qtbot, duplicates, runner, reporter, ui_settings, bridge)  # type: ignore[arg-type]
    window.resize(1024, 768)
    page = open_page(qtbot, window)
    select_pair(qtbot, page, pair_of(duplicates.kept, duplicates.typed))
    qtbot.waitUntil(lambda: page.merge.isEnabled(), timeout=10_000)
    order = walk(qtbot, window, page.school, 40)
    wanted = [page.school, page.grade, page.band, page.find_again, page.table, page.survivor.first]
    assert order[: len(wanted)] == wanted, [w.accessibleName() or type(w).__name__ for w in order[:8]]
    choices = [b for buttons in page.comparison.field_buttons.values() for b in buttons.values()]
    assert any(widget in choices for widget in order)  # the per-field choices
    assert order.index(page.not_same) < order.index(page.merge)
    assert order.index(page.survivor.first) < order.index(page.not_same)
    for widget in order[: order.index(page.merge) + 1]:
        assert spoken(widget), f"{type(widget).__name__} has no accessible name or text"
    assert page.merge.text() == "&Merge" and page.not_same.text() == "Not the &same child"
    assert page.table.accessibleName() and page.survivor.accessibleName() == "Record to keep"
    # nothing is cut off at 1024×768: both buttons lie inside the window
    for button in (page.merge, page.not_same):
        corner = button.mapTo(window, button.rect().bottomRight())
        assert window.rect().contains(corner) and button.isVisible()
    controller.shutdown()


def test_a_district_without_duplicates_has_step_6_done_not_in_progress(
    qtbot: QtBot,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    page = open_page(qtbot, window)
    assert page.model.total == 0 and page.status.text().startswith("No duplicate students found.")
    row = checklist_row(window, "Merge duplicate students")
    assert row.text(1) == "Done"
    assert row.text(2) == f"No duplicate students found on {AS_OF:%Y-%m-%d}"
    assert reporter.reported == []

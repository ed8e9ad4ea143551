"""The real app against the live server: stage, review, uncheck, send, conflicts, resume."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from connect_desktop.domain.words import kind_text
from connect_desktop.rollover.plan import Selection
from connect_desktop.rollover.students import StudentAction, StudentRule, StudentRules, plan_students
from connect_server.models import Classroom
from tests.ui.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AS_OF,
    District,
    OpenedApp,
    RecordingReporter,
    filled_sign_in,
)
from ui.app import AppServices
from ui.controller import AppController
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner
from ui.wizard.classrooms import ArchiveClassroomsPage
from ui.wizard.review import ReviewPage


def server_status(district: District, classroom_id: str) -> str:
    with district.server.sessions() as session:
        return session.scalar(select(Classroom.status).where(Classroom.id == classroom_id)) or ""


def loaded(model: Any) -> bool:
    return model.total is not None and not model.loading and model.loaded == model.total


def stage_all_old_classrooms(qtbot: QtBot, window: MainWindow) -> ArchiveClassroomsPage:
    window.show_wizard("archive_classrooms")
    page = window.wizard.page("archive_classrooms")
    assert isinstance(page, ArchiveClassroomsPage)
    qtbot.waitUntil(lambda: loaded(page.model), timeout=10_000)
    assert page.model.total == 5
    page.select_all.click()
    assert page.add.isEnabled()
    with qtbot.waitSignal(window.summary_loaded, timeout=10_000):
        page.add.click()
    assert "5 changes added" in page.feedback.text()
    return page


def checklist_row(window: MainWindow, title: str) -> Any:
    """The dashboard's checklist row of the step whose title contains `title`."""
    checklist = window.dashboard.checklist
    rows = (checklist.topLevelItem(i) for i in range(checklist.topLevelItemCount()))
    return next(row for row in rows if title in row.text(0))


def click_box(model: Any, row: int, state: Qt.CheckState) -> bool:
    """What a click on a row's check box does: the view sets the check state."""
    return bool(model.setData(model.index(row, 0), state.value, Qt.ItemDataRole.CheckStateRole))


def open_review(qtbot: QtBot, window: MainWindow) -> ReviewPage:
    window.show_wizard("review")
    page = window.wizard.page("review")
    assert isinstance(page, ReviewPage)
    qtbot.waitUntil(lambda: loaded(page.model), timeout=10_000)
    return page


def confirm_send(
    qtbot: QtBot, review: ReviewPage, expected: str | None = None, details: str | None = None
) -> None:
    """Press Send, check the confirmation names the count (and says `details`), and confirm."""
    review.send.click()
    qtbot.waitUntil(lambda: review.confirm_box is not None and review.confirm_box.isVisible(), timeout=5_000)
    box = review.confirm_box
    assert box is not None
    if expected is not None:
        assert box.text() == expected
    if details is not None:
        assert box.informativeText() == details
    assert box.checkBox() is None  # nothing permanent: no "I understand" to tick
    next(b for b in box.buttons() if b.text().startswith("&Send")).click()


def test_bad_password_shows_a_plain_message(
    qtbot: QtBot,
    district: District,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    _controller, dialog = filled_sign_in(
        qtbot, runner, reporter, ui_settings, bridge, district.url, password="not the password"
    )
    dialog.submit.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "password is not correct" in dialog.error.text()
    assert dialog.password.text() == ""
    assert reporter.reported == []
    assert ui_settings.email == ADMIN_EMAIL  # remembered; the password never is


def test_unreachable_server_is_explained(
    qtbot: QtBot,
    district: District,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    url = district.url
    district.server.stop()
    _controller, dialog = filled_sign_in(qtbot, runner, reporter, ui_settings, bridge, url)
    dialog.submit.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=30_000)
    assert "cannot be reached" in dialog.error.text()


def test_stage_review_uncheck_send(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    assert window.dashboard.count_labels["classroom"].text() == "7"
    stage_all_old_classrooms(qtbot, window)
    assert window.dashboard.waiting.text() == "5"

    review = open_review(qtbot, window)
    assert review.model.total == 5
    left_out = review.model.key(0)
    review.model.set_selected(0, False)
    assert review.send.text() == "&Send 4 changes"
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(
            qtbot,
            review,
            "Send 4 changes to Connect?",
            "They take effect on the server at once. Archived classrooms can be restored later. "
            "1 unchecked change stays in your list for later.",
        )
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    states = {review.model.row(r)[3] for r in range(review.model.loaded)}
    assert states == {"applied"}
    assert review.model.total == 4
    assert "1 unchecked kept in your list for later" in review.status.text()
    assert review.send.isHidden() and review.back.isVisible()  # the results are not sendable again
    statuses = sorted(server_status(district, c["id"]) for c in district.old_classrooms)
    assert statuses == ["active", "archived", "archived", "archived", "archived"]
    # the unchecked change stays pending (not discarded) and never reached the server
    left_out_row = next(row for row in controller.service.pending(("pending",)) if row.op_id == left_out)  # type: ignore[union-attr]
    assert left_out_row.state == "pending"
    assert server_status(district, left_out_row.target_id) == "active"
    assert window.dashboard.waiting.text() == "1"
    # the dashboard confirms the work: 4 of the 7 classrooms are archived now
    assert window.dashboard.count_labels["classroom"].text() == "3"
    assert window.dashboard.count_titles["classroom"].text() == "Classrooms · 4 archived"
    assert window.summary is not None and window.summary.steps["archive_classrooms"]["applied"] == 4
    assert window.summary.steps["archive_classrooms"]["pending"] == 1
    assert left_out not in review.last_sent
    review.show_waiting()
    qtbot.waitUntil(lambda: loaded(review.model), timeout=10_000)
    assert review.model.total == 1 and review.model.key(0) == left_out
    assert reporter.reported == []


def test_an_unchecked_change_stays_unchecked_until_the_user_checks_it_again(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    stage_all_old_classrooms(qtbot, window)
    review = open_review(qtbot, window)
    later = review.model.key(1)
    assert click_box(review.model, 1, Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: controller.service.kept_for_later() == {later}, timeout=5_000)

    # Review opened again (another step in between): the change is still unchecked
    window.show_wizard("archive_classrooms")
    review = open_review(qtbot, window)
    assert review.send.text() == "&Send 4 changes"
    checks = {review.model.key(r): review.model.is_selected(r) for r in range(review.model.loaded)}
    assert checks[later] is False and sum(checks.values()) == 4

    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review, "Send 4 changes to Connect?")
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    assert later not in review.last_sent
    assert "1 unchecked kept in your list for later" in review.status.text()

    # the next send, from a fresh listing, still leaves it out: nothing is checked
    review.show_waiting()
    qtbot.waitUntil(lambda: loaded(review.model), timeout=10_000)
    assert review.model.total == 1 and not review.model.is_selected(0)
    assert not review.send.isEnabled()
    later_target = controller.service.pending(("pending",))[0].target_id
    assert server_status(district, later_target) == "active"

    # checked again, it goes with the next send
    assert review.model.setData(
        review.model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    qtbot.waitUntil(lambda: controller.service.kept_for_later() == frozenset(), timeout=5_000)
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review, "Send 1 change to Connect?")
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    assert server_status(district, later_target) == "archived"
    assert reporter.reported == []


def test_conflict_refresh_and_retry(qtbot: QtBot, district: District, opened_app: OpenedApp) -> None:
    window = opened_app.window
    stage_all_old_classrooms(qtbot, window)
    changed = district.old_classrooms[0]
    token = requests.post(
        district.server.api + "/auth/token",
        json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=10,
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for kind, version in (("archive_classroom", 1), ("unarchive_classroom", 2)):
        body = {
            "operations": [
                {
                    "op_id": str(uuid.uuid4()),
                    "kind": kind,
                    "target": {"type": "classroom", "id": changed["id"], "version": version},
                }
            ]
        }
        answer = requests.post(district.server.api + "/operations", json=body, headers=headers, timeout=10)
        assert answer.json()["results"][0]["status"] == "applied"

    review = open_review(qtbot, window)
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review)
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    states = sorted(review.model.row(r)[3] for r in range(review.model.loaded))
    assert states == ["applied"] * 4 + ["conflict"]
    assert review.retry.isEnabled()
    assert server_status(district, changed["id"]) == "active"

    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        review.retry.click()
    qtbot.waitUntil(lambda: not review.showing_results and loaded(review.model), timeout=10_000)
    assert review.model.total == 1
    assert review.model.row(0)[3] == "pending"
    with qtbot.waitSignal(window.summary_loaded, timeout=20_000):
        confirm_send(qtbot, review)
    qtbot.waitUntil(lambda: review.showing_results and loaded(review.model), timeout=10_000)
    assert review.model.row(0)[3] == "applied"
    assert server_status(district, changed["id"]) == "archived"


def test_review_sets_permanent_deletions_apart_first_and_names_them(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    stage_all_old_classrooms(qtbot, window)  # staged first: oldest would come first
    service = controller.service
    assert service is not None
    leaver = district.students[0]

    def delete_one(connection: Any) -> Any:
        rules = StudentRules.of(StudentRule.PICKED, picked_ids=[leaver["id"]])
        return plan_students(connection, rules, action=StudentAction.DELETE)

    opened = service.open_plan(delete_one)
    try:
        opened.call(lambda plan: service.stage_plan(plan, Selection(), confirmation="DELETE 1 STUDENT"))
    finally:
        opened.close()
    window.refresh()
    review = open_review(qtbot, window)
    assert review.model.total == 6
    assert review.permanent.isVisible()
    assert review.permanent.text() == (
        "1 student will be deleted for good; this cannot be undone. "
        "They are listed first, marked “(permanent)”."
    )
    first = review.model.row(0)
    assert first[1] == kind_text("delete_student") and "(permanent)" in first[1]
    assert leaver["last_name"] in first[2]
    assert {review.model.row(r)[1] for r in range(1, 6)} == {kind_text("archive_classroom")}
    assert reporter.reported == []


def test_enter_presses_the_focused_button_and_opens_a_checklist_row(
    qtbot: QtBot,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    window.tabs.setCurrentWidget(window.dashboard)
    window.activateWindow()
    button = window.dashboard.review_button
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=5_000)
    qtbot.keyClick(button, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.wizard and window.wizard.current_step == "review"
    # a checklist row opens its step: Enter on the highlighted row
    window.tabs.setCurrentWidget(window.dashboard)
    checklist = window.dashboard.checklist
    checklist.setCurrentItem(checklist_row(window, "Archive classrooms"))
    checklist.setFocus()
    qtbot.waitUntil(checklist.hasFocus, timeout=5_000)
    qtbot.keyClick(checklist, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.wizard
    assert window.wizard.current_step == "archive_classrooms"
    # and on a step page: Enter on the focused Next goes on
    window.wizard.go_to("welcome")
    window.wizard.next.setFocus()
    qtbot.waitUntil(window.wizard.next.hasFocus, timeout=5_000)
    qtbot.keyClick(window.wizard.next, Qt.Key.Key_Enter)
    assert window.wizard.current_step == "reports"


def test_closing_with_unsent_changes_asks_first_and_says_what_becomes_of_them(
    qtbot: QtBot,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    stage_all_old_classrooms(qtbot, window)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    window.close()
    box = window.close_box
    assert box is not None and box.isVisible() and window.isVisible() and not closed
    assert box.text() == "5 changes are not sent yet."
    assert "send them next time from step 7" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter keeps the window
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.close_box is None, timeout=5_000)
    assert window.isVisible() and not closed

    window.forgets_on_close = True  # a demo in a temporary folder
    window.close()
    box = window.close_box
    assert (
        box is not None and "will be lost" in box.informativeText() and "--demo-dir" in box.informativeText()
    )
    next(b for b in box.buttons() if b.text() == "&Close anyway").click()
    qtbot.waitUntil(lambda: bool(closed), timeout=5_000)
    assert not window.isVisible()
    assert [row.state for row in controller.service.pending()] == ["pending"] * 5  # kept, never sent


def test_wizard_resumes_where_the_user_was(
    qtbot: QtBot,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    assert window.wizard.current_step == "welcome"
    window.show_wizard()
    listed = window.wizard.page("welcome").steps.text()
    assert "✓" not in listed  # a tick read as "done" before anything was done
    assert "Sync rollover</b> —  not needed: " in listed
    assert "Archive classrooms</b> —  Archive last year" in listed
    window.wizard.next.click()  # reports
    window.wizard.next.click()  # sync rollover and inactive staff do not apply: skipped
    assert window.wizard.current_step == "archive_classrooms"
    window.close()
    controller.shutdown()

    again = AppController(AppServices(runner, reporter, ui_settings, bridge), as_of=AS_OF, sync_interval_ms=0)
    reopened = again.open_main(controller.service, sync=False)
    qtbot.addWidget(reopened)
    assert reopened.wizard.current_step == "archive_classrooms"

"""Steps 1 and 2 (Download reports, Sync rollover) driven through the app against a live server."""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from connect_desktop.domain.words import counted
from connect_desktop.rostering.preview import preview_rollover
from connect_desktop.store.sync_history import SyncRunRow
from connect_desktop.syncadmin.explain import explain_run
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.server_sync.package import District as Package
from tests.support.server import LiveServer, add_user
from tests.ui.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AS_OF,
    OpenedApp,
    RecordingReporter,
    open_app,
)
from tests.ui.test_mnemonics import clashes_on_every_tab
from ui.date_field import OptionalDate, format_date
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner
from ui.wizard.reports import ReportsPage
from ui.wizard.sync_rollover import SyncRolloverPage

WAIT = 15_000


@pytest.fixture
def synced(live_server: LiveServer, tmp_path: Path) -> tuple[LiveServer, Path]:
    """A district synced from a package of 20 students, then held on one of 10 (the next year)."""
    add_user(live_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD, display_name="Dana Admin")
    current = Package(students=range(20)).write(tmp_path / "current.zip")
    next_year = Package(students=range(10)).write(tmp_path / "next-year.zip")
    with live_server.sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(current)}))
    assert run_sync(live_server.sessions, today=AS_OF).run.status == "succeeded"
    return live_server, next_year


def hold(server: LiveServer, package: Path) -> None:
    with server.sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(package)}))
    assert run_sync(server.sessions, today=AS_OF).run.status == "failed_threshold"


@dataclass
class _Url:
    url: str


def open_synced(
    qtbot: QtBot, server: LiveServer, runner: TaskRunner, reporter: RecordingReporter,
    settings: UiSettings, bridge: MessageBridge,
) -> tuple[MainWindow, SyncRolloverPage]:  # fmt: skip
    _controller, window = open_app(qtbot, _Url(server.url), runner, reporter, settings, bridge)  # type: ignore[arg-type]
    window.show_wizard("sync_rollover")
    page = window.wizard.page("sync_rollover")
    assert isinstance(page, SyncRolloverPage)
    qtbot.waitUntil(lambda: page.settled, timeout=WAIT)
    return window, page


def test_reports_export_and_existing_file(
    qtbot: QtBot,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    tmp_path: Path,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    window.show_wizard("reports")
    page = window.wizard.page("reports")
    assert isinstance(page, ReportsPage)
    opened: list[object] = []
    page.open_url = lambda url: opened.append(url) or True  # type: ignore[method-assign]
    assert all(box.isChecked() for box in page.checks.values())
    out = tmp_path / "reports"
    page.folder.setText(str(out))
    page.set_chosen(["students", "archive"])
    page.export.click()
    qtbot.waitUntil(lambda: page.task is None and len(page.finished_results) == 2, timeout=30_000)
    assert [r.outcome for r in page.finished_results] == ["written", "written"]
    for result in page.finished_results:
        assert result.path is not None and result.path.parent == out
        workbook = openpyxl.load_workbook(result.path, read_only=True)
        assert workbook.sheetnames
        workbook.close()
    assert page.results.topLevelItemCount() == 2
    assert page.open_folder.isEnabled()
    page.open_folder.click()
    assert len(opened) == 1
    page.open_url = lambda _url: False  # type: ignore[method-assign]  # no file manager registered
    page.open_folder.click()
    assert (
        page.status.text() == f"No file manager opened the folder on this computer. Your reports are in {out}"
    )
    assert "Reports saved" in ui_settings.step_done(
        window.service.server_url, window.service.user_id, "reports"
    )
    assert window.dashboard.checklist.topLevelItem(0).text(1) == "Done"

    # the same report again: the file exists, so the page asks; keep both adds " (2)"
    page.set_chosen(["students"])
    page.export.click()
    qtbot.waitUntil(lambda: page.exists_box is not None and page.exists_box.isVisible(), timeout=WAIT)
    box = page.exists_box
    assert box is not None and "already in this folder" in box.text()
    next(b for b in box.buttons() if "Keep" in b.text()).click()
    qtbot.waitUntil(
        lambda: page.task is None and page.exists_box is None and bool(page.finished_results), timeout=WAIT
    )
    (result,) = page.finished_results
    assert result.outcome == "kept both" and result.path is not None and result.path.stem.endswith(" (2)")
    assert len(list(out.glob("Students*.xlsx"))) == 2

    # and skip leaves the folder as it was
    page.export.click()
    qtbot.waitUntil(lambda: page.exists_box is not None and page.exists_box.isVisible(), timeout=WAIT)
    next(b for b in page.exists_box.buttons() if "Skip" in b.text()).click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: page.task is None and page.exists_box is None, timeout=WAIT)
    assert [r.outcome for r in page.finished_results] == ["skipped"]
    assert len(list(out.glob("Students*.xlsx"))) == 2
    assert reporter.reported == []


def test_held_run_explained_listed_exported_and_approved_once(
    qtbot: QtBot, synced: tuple[LiveServer, Path], runner: TaskRunner, reporter: RecordingReporter,
    ui_settings: UiSettings, bridge: MessageBridge, tmp_path: Path,
) -> None:  # fmt: skip
    server, next_year = synced
    hold(server, next_year)
    window, page = open_synced(qtbot, server, runner, reporter, ui_settings, bridge)
    assert page.history.latest_run is not None and page.history.latest_run.status == "failed_threshold"
    assert page.history.show_tried.isVisible()
    assert clashes_on_every_tab(window) == {}  # a held run's buttons share no Alt-key with the tabs
    text = page.history.run_text.text()
    assert "10 students (50% of synced students), more than your threshold of 10%" in text
    assert "Nothing was archived" in text
    assert "the next run will be held too" in text
    assert "Who was told?" in text
    assert page.history.approve.isVisible()

    # what it tried to archive, paged in from the server
    page.archives.archive_model._page_size = 7
    page.archives.list_run()
    qtbot.waitUntil(
        lambda: page.archives.archive_model.total is not None and not page.archives.archive_model.loading,
        timeout=WAIT,
    )
    total = page.archives.archive_model.total
    assert total == page.history.latest_run.total("tried_to_archive") and total > 7
    while page.archives.archive_model.canFetchMore():
        page.archives.archive_model.fetchMore()
        qtbot.waitUntil(lambda: not page.archives.archive_model.loading, timeout=WAIT)
    assert page.archives.archive_model.loaded == total
    target = tmp_path / "tried.xlsx"
    page.archives.export_archives_to(target)
    qtbot.waitUntil(lambda: "Saved" in page.archives.export_feedback.text(), timeout=WAIT)
    book = openpyxl.load_workbook(target, read_only=True)
    try:
        sheet = book.active
        assert sheet is not None and sum(1 for _ in sheet.iter_rows()) == total + 1
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    as_csv = tmp_path / "tried.csv"
    page.archives.export_archives_to(as_csv)
    qtbot.waitUntil(lambda: str(as_csv) in page.archives.export_feedback.text(), timeout=WAIT)
    assert len(as_csv.read_text(encoding="utf-8-sig").splitlines()) == total + 1
    if os.name == "posix":  # personal data: owner-only, like the reports
        assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(as_csv.stat().st_mode) == 0o600

    # approve once: confirm, the server runs, the pulled history shows the new run
    runs_before = len(page.history.status_data.runs)  # type: ignore[union-attr]
    page.history.approve.click()
    qtbot.waitUntil(
        lambda: page.history.confirm_box is not None and page.history.confirm_box.isVisible(), timeout=WAIT
    )
    asked = page.history.confirm_box.text()  # type: ignore[union-attr]
    # it names everything the approved run archives, not only the types that held it
    tried = {
        t: c["tried_to_archive"] for t, c in page.history.latest_run.counts.items() if c["tried_to_archive"]
    }
    assert "10 students" in asked
    assert all(counted(t, n) in asked for t, n in tried.items()) and sum(tried.values()) == total
    assert "thresholds stay as they are" in page.history.confirm_box.informativeText()  # type: ignore[union-attr]
    # the one action that does not wait for Review says so
    said = page.history.confirm_box.informativeText()  # type: ignore[union-attr]
    assert said.startswith("Unlike your other changes, this one acts at once, on the server")
    next(b for b in page.history.confirm_box.buttons() if "Approve" in b.text()).click()  # type: ignore[union-attr]
    qtbot.waitUntil(
        lambda: (
            page.history.status_data is not None
            and len(page.history.status_data.runs) == runs_before + 1
            and not page.history.loading
        ),
        timeout=30_000,
    )
    latest = page.history.latest_run
    assert latest is not None and latest.status == "succeeded" and latest.approved_archives
    assert latest.total("archived") == total
    assert "thresholds were not changed" in page.history.approve_feedback.text()
    assert not page.history.approve.isVisible()
    assert reporter.reported == []


def test_threshold_and_pause_staged_as_one_operation(
    qtbot: QtBot, synced: tuple[LiveServer, Path], runner: TaskRunner, reporter: RecordingReporter,
    ui_settings: UiSettings, bridge: MessageBridge,
) -> None:  # fmt: skip
    server, _next_year = synced
    window, page = open_synced(qtbot, server, runner, reporter, ui_settings, bridge)
    page.settings_tab.stage_settings()
    assert "Nothing changed" in page.settings_tab.settings_feedback.text()
    page.settings_tab.threshold_boxes["students"].setValue(60)
    tab = page.settings_tab
    tab.add_pause_row("classrooms", None, "2026-08-15")
    tab.add_pause.click()  # a second pause, all of the sync from 1 July
    tab.pauses.cellWidget(1, 1).set_value(dt.date(2026, 7, 1))
    begin, end = tab.pauses.cellWidget(0, 1), tab.pauses.cellWidget(0, 2)
    assert isinstance(begin, OptionalDate) and isinstance(end, OptionalDate)
    assert begin.value() is None and end.value() == dt.date(2026, 8, 15)
    # keyboard only: Tab walks the pause's fields in order (not the table's cells)
    page.tabs.setCurrentWidget(tab)
    window.activateWindow()
    tab.pauses.cellWidget(0, 0).setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is tab.pauses.cellWidget(0, 0), timeout=WAIT)

    def tab_to(widget: QWidget) -> None:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is widget

    tab_to(begin.use)
    qtbot.keyClick(begin.use, Qt.Key.Key_Space)
    assert begin.value() == AS_OF  # the calendar opens on the app's today
    tab_to(begin.field.edit)
    begin.field.edit.selectAll()
    qtbot.keyClicks(begin.field.edit, format_date(dt.date(2026, 6, 22)))  # typed, in the user's format
    tab_to(begin.field.pick)
    tab_to(end.use)
    assert begin.value() == dt.date(2026, 6, 22)
    with qtbot.waitSignal(window.summary_loaded, timeout=WAIT):
        page.settings_tab.stage.click()
    qtbot.waitUntil(
        lambda: (
            not page.history.loading
            and page.settings_tab.settings is not None
            and page.settings_tab.settings.staged
        ),
        timeout=WAIT,
    )
    rows = [row for row in window.service.pending() if row.kind == "update_sync_settings"]
    assert len(rows) == 1
    (row,) = rows
    assert row.step == "sync_rollover"
    settings = page.settings_tab.settings
    assert settings is not None and row.target_id == settings.id
    params = row.params
    assert params["thresholds"] == {"students": 60}
    assert params["pauses"] == [
        {"portion": "classrooms", "from": "2026-06-22", "until": "2026-08-15"},
        {"portion": "all", "from": "2026-07-01", "until": None},
    ]
    assert "daily_sync" not in params
    # the editor shows the staged values again
    assert page.settings_tab.threshold_boxes["students"].value() == 60
    assert page.settings_tab.pauses.rowCount() == 2
    assert reporter.reported == []


def test_preview_shows_the_same_counts_as_the_core(
    qtbot: QtBot, synced: tuple[LiveServer, Path], runner: TaskRunner, reporter: RecordingReporter,
    ui_settings: UiSettings, bridge: MessageBridge,
) -> None:  # fmt: skip
    server, next_year = synced
    window, page = open_synced(qtbot, server, runner, reporter, ui_settings, bridge)
    page.tabs.setCurrentIndex(3)
    page.preview_tab.preview_package(next_year)
    qtbot.waitUntil(
        lambda: page.preview_tab.session is not None and not page.preview_tab.counts.isHidden(),
        timeout=30_000,
    )
    with (
        window.service.cache.engine.connect() as connection,
        preview_rollover(connection, next_year, today=AS_OF) as expected,
    ):
        want = expected.types
        held = expected.held_types
    shown = {}
    for row in range(page.preview_tab.counts.rowCount()):
        type_ = page.preview_tab.counts.item(row, 0).data(256)
        shown[type_] = tuple(page.preview_tab.counts.item(row, c).text() for c in (1, 2, 3, 4, 7))
    assert shown == {
        t: (
            f"{p.create:,}",
            f"{p.update:,}",
            f"{p.archive:,}",
            f"{p.managed:,}",
            "Held" if p.held else "OK",
        )
        for t, p in want.items()
    }
    assert held and "HELD" in page.preview_tab.preview_status.text()
    row = next(
        r
        for r in range(page.preview_tab.counts.rowCount())
        if page.preview_tab.counts.item(r, 0).data(256) == "student"
    )
    page.preview_tab.counts.setCurrentCell(row, 3)
    qtbot.waitUntil(
        lambda: (
            page.preview_tab.changes_model.total is not None and not page.preview_tab.changes_model.loading
        ),
        timeout=WAIT,
    )
    assert page.preview_tab.changes_model.loaded == want["student"].archive == 10
    details = [page.preview_tab.changes_model.row(r)[3] for r in range(10)]
    assert all("school: Oak Elementary" in detail for detail in details), details  # a name, not an SIS id
    assert page.settings_tab.prediction["students"][1].text() == "Held"
    page.settings_tab.threshold_boxes["students"].setValue(50)
    assert page.settings_tab.prediction["students"][1].text() == "OK"

    # a broken package shows its errors with file, row and column
    broken = next_year.with_name("broken.zip")
    broken.write_bytes(b"not a zip")
    page.preview_tab.preview_package(broken)
    qtbot.waitUntil(
        lambda: (
            "cannot be read" in page.preview_tab.preview_status.text()
            or not page.preview_tab.problems.isHidden()
        ),
        timeout=WAIT,
    )
    assert reporter.reported == []


@pytest.fixture
def held_two_schools(live_server: LiveServer, tmp_path: Path) -> LiveServer:
    """Oak Elementary (even students) and Elm Middle (odd) synced, then held on losing s-0..s-9;
    the app's user is the school admin of Oak Elementary."""
    first = Package(students=range(20), second_school=("cls-b",)).write(tmp_path / "first.zip")
    with live_server.sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(first)}))
    assert run_sync(live_server.sessions, today=AS_OF).run.status == "succeeded"
    with live_server.sessions() as session:
        (oak,) = session.execute(text("SELECT id FROM school WHERE source_id = 'sch-1'")).scalars()
    add_user(live_server.sessions, ADMIN_EMAIL, "school_admin", ADMIN_PASSWORD, [oak], display_name="Sam")
    hold(live_server, Package(students=range(10, 20), second_school=("cls-b",)).write(tmp_path / "held.zip"))
    return live_server


def test_the_preview_counts_the_links_that_move_with_their_student(
    qtbot: QtBot, synced: tuple[LiveServer, Path], runner: TaskRunner, reporter: RecordingReporter,
    ui_settings: UiSettings, bridge: MessageBridge, tmp_path: Path,
) -> None:  # fmt: skip
    """A class moves to a new school: its students' family links move too. The preview says how
    many, in the Update count and in words, and the run then updates exactly that many."""
    server, _next_year = synced
    moving = Package(students=range(20), second_school=("cls-b",)).write(tmp_path / "moving.zip")
    _window, page = open_synced(qtbot, server, runner, reporter, ui_settings, bridge)
    page.tabs.setCurrentIndex(3)
    page.preview_tab.preview_package(moving)
    qtbot.waitUntil(
        lambda: page.preview_tab.session is not None and not page.preview_tab.counts.isHidden(),
        timeout=30_000,
    )
    links = page.preview_tab.preview_types["student_contact"]
    assert links.update == 0 and links.moved_with_parent == 10  # cls-b's ten students, one guardian each
    row = next(
        r
        for r in range(page.preview_tab.counts.rowCount())
        if page.preview_tab.counts.item(r, 0).data(256) == "student_contact"
    )
    assert page.preview_tab.counts.item(row, 2).text() == "0 + 10"
    said = page.preview_tab.follow_on.text()
    assert not page.preview_tab.follow_on.isHidden()
    assert "updates 10 family links: they move with their student to a new school" in said
    page.preview_tab.counts.setCurrentCell(row, 2)
    assert "and 10 more that move with their student" in page.preview_tab.changes_title.text()

    with server.sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(moving)}))
    run = run_sync(server.sessions, today=AS_OF).run
    assert run.status == "succeeded" and run.counts["student_contact"]["updated"] == 10
    assert reporter.reported == []


def test_a_school_admin_reads_their_schools_part_and_is_told_so(
    qtbot: QtBot, held_two_schools: LiveServer, runner: TaskRunner, reporter: RecordingReporter,
    ui_settings: UiSettings, bridge: MessageBridge,
) -> None:  # fmt: skip
    _window, page = open_synced(qtbot, held_two_schools, runner, reporter, ui_settings, bridge)
    assert (
        "Counts and lists here are for your schools only (Oak Elementary)" in page.history.status_text.text()
    )
    run = page.history.latest_run
    assert run is not None and run.status == "failed_threshold" and "school" not in run.counts
    # Oak's five students s-0, s-2, …, s-8 with their guardians, family links and enrollments
    assert {t: c["tried_to_archive"] for t, c in run.counts.items() if c["tried_to_archive"]} == {
        "student": 5, "contact": 5, "student_contact": 5, "enrollment": 5,
    }  # fmt: skip
    text_shown = page.history.run_text.text()
    assert "In your schools, it wanted to archive:" in text_shown
    assert "<li>5 students</li>" in text_shown and "unless a district admin approves" in text_shown
    assert "tell your district admin" in text_shown
    assert not page.history.approve.isVisible()  # approving is for district admins

    page.archives.list_run()
    qtbot.waitUntil(
        lambda: page.archives.archive_model.total is not None and not page.archives.archive_model.loading,
        timeout=WAIT,
    )
    assert page.archives.archive_model.total == run.total("tried_to_archive") == 20
    assert "in your schools" in page.archives.archive_title.text()
    while page.archives.archive_model.canFetchMore():
        page.archives.archive_model.fetchMore()
        qtbot.waitUntil(lambda: not page.archives.archive_model.loading, timeout=WAIT)
    students = {
        page.archives.archive_model.row(r)[3]
        for r in range(20)
        if page.archives.archive_model.row(r)[4] == "student"
    }
    assert students == {"s-0", "s-2", "s-4", "s-6", "s-8"}
    assert reporter.reported == []


def test_a_run_without_counts_for_the_schools_says_so() -> None:
    """A run from before the server kept counts per school reaches a school admin without counts."""
    started = dt.datetime(2026, 5, 2, 2, 0)
    old = SyncRunRow("r", 2, started, started, "failed_threshold", "daily", False, {}, "not recorded")
    told = explain_run(old, None, for_schools=True)
    assert told.headline == "Your sync on May 2, 2026 was held at the deletion threshold."
    assert "was not recorded" in told.what_happened and "0 records" not in told.text()

"""Step 1's batch from the GUI: every file shows one moment, although a background sync lands between two."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import openpyxl
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from connect_desktop.reports import Outcome
from connect_desktop.reports import batch as batch_module
from tests.reports.helpers import records
from tests.ui.conftest import District, OpenedApp, RecordingReporter
from ui.wizard.reports import ReportsPage

WAIT = 30_000
NEWCOMER = "Pulledinbetween"


def snapshot_times(path: Path) -> set[str]:
    """The 'as last downloaded' time each sheet's third title row states."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        lines = [next(ws.iter_rows(min_row=3, max_row=3, values_only=True))[0] for ws in wb.worksheets]
    finally:
        wb.close()
    return {when for line in lines for when in re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", str(line))}


def test_a_sync_landing_between_two_files_changes_neither(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    tmp_path: Path,
    monkeypatch: Any,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    engine = window.service.cache.engine

    def cache_facts() -> tuple[str, int]:
        with engine.connect() as connection:
            pulled = connection.scalar(text("SELECT last_pull_at FROM sync_state"))
            newcomers = connection.scalar(
                text("SELECT COUNT(*) FROM student WHERE last_name = :n"), {"n": NEWCOMER}
            )
        return str(pulled), int(newcomers or 0)

    pulled_before, _ = cache_facts()
    between, resume = threading.Event(), threading.Event()
    write = batch_module.write_workbook

    def wait_after_the_students(*args: Any) -> None:
        write(*args)
        if args[2].name == "students":  # its workbook is written: let a sync land before the next
            between.set()
            assert resume.wait(WAIT / 1000)

    monkeypatch.setattr(batch_module, "write_workbook", wait_after_the_students)
    window.show_wizard("reports")
    page = window.wizard.page("reports")
    assert isinstance(page, ReportsPage)
    page.folder.setText(str(tmp_path / "reports"))
    page.set_chosen(["students", "archive"])
    try:
        page.export.click()
        qtbot.waitUntil(between.is_set, timeout=WAIT)
        district.build.student(district.students[0]["school_id"], last_name=NEWCOMER)
        with qtbot.waitSignal(window.synced, timeout=WAIT):
            window.timer.timeout.emit()  # the five-minute background sync
    finally:
        resume.set()
    qtbot.waitUntil(lambda: page.task is None and len(page.finished_results) == 2, timeout=WAIT)

    pulled_after, newcomers = cache_facts()
    assert pulled_after > pulled_before and newcomers == 1  # the sync landed in between
    students, archive = page.finished_results
    assert [students.outcome, archive.outcome] == [Outcome.WRITTEN, Outcome.WRITTEN]
    assert students.path is not None and archive.path is not None
    shown = dt.datetime.fromisoformat(pulled_before).strftime("%Y-%m-%d %H:%M")
    assert snapshot_times(students.path) == snapshot_times(archive.path) == {shown}
    in_students, in_archive = records(students.path, "Students"), records(archive.path, "Students")
    assert len(in_students) == len(in_archive) == len(district.students) + 1  # and the archived one
    assert all(row["Last name"] != NEWCOMER for row in in_students + in_archive)
    assert reporter.reported == []

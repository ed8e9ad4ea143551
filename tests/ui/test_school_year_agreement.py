"""Every screen, report and command agrees on the school year in the demo at year-end.

The demo district on 2026-06-20, after next year's export has been synced (the run is
held, but next year's terms arrive): 2025–26 has ended, 2026–27 is known but not begun.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from connect_server.models import Term
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.desktop.test_cli import run
from tests.desktop.test_cli_year_end import DEMO_ADMIN
from tests.reports.helpers import read_sheet
from tests.support.demo import DEMO_AS_OF, Demo
from tests.support.server import LiveServer, make_database
from tests.ui.conftest import RecordingReporter
from ui.app import AppServices
from ui.controller import AppController
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner
from ui.wizard.classrooms import ArchiveClassroomsPage
from ui.wizard.reports import ReportsPage
from ui.wizard.staff import InactiveStaffPage

WAIT = 30_000
THIS_YEAR_STARTS = dt.date(2025, 8, 15)
"""The first day of the demo's 2025–26 terms."""


@pytest.fixture
def next_year_synced(demo: Demo, tmp_path: Path) -> Iterator[LiveServer]:
    """The demo server after a sync from next year's export: held, with 2026–27's terms created."""
    sessions = make_database(demo.copy(tmp_path))
    try:
        with sessions.begin() as session:
            save_source(session, SourceConfig("oneroster-csv", {"path": str(demo.next_year)}))
        assert run_sync(sessions, today=DEMO_AS_OF).run.status == "failed_threshold"
        with sessions() as session:
            years = set(session.scalars(select(Term.school_year).distinct()))
            next_start = session.scalar(select(func.min(Term.start_date)).where(Term.school_year == 2027))
        assert years == {2025, 2026, 2027} and next_start is not None and next_start > DEMO_AS_OF
        with LiveServer(sessions) as server:
            yield server
    finally:
        sessions.kw["bind"].dispose()


def open_demo_app(
    qtbot: QtBot, url: str, runner: TaskRunner, reporter: RecordingReporter,
    settings: UiSettings, bridge: MessageBridge,
) -> MainWindow:  # fmt: skip
    controller = AppController(
        AppServices(runner, reporter, settings, bridge), as_of=DEMO_AS_OF, sync_interval_ms=0
    )
    dialog = controller.show_sign_in()
    qtbot.addWidget(dialog)
    dialog.server.setText(url)
    dialog.email.setText(DEMO_ADMIN[0])
    dialog.password.setText(DEMO_ADMIN[1])
    with qtbot.waitSignal(controller.main_shown, timeout=60_000) as shown:
        dialog.submit.click()
    window: MainWindow = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=WAIT)
    return window


def test_everything_says_2025_26_after_next_years_terms_arrive(
    qtbot: QtBot, next_year_synced: LiveServer, demo: Demo, runner: TaskRunner,
    reporter: RecordingReporter, ui_settings: UiSettings, bridge: MessageBridge,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    window = open_demo_app(qtbot, next_year_synced.url, runner, reporter, ui_settings, bridge)

    # the dashboard's numbers
    assert window.summary is not None and window.summary.current_school_year == 2026

    # step 3: the default "not signed in since" date is the first day of 2025–26, before today
    window.show_wizard("inactive_staff")
    staff = window.wizard.page("inactive_staff")
    assert isinstance(staff, InactiveStaffPage)
    qtbot.waitUntil(lambda: staff.since.day() == THIS_YEAR_STARTS, timeout=WAIT)
    qtbot.waitUntil(lambda: staff.plan is not None and "2025-08-15" in staff.plan.description, timeout=WAIT)
    assert staff.choices is not None and 2027 in staff.choices.year_starts, "next year's terms are cached"
    assert THIS_YEAR_STARTS < DEMO_AS_OF
    gui_plan = staff.plan
    assert gui_plan is not None
    assert "not signed in since 2025-08-15" in gui_plan.description
    assert "teachers with no classroom in 2025–26" in gui_plan.description
    gui_staff = set(gui_plan.ids())
    assert staff.context.service.year_end_batch() == "year-end-2026"

    # step 4: 2025–26 ended on 12 June, before the demo's 20 June: it is offered and proposed
    # with 2024–25, and the next year (whose terms have not begun) is not
    window.show_wizard("archive_classrooms")
    rooms = window.wizard.page("archive_classrooms")
    assert isinstance(rooms, ArchiveClassroomsPage)
    qtbot.waitUntil(lambda: rooms.school_year.count() == 3 and rooms.plan is not None, timeout=WAIT)
    offered = [rooms.school_year.itemText(i) for i in range(3)]
    assert offered == ["All past school years", "2025–26", "2024–25"]
    assert rooms.plan is not None
    assert "school years up to 2025–26, which ended on 12 June 2026" in rooms.plan.description
    assert set(rooms.plan.ids()) == set(demo.truth["manual_classrooms_ended"])

    # step 1: the staff report counts the classrooms of 2025–26
    window.show_wizard("reports")
    reports = window.wizard.page("reports")
    assert isinstance(reports, ReportsPage)
    reports.folder.setText(str(tmp_path / "reports"))
    reports.set_chosen(["staff"])
    reports.export.click()
    qtbot.waitUntil(lambda: reports.task is None and len(reports.finished_results) == 1, timeout=WAIT)
    (result,) = reports.finished_results
    assert result.path is not None
    header, _ = read_sheet(result.path, "Staff")
    assert {"Classrooms taught (2025–26)", "Classroom names (2025–26)"} <= set(header)
    assert reporter.reported == []

    # the CLI, on its own cache of the same account: the same year and, with the GUI's date, the same staff
    login = ("login", "--server", next_year_synced.url, "--user", DEMO_ADMIN[0], "--password-stdin")
    assert run(capsys, *login, stdin=DEMO_ADMIN[1] + "\n")[0] == 0
    assert run(capsys, "sync")[0] == 0
    as_of = DEMO_AS_OF.isoformat()
    code, out, _ = run(capsys, "plan", "inactive-staff", "--as-of", as_of, "--json")
    assert code == 0
    assert "teachers with no classroom in 2025–26" in json.loads(out)["description"]
    code, out, _ = run(capsys, "plan", "inactive-staff", "--as-of", as_of, "--since", "2025-08-15", "--json")
    assert code == 0
    assert {item["id"] for item in json.loads(out)["items"]} == gui_staff

"""UI tests: offscreen Qt, a private app home, a small district on a live server."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported anywhere

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import keyring
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from connect_desktop.credentials import MemoryKeyring
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user
from ui.app import AppServices
from ui.controller import AppController
from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.signin import SignInDialog
from ui.tasks import TaskRunner

ADMIN_EMAIL = "admin@district.test"
ADMIN_PASSWORD = "correct horse battery"
AS_OF = dt.date(2026, 6, 20)


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("CONNECT_DESKTOP_HOME", str(home))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


class RecordingReporter(ErrorReporter):
    """Records what would be shown instead of opening modal dialogs."""

    def __init__(self) -> None:
        super().__init__()
        self.modal = False
        self.reported: list[BaseException] = []

    def report(self, exc: BaseException) -> None:
        self.reported.append(exc)
        super().report(exc)


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def runner(reporter: RecordingReporter) -> Iterator[TaskRunner]:
    task_runner = TaskRunner(on_unhandled=reporter.report)
    yield task_runner
    task_runner.shutdown()


@pytest.fixture
def bridge() -> MessageBridge:
    return MessageBridge()


@dataclass
class District:
    server: LiveServer
    build: RecordBuilder
    old_classrooms: list[dict[str, Any]]
    current_classrooms: list[dict[str, Any]]
    students: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def district(live_server: LiveServer) -> District:
    """One manual school: five classrooms of 2024–25, two of 2025–26, a few students."""
    build = RecordBuilder(live_server.sessions)
    school = build.school(name="Lincoln Elementary")
    old_term = build.term(
        name="2024–25",
        school_year=2025,
        start_date=dt.date(2024, 8, 20),
        end_date=dt.date(2025, 6, 12),
        school_id=school["id"],
    )
    # its last day is after AS_OF: on AS_OF the year still runs, so its classrooms stay
    term = build.term(name="2025–26", school_year=2026, end_date=dt.date(2026, 6, 26), school_id=school["id"])
    old = [build.classroom(school["id"], old_term["id"], name=f"Old class {n}") for n in range(5)]
    current = [build.classroom(school["id"], term["id"], name=f"Class {n}") for n in range(2)]
    students = [build.student(school["id"], grade=grade) for grade in ("K", "1", "1", "2", "3")]
    build.student(school["id"], grade="2", status="archived")
    add_user(live_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD, display_name="Dana Admin")
    return District(live_server, build, old, current, students)


def filled_sign_in(
    qtbot: QtBot,
    runner: TaskRunner,
    reporter: RecordingReporter,
    settings: UiSettings,
    bridge: MessageBridge,
    url: str,
    password: str = ADMIN_PASSWORD,
) -> tuple[AppController, SignInDialog]:
    """A new app's sign-in dialog with the address, the admin's e-mail and `password` typed in."""
    controller = AppController(
        AppServices(runner, reporter, settings, bridge), as_of=AS_OF, sync_interval_ms=0
    )
    dialog = controller.show_sign_in()
    qtbot.addWidget(dialog)
    dialog.server.setText(url)
    dialog.email.setText(ADMIN_EMAIL)
    dialog.password.setText(password)
    return controller, dialog


def open_app(
    qtbot: QtBot,
    district: District,
    runner: TaskRunner,
    reporter: RecordingReporter,
    settings: UiSettings,
    bridge: MessageBridge,
) -> tuple[AppController, MainWindow]:
    """Sign in to `district` as its district admin, through the sign-in dialog; the main
    window once its dashboard has numbers."""
    controller, dialog = filled_sign_in(qtbot, runner, reporter, settings, bridge, district.url)
    with qtbot.waitSignal(controller.main_shown, timeout=20_000) as shown:
        dialog.submit.click()
    window: MainWindow = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=10_000)
    return controller, window


class OpenedApp(NamedTuple):
    controller: AppController
    window: MainWindow


@pytest.fixture
def opened_app(
    qtbot: QtBot,
    district: District,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> Iterator[OpenedApp]:
    """The app signed in to `district` (`open_app`), shut down after the test."""
    controller, window = open_app(qtbot, district, runner, reporter, ui_settings, bridge)
    yield OpenedApp(controller, window)
    controller.shutdown()


OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"
"""The offscreen platform says this for every top-level window; it is not a problem of ours."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))

"""The demo's server runs in a process of its own, ends with the app, and its data folder (like
the cache's) is never where a file dialog opens (see tests/desktop/test_lock_hazard.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest
import requests
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from connect_desktop.api.schema import API_PREFIX
from connect_desktop.store.paths import data_dir
from tests.ui.conftest import RecordingReporter
from ui import dialog_dirs
from ui.app import AppServices
from ui.controller import AppController
from ui.demo import DEMO_AS_OF, DemoDistrict, DemoError, DemoLayout, start_demo
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.signin import SignInDialog
from ui.tasks import TaskRunner
from ui.wizard.reports import ReportsPage
from ui.wizard.students import NonReturningStudentsPage
from ui.wizard.sync_rollover import ArchivesTab, PreviewTab

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 50


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDistrict]:
    district = start_demo(tmp_path_factory.mktemp("demo"), STUDENTS)
    yield district
    district.stop()


def gone(pid: int, timeout: float = 30.0) -> bool:
    """The process `pid` has ended (a zombie waiting for its reaper counts as ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def sign_in(demo: DemoDistrict) -> str:
    """Sign in over HTTP, as the app does; the token."""
    body = {"username": demo.email, "password": demo.password}
    answer = requests.post(f"{demo.url}{API_PREFIX}/auth/token", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_the_demo_server_is_another_process_the_app_talks_to_over_http(demo: DemoDistrict) -> None:
    assert demo.pid != os.getpid()
    assert psutil.Process(demo.pid).is_running()
    server_folder = demo.server_folder.resolve()
    assert DemoLayout(demo.folder).database.exists()
    mine = [Path(f.path) for f in psutil.Process().open_files()]
    assert not [path for path in mine if path.resolve().is_relative_to(server_folder)]
    assert sign_in(demo)
    assert demo.next_year is not None
    assert not demo.next_year.resolve().is_relative_to(server_folder), "exports are outside the server's data"


def test_a_sync_from_an_export_runs_in_the_server_process(demo: DemoDistrict) -> None:
    assert demo.next_year is not None
    status = demo.sync_from(demo.next_year)
    headers = {"Authorization": f"Bearer {sign_in(demo)}"}
    runs = requests.get(f"{demo.url}{API_PREFIX}/sync/runs", headers=headers, timeout=30).json()
    assert len(runs) == 2  # the first run at seeding, then this one
    assert runs[0]["data"]["status"] == status
    # dated on the demo's own day, as the app's "today", never the calendar's date beside it
    assert {run["data"]["started_at"][:10] for run in runs} == {DEMO_AS_OF.isoformat()}


def test_the_demo_server_ends_when_the_app_stops_it_or_is_killed(tmp_path: Path) -> None:
    folder = tmp_path / "demo"  # its own: a folder's address serves one demo at a time
    app = subprocess.Popen(  # an app that starts the demo server, then hangs
        [sys.executable, "-c", APP, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert app.stdout is not None and app.stdin is not None
    child = json.loads(app.stdout.readline())
    assert psutil.Process(child["pid"]).is_running()
    app.kill()  # as a crash would: no clean-up runs in the app
    app.wait(timeout=30)
    app.stdin.close()
    app.stdout.close()
    assert gone(child["pid"]), "the server outlived the killed app"
    with pytest.raises(requests.ConnectionError):
        requests.get(child["url"], timeout=5)
    second = start_demo(folder, STUDENTS)  # right after the kill: the same address is free again
    try:
        assert second.url == child["url"]
    finally:
        second.stop()
    assert gone(second.pid, timeout=0.5)  # stop() waits for the end


APP = """
import json, sys
from pathlib import Path
from ui.demo import start_demo
district = start_demo(Path(sys.argv[1]), 50)
print(json.dumps({"pid": district.pid, "url": district.url}), flush=True)
sys.stdin.read()
"""


def test_a_demo_server_that_cannot_start_says_why_plainly(tmp_path: Path) -> None:
    layout = DemoLayout(tmp_path / "demo")
    layout.server.mkdir(parents=True)
    layout.database.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DemoError) as raised:
        start_demo(layout.folder, STUDENTS)
    message = raised.value.user_message
    assert message.startswith("The demo server did not start: file is not a database.")
    assert str(layout.log) in message
    assert "Traceback" in layout.log.read_text(encoding="utf-8"), "the detail is in the server's log"


def test_the_app_program_is_the_demo_server_when_asked(tmp_path: Path) -> None:
    """The frozen app starts itself as the server (`--demo-server`): main.py routes it."""
    layout = DemoLayout(tmp_path / "demo")
    layout.server.mkdir(parents=True)
    layout.database.write_bytes(b"\0" * 4096 + b"not a database")
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--demo-server", str(layout.folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"error": "file is not a database"}


def test_the_app_shows_a_failed_demo_start_as_a_message_and_quits(
    qtbot: QtBot,
    tmp_path: Path,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = DemoLayout(tmp_path / "demo")
    layout.server.mkdir(parents=True)
    layout.database.write_bytes(b"this is not a database" * 100)
    reporter.modal = True  # as in the app: the message is read, then the app ends
    monkeypatch.setattr(reporter, "show_problem", lambda problem: setattr(reporter, "last_problem", problem))
    controller = AppController(
        AppServices(runner, reporter, ui_settings, MessageBridge()), as_of=dt.date(2026, 6, 20)
    )
    with qtbot.waitSignal(controller.quit_requested, timeout=60_000):
        controller.start_demo(layout.folder, STUDENTS)
    assert reporter.last_problem is not None
    assert "The demo server did not start" in reporter.last_problem.message
    assert controller.demo is None and controller.sign_in_dialog is None


# -- file dialogs ---------------------------------------------------------------------------


@pytest.fixture
def demo_folders(tmp_path: Path) -> Iterator[DemoLayout]:
    layout = DemoLayout(tmp_path / "demo")
    for folder in (layout.server, layout.exports):
        folder.mkdir(parents=True)
    dialog_dirs.use_demo(layout.exports, layout.server)
    yield layout
    dialog_dirs.reset()


def test_a_dialog_start_is_never_in_a_data_folder(demo_folders: DemoLayout, tmp_path: Path) -> None:
    cache_file = data_dir() / "cache-0123.sqlite3"
    cache_file.write_bytes(b"")
    server_db = demo_folders.database
    server_db.write_bytes(b"")
    exports = str(demo_folders.exports)
    assert dialog_dirs.start_dir(cache_file) == exports
    assert dialog_dirs.start_dir(data_dir()) == exports
    assert dialog_dirs.start_dir(server_db) == exports
    assert dialog_dirs.start_dir() == exports
    assert dialog_dirs.start_dir(file_name="list.csv") == str(demo_folders.exports / "list.csv")
    chosen = tmp_path / "students.csv"
    chosen.write_text("student_number\n1\n", encoding="utf-8")
    assert dialog_dirs.start_dir(chosen) == str(chosen), "a file the user chose before is kept"
    dialog_dirs.reset()  # not in the demo: Documents, or home without one
    assert Path(dialog_dirs.start_dir(cache_file)) in {Path.home() / "Documents", Path.home()}


Opener = Callable[[Any], None]


def _wizard_openers(inside: Path) -> list[tuple[str, Opener]]:
    def page(**attrs: Any) -> SimpleNamespace:
        return SimpleNamespace(**attrs)

    archives = page(
        export_archives_to=lambda _p: None,
        selected_run=SimpleNamespace(started_at=dt.datetime(2026, 6, 20)),
    )
    preview = page(preview_package=lambda _p: None)
    return [
        ("rollover export", lambda _d: ArchivesTab.choose_export(archives, "csv")),  # type: ignore[arg-type]
        ("rollover zip", lambda _d: PreviewTab._choose_zip(preview)),  # type: ignore[arg-type]
        ("rollover folder", lambda _d: PreviewTab._choose_dir(preview)),  # type: ignore[arg-type]
        (
            "student file",
            lambda _d: NonReturningStudentsPage.choose_file_dialog(
                page(file_path=inside, load_file=lambda _p: None)
            ),  # type: ignore[arg-type]
        ),
        (
            "reports folder",
            lambda _d: ReportsPage.choose_folder(page(target_folder=lambda: inside.parent, folder=None)),  # type: ignore[arg-type]
        ),
        ("certificate", lambda dialog: (dialog.ca_bundle.setText(str(inside)), dialog._choose_ca_bundle())),
    ]


def test_every_file_dialog_starts_outside_the_data_folders(
    qtbot: QtBot,
    demo_folders: DemoLayout,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts: list[str] = []

    def pick_file(_parent: object, _title: str, start: str, *_filters: object) -> tuple[str, str]:
        starts.append(start)
        return "", ""  # cancelled

    def pick_folder(_parent: object, _title: str, start: str) -> str:
        starts.append(start)
        return ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick_file))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(pick_file))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(pick_folder))
    inside = data_dir() / "cache-0123.sqlite3"  # what each dialog was last pointed at
    inside.write_bytes(b"")
    dialog = SignInDialog(lambda *_a, **_k: None, runner, ui_settings, reporter)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    openers = _wizard_openers(inside)
    for _name, opener in openers:
        opener(dialog)
    assert len(starts) == len(openers)
    for (name, _opener), start in zip(openers, starts, strict=True):
        assert not dialog_dirs.in_data_folder(Path(start)), name
        assert Path(start).is_relative_to(demo_folders.exports), name


def test_a_kept_demo_folder_comes_back_on_the_same_address(tmp_path: Path) -> None:
    """The cache's file name comes from the server's address: the same address on a restart
    with `--demo-dir` finds the same cache, with its staged changes and progress."""
    first = start_demo(tmp_path / "kept", STUDENTS)
    first.stop()
    second = start_demo(tmp_path / "kept", STUDENTS)
    try:
        assert second.url == first.url
    finally:
        second.stop()


def test_a_kept_demo_folder_whose_address_is_taken_says_so_and_moves_nowhere(tmp_path: Path) -> None:
    """Another address would mean another cache: the staged changes would look lost."""
    first = start_demo(tmp_path / "kept", STUDENTS)
    port = int(first.url.rsplit(":", 1)[1])
    first.stop()
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", port))
    squatter.listen(1)
    try:
        with pytest.raises(DemoError) as raised:
            start_demo(tmp_path / "kept", STUDENTS)
    finally:
        squatter.close()
    message = raised.value.user_message
    assert f"its address 127.0.0.1:{port} is in use by another program" in message
    assert "staged changes and progress would not be found" in message
    again = start_demo(tmp_path / "kept", STUDENTS)  # once it is free, the same address again
    try:
        assert again.url == first.url
    finally:
        again.stop()

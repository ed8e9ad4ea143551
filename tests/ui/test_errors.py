"""Two kinds of error: what the user can fix gets its plain message, a bug gets a report.

And a background sync that fails says so in the status bar, never with a dialog.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import OperationalError

import connect_desktop
from connect_desktop.api import errors as api_errors
from connect_desktop.api.address import AddressError
from connect_desktop.errors import KnownError
from connect_desktop.reports.errors import FolderFullError
from connect_desktop.rollover.plan import PlanError
from connect_desktop.rollover.roster_file import RosterFileError
from connect_desktop.rostering.diagnostics import Diagnostic, SourceError
from connect_desktop.session import NotSignedIn
from connect_desktop.store import errors as store_errors
from connect_desktop.store.rescue import RescueFileError
from connect_desktop.sync.outbox import StagingError
from tests.support.small_disk import SmallDisk, disk
from tests.ui.conftest import District, OpenedApp, RecordingReporter
from ui.demo import DemoError
from ui.errors import bug_report, known_problem
from ui.tasks import TaskRunner

__all__ = ["disk"]  # the fixture, imported for the test below

WAIT = 30_000


@pytest.mark.parametrize(
    "error",
    [
        api_errors.ServerError("HTTP 502"),
        AddressError("That is not a server address."),
        StagingError("This change cannot be prepared."),
        PlanError("Choose a school first."),
        RosterFileError("The file has no student numbers."),
        SourceError(Diagnostic("error", "unsafe_archive", "The package is not a safe zip file.")),
        RescueFileError("The file is not a rescue file."),
        NotSignedIn(),
        store_errors.CacheTooNewError(),
        FolderFullError(Path("reports")),
        DemoError("The demo server did not start."),
    ],
    ids=type,
)
def test_every_core_error_is_a_fixable_problem_with_its_plain_message(error: KnownError) -> None:
    problem = known_problem(error)
    assert problem is not None and problem.message == error.plain and problem.message
    assert problem.title == error.title


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (api_errors.Unreachable("refused"), "Cannot reach the Connect server"),
        (api_errors.CertificateProblem("self-signed"), "Cannot reach the Connect server"),
        (api_errors.Throttled(retry_after=3), "Cannot reach the Connect server"),
        (api_errors.WrongCredentials(), "Sign-in needed"),
        (api_errors.Forbidden(), "Not allowed"),
        (store_errors.CacheLockedError(), "Connect Desktop is busy"),
    ],
)
def test_the_title_says_what_kind_of_problem_it_is(error: KnownError, title: str) -> None:
    problem = known_problem(error)
    assert problem is not None and problem.title == title


def test_a_user_message_alone_does_not_make_an_error_fixable() -> None:
    class Unreachable(Exception):  # noqa: N818 - named like the real one, to fool name matching
        user_message = "The Connect server cannot be reached."

    assert known_problem(Unreachable()) is None


@pytest.mark.parametrize(
    ("error", "meant"),
    [
        (sqlite3.OperationalError("database or disk is full"), store_errors.CacheDiskFullError),
        (sqlite3.OperationalError("database is locked"), store_errors.CacheLockedError),
        (sqlite3.DatabaseError("database disk image is malformed"), store_errors.damaged),
        (sqlite3.OperationalError("attempt to write a readonly database"), store_errors.CacheReadOnlyError),
        (OSError(errno.ENOSPC, "No space left on device"), store_errors.CacheDiskFullError),
    ],
    # the same ids in every test process (a function's str carries its address)
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_sqlite_and_disk_errors_anywhere_are_fixable(
    error: Exception, meant: Callable[[], store_errors.CacheError]
) -> None:
    expected = meant()
    wrapped = OperationalError("INSERT INTO student …", {}, error)  # as SQLAlchemy raises it
    for raised in (error, wrapped):
        problem = known_problem(raised)
        assert problem is not None
        assert (problem.title, problem.message) == (expected.title, expected.user_message)


def test_a_file_missing_elsewhere_is_a_bug_not_the_data_folders_problem() -> None:
    assert known_problem(FileNotFoundError(errno.ENOENT, "No such file", "icons/app.png")) is None
    assert known_problem(RuntimeError("boom")) is None


def test_the_bug_report_names_the_version_and_no_home_folder() -> None:
    try:
        raise RuntimeError("a value that must not be shared")
    except RuntimeError as exc:
        report = bug_report(exc)
    assert report.splitlines()[0].startswith(f"Connect Desktop {connect_desktop.__version__}")
    assert "PySide6 " in report and "tests/ui/test_errors.py" not in report  # no folders, only file names
    assert "must not be shared" not in report and str(Path.home()) not in report


def test_sqlite_disk_full_in_a_task_is_the_plain_message(
    qtbot: QtBot, disk: SmallDisk, runner: TaskRunner, reporter: RecordingReporter
) -> None:
    """A real full disk under an SQLite write inside a background task: a message box with the
    plain words, not the bug dialog."""
    connection = sqlite3.connect(disk.path / "cache.sqlite", check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x BLOB)")
    connection.commit()
    disk.fill()

    def work(_ctx: object) -> None:
        with connection:
            connection.execute("INSERT INTO t VALUES (zeroblob(1000000))")

    try:
        runner.run(work, name="write")
        qtbot.waitUntil(lambda: bool(reporter.reported), timeout=WAIT)
    finally:
        connection.close()
    (raised,) = reporter.reported
    assert isinstance(raised, sqlite3.OperationalError)  # what SQLite said …
    assert reporter.last_bug is None and reporter.last_problem is not None  # … is shown as fixable
    assert reporter.last_problem.message == store_errors.CacheDiskFullError().user_message
    (box,) = reporter.open_dialogs
    assert isinstance(box, QMessageBox) and box.objectName() == "problemBox"
    for dialog in reporter.open_dialogs:
        dialog.close()


def open_dialogs(earlier: frozenset[QDialog] = frozenset()) -> list[QDialog]:
    """Visible dialogs, leaving out `earlier` ones (left open by an earlier test's window)."""
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QDialog) and w.isVisible() and w not in earlier
    ]


def test_a_failed_background_sync_shows_a_notice_until_a_sync_succeeds(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    notice = window.sync_notice
    earlier = frozenset(open_dialogs())
    assert notice.isHidden()

    district.server.stop()  # offline
    try:
        for _tick in range(2):  # the five-minute timer, twice: a notice, never a dialog
            with qtbot.waitSignal(window.sync_failed, timeout=WAIT):
                window.timer.timeout.emit()
            assert not notice.isHidden() and notice.problem is not None
            assert notice.problem.title == "Cannot reach the Connect server"
            assert "Cannot reach the Connect server" in notice.text.text()
            assert "cannot be reached" in notice.text.toolTip()
            assert open_dialogs(earlier) == [] and reporter.reported == []
    finally:
        district.server.start()

    with qtbot.waitSignal(window.synced, timeout=WAIT):
        notice.again.click()  # "Try again", as the user would
    assert notice.isHidden() and notice.problem is None
    assert open_dialogs(earlier) == [] and reporter.reported == []

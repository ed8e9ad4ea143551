"""Headless guards: a bug or a critical Qt message fails the run instead of opening a dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType

from connect_desktop.errors import KnownError
from ui.headless import HeadlessGuard


def _no_loop(_code: int) -> None:
    """Leave the test run's own QApplication alone (exit() would end its next event loop)."""


class BoomError(Exception):
    pass


class FixableError(KnownError):
    user_message = "The server cannot be reached."


@pytest.fixture
def exits() -> list[int]:
    return []


@pytest.fixture
def guard(exits: list[int], monkeypatch: pytest.MonkeyPatch) -> HeadlessGuard:
    monkeypatch.setattr("ui.headless.GRACE_S", 0.0)
    return HeadlessGuard("self-test", problems_fail=True, hard_exit=exits.append, stop_loop=_no_loop)


def _wait_for(exits: list[int]) -> None:
    import time

    deadline = time.monotonic() + 5
    while not exits and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_bug_fails_the_run_with_its_step(
    guard: HeadlessGuard, exits: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    guard.step = "sign in"
    try:
        raise BoomError("no such table: feed_counter")
    except BoomError as exc:
        guard.reporter().report(exc)
    _wait_for(exits)
    assert exits == [70]
    err = capsys.readouterr().err
    assert "self-test FAILED: sign in: BoomError: no such table: feed_counter (at " in err
    assert guard.reporter().open_dialogs == []


def test_a_fixable_problem_fails_a_self_test_but_not_the_screenshots(
    exits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ui.headless.GRACE_S", 0.0)
    screenshots = HeadlessGuard(
        "screenshots", problems_fail=False, hard_exit=exits.append, stop_loop=_no_loop
    )
    reporter = screenshots.reporter()
    monkeypatch.setattr(reporter, "show_problem", lambda problem: None)
    reporter.report(FixableError())
    assert screenshots.failures == []
    strict = HeadlessGuard("self-test", problems_fail=True, hard_exit=exits.append, stop_loop=_no_loop)
    strict.reporter().report(FixableError())
    assert strict.failures == ["FixableError: The server cannot be reached."]


def test_a_critical_qt_message_fails_the_run(guard: HeadlessGuard, exits: list[int]) -> None:
    guard.qt_message(QtMsgType.QtCriticalMsg, QMessageLogContext(), "could not load the platform plugin")
    guard.qt_message(QtMsgType.QtWarningMsg, QMessageLogContext(), "just a warning")
    _wait_for(exits)
    assert guard.failures == ["Qt (qt): could not load the platform plugin"]
    assert exits and exits[0] == 70

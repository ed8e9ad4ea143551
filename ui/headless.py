"""Headless runs (`--self-test`, `--screenshots`) never wait on a dialog nobody can click.

In these modes an unexpected error — a Python exception escaping a slot or a background
task, a bug the reporter would show, a critical or fatal Qt message — prints one line
saying what failed and ends the process with a non-zero code at once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QMessageLogContext, QtMsgType, qInstallMessageHandler

from connect_desktop.errors import short_path
from ui.errors import ErrorReporter, bug_report, known_problem
from ui.logs import install_qt_message_handler

log = logging.getLogger(__name__)

EXIT_FAILED = 70  # EX_SOFTWARE
GRACE_S = 10.0
"""How long a clean shutdown may take after a failure before the process is ended hard."""


def _exit_event_loop(code: int) -> None:
    app = QCoreApplication.instance()
    if app is not None:
        app.exit(code)  # does nothing before exec(): the watchdog in `fail` covers that


def _flush() -> None:
    if sys.stderr is not None:  # a windowed Windows build has none
        sys.stderr.flush()


class HeadlessGuard:
    """Turns unexpected errors into `MODE FAILED: …` on stderr and a non-zero exit."""

    def __init__(
        self,
        mode: str,
        *,
        problems_fail: bool = False,
        hard_exit: Callable[[int], object] = os._exit,
        stop_loop: Callable[[int], object] | None = None,
    ) -> None:
        self.mode = mode
        self._hard_exit = hard_exit
        self._stop_loop = stop_loop or _exit_event_loop
        self.problems_fail = problems_fail
        """Also fail on a fixable problem (a self-test expects none; screenshots show some)."""
        self.failures: list[str] = []
        self.step: str | None = None
        """What the run was doing (the self-test names its steps); prefixed to failures."""

    def reporter(self) -> HeadlessReporter:
        return HeadlessReporter(self)

    def fail(self, message: str, code: int = EXIT_FAILED) -> None:
        """Say what failed, ask the event loop to stop, and make sure the process ends."""
        if self.step and not message.startswith(self.step):
            message = f"{self.step}: {message}"
        self.failures.append(message)
        print(f"{self.mode} FAILED: {message}", file=sys.stderr, flush=True)
        log.error("%s failed: %s", self.mode, message)
        self._stop_loop(code)

        def hard_exit() -> None:
            _flush()
            self._hard_exit(code)

        timer = threading.Timer(GRACE_S, hard_exit)
        timer.daemon = True
        timer.start()

    def install(self) -> None:
        """Install the exception hook and the Qt message handler."""
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_excepthook
        qInstallMessageHandler(self.qt_message)

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, exc, tb))
        traceback.print_exception(kind, exc, tb, file=sys.stderr)
        self.fail(f"unexpected error: {kind.__name__}: {exc}")

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def qt_message(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category or "qt"
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            self.fail(f"Qt ({category}): {message}")
            if kind == QtMsgType.QtFatalMsg:  # Qt aborts when this returns: end cleanly first
                _flush()
                self._hard_exit(EXIT_FAILED)
            return
        level = logging.WARNING if kind == QtMsgType.QtWarningMsg else logging.DEBUG
        logging.getLogger("qt").log(level, "%s (%s)", message, category)

    def uninstall(self) -> None:
        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__
        install_qt_message_handler()


class HeadlessReporter(ErrorReporter):
    """Never opens a dialog for a bug: the run fails instead. Known problems too, if asked."""

    def __init__(self, guard: HeadlessGuard) -> None:
        super().__init__()
        self.modal = False
        self.guard = guard

    def report(self, exc: BaseException) -> None:
        problem = known_problem(exc)
        if problem is not None and not self.guard.problems_fail:
            super().report(exc)
            return
        log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        if problem is None:
            print(bug_report(exc), file=sys.stderr, flush=True)
        detail = problem.message if problem is not None else f"{exc}{_where(exc)}"
        self.guard.fail(f"{type(exc).__name__}: {detail}")


def _where(exc: BaseException) -> str:
    """` (at alembic/script/revision.py:123)`: the innermost frame, without home folders."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f" (at {short_path(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""

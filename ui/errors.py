"""Two kinds of errors: a problem the user can fix, and a bug.

A *fixable problem* is any exception carrying a plain `user_message` (the api, store
and sync errors of `connect_desktop`) plus a few OS-level ones (disk full, no
permission): it gets a message box saying what happened and what to do. Anything else
is a *bug*: a dialog with a copyable report (traceback and versions, no personal data)
and a line in the log.
"""

from __future__ import annotations

import errno
import logging
import platform
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.version import app_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownProblem:
    """A fixable problem in words: what happened, and what to do."""

    title: str
    message: str


def known_problem(exc: BaseException) -> KnownProblem | None:
    """The plain-language form of `exc`, or None when it is a bug."""
    user_message = getattr(exc, "user_message", None)
    if isinstance(user_message, str) and user_message:
        return KnownProblem(_title_for(exc), user_message)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return KnownProblem(
            "The disk is full",
            "There is no space left on this computer's disk. Free some space, then try again. "
            "Your changes so far are kept.",
        )
    if isinstance(exc, PermissionError):
        return KnownProblem(
            "No permission",
            "Connect Desktop is not allowed to write to its data folder. "
            "Check the folder's permissions or ask your IT department.",
        )
    return None


def _title_for(exc: BaseException) -> str:
    name = type(exc).__name__
    if name in {"Unreachable", "CertificateProblem", "Throttled"}:
        return "Cannot reach the Connect server"
    if name in {"SignedOut", "WrongCredentials"}:
        return "Sign-in needed"
    if name == "Forbidden":
        return "Not allowed"
    if name.startswith("Cache"):
        return "Local data problem"
    return "Something needs your attention"


def bug_report(exc: BaseException) -> str:
    """A report safe to share: versions and the traceback (no values, no personal data)."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [
        f"Connect Desktop {app_version()}" + (" (installed build)" if getattr(sys, "frozen", False) else ""),
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
        f" ({platform.machine()})",
        f"PySide6 {pyside_version}, Qt {qVersion()}",
        "",
        "Traceback (most recent call last):",
    ]
    lines += [f'  File "{_short_path(f.filename)}", line {f.lineno}, in {f.name}' for f in frames]
    lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
    return "\n".join(lines)


def _short_path(path: str) -> str:
    """Drop the user's home and install folders from a path in a report."""
    for marker in ("site-packages/", "connect_desktop/", "connect_server/", "ui/"):
        at = path.replace("\\", "/").rfind(marker)
        if at >= 0:
            return path.replace("\\", "/")[at:]
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class BugDialog(QDialog):
    """ "Something went wrong in Connect Desktop" with the report ready to copy."""

    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect Desktop ran into a problem")
        self.setObjectName("bugDialog")
        self.report = report
        intro = QLabel(
            "<b>Something went wrong inside Connect Desktop.</b><br>"
            "This is not your fault. Your staged changes are safe on this computer.<br>"
            "Please copy the report below and send it to support. It contains no names or records."
        )
        intro.setWordWrap(True)
        text = QPlainTextEdit(report)
        text.setReadOnly(True)
        text.setAccessibleName("Problem report")
        text.setMinimumSize(520, 200)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setAccessibleName("Copy report")
        copy.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(text)
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report)


class ErrorReporter:
    """Shows any exception the right way; tests may replace `show_problem`/`show_bug`."""

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None) -> None:
        self._parent = parent
        self.last_problem: KnownProblem | None = None
        self.last_bug: str | None = None
        self.modal = True  # False in tests and screenshots: build dialogs without exec()
        self.open_dialogs: list[QDialog] = []

    def report(self, exc: BaseException) -> None:
        problem = known_problem(exc)
        if problem is not None:
            log.info("problem shown to the user: %s", type(exc).__name__)
            self.show_problem(problem)
        else:
            log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
            self.show_bug(bug_report(exc))

    def show_problem(self, problem: KnownProblem) -> None:
        self.last_problem = problem
        box = QMessageBox(QMessageBox.Icon.Warning, problem.title, problem.message, parent=self._parent())
        box.setObjectName("problemBox")
        self._show(box)

    def show_bug(self, report: str) -> None:
        self.last_bug = report
        self._show(BugDialog(report, self._parent()))

    def _show(self, dialog: QDialog) -> None:
        if self.modal:
            dialog.exec()
        else:
            self.open_dialogs.append(dialog)
            dialog.open()

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """For `sys.excepthook`: exceptions escaping Qt slots land here."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        self.report(exc)

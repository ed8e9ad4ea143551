"""Showing the two kinds of error (`connect_desktop.errors`): a problem the user can fix, and a bug.

A *fixable problem* (a `KnownError`, or an SQLite or disk error that means one) gets a
message box saying what happened and what to do. Anything else is a *bug*: a dialog with a
copyable report (versions and the traceback's places, no personal data) and a line in the log.
"""

from __future__ import annotations

import logging
import sys
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

from connect_desktop import errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownProblem:
    """A fixable problem in words: what happened, and what to do."""

    title: str
    message: str


def known_problem(exc: BaseException) -> KnownProblem | None:
    """The plain-language form of `exc`, or None when it is a bug."""
    known = errors.known(exc)
    return None if known is None else KnownProblem(known.title, known.plain)


def bug_report(exc: BaseException) -> str:
    """A report safe to share: versions, the toolkit's too, and the traceback's places."""
    return errors.bug_report(exc, versions=[f"PySide6 {pyside_version}, Qt {qVersion()}"])


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

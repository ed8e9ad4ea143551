"""The status bar's notice that the last sync failed; it stays until a sync succeeds.

A background sync runs every few minutes: when it fails (offline, signed out) the window
says so here instead of opening a dialog each time, and offers to try again.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ui.errors import KnownProblem


class SyncNotice(QWidget):
    """Hidden while syncs succeed; `show_failure` shows one, `clear` hides it. `retry` on "Try again"."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncNotice")
        self.text = QLabel()
        self.text.setObjectName("warningText")
        self.text.setAccessibleName("Sync problem")
        self.again = QPushButton("Try &again")
        self.again.setAccessibleName("Sync again")
        self.again.clicked.connect(self.retry)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.again)
        self.problem: KnownProblem | None = None
        self.hide()

    def show_failure(self, problem: KnownProblem) -> None:
        """Say that syncing failed and why; the whole message is the label's tool tip."""
        self.problem = problem
        self.text.setText(f"Not synced: {problem.title}. Connect Desktop tries again every few minutes.")
        self.text.setToolTip(problem.message)
        self.text.setAccessibleDescription(problem.message)
        self.show()

    def clear(self) -> None:
        self.problem = None
        self.text.clear()
        self.hide()

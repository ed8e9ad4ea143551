"""The typed confirmation a permanent delete needs: the exact phrase from the planner."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.wizard.page import label


class ConfirmDeleteDialog(QDialog):
    """OK stays disabled until the typed text is exactly `phrase`.

    `download_reports` is emitted (and the dialog rejected) when the user chooses to
    download the reports first.
    """

    download_reports = Signal()

    def __init__(self, phrase: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phrase = phrase
        self.setWindowTitle("Delete permanently?")
        self.setAccessibleName("Confirm permanent delete")
        self.setMinimumWidth(520)
        self.warning = label(
            f"Deleting removes {what} from Connect for good, with their classes and family links. "
            "This cannot be undone, not even from this program. Archiving keeps them and can be undone.",
            "explanation",
        )
        self.reports_hint = label(
            "Keep a copy first: download the student and roster reports before you delete.", "hint"
        )
        self.reports = QPushButton("&Download reports first…")
        self.reports.setAccessibleName("Download reports first")
        self.reports.setAutoDefault(False)
        self.reports.clicked.connect(self._go_to_reports)
        self.instruction = label("To go ahead, type exactly:", "explanation")
        self.phrase_label = label(phrase, "sectionTitle")
        self.phrase_label.setAccessibleName("Phrase to type")
        self.typed = QLineEdit()
        self.typed.setAccessibleName("Type the phrase to confirm")
        self.typed.setPlaceholderText(phrase)
        self.typed.textChanged.connect(self._check)
        self.typed_problem = label("", "hint")
        self.typed_problem.setAccessibleName("What to type")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(
            phrase.capitalize().replace("Delete", "De&lete", 1), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok.setAccessibleName("Delete permanently")
        self.ok.setEnabled(False)
        self.ok.setAutoDefault(False)
        self.buttons.accepted.connect(self._accept_if_typed)
        self.buttons.rejected.connect(self.reject)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        cancel.setDefault(True)
        reports_row = QHBoxLayout()
        reports_row.addWidget(self.reports_hint, 1)
        reports_row.addWidget(self.reports)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addLayout(reports_row)
        layout.addWidget(self.instruction)
        layout.addWidget(self.phrase_label)
        layout.addWidget(self.typed)
        layout.addWidget(self.typed_problem)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.reports, self.typed)
        self.typed.setFocus()

    def matches(self) -> bool:
        return self.typed.text().strip() == self.phrase

    def _check(self, _text: str) -> None:
        self.ok.setEnabled(self.matches())
        self.typed_problem.setText("")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Enter in the phrase field deletes once the phrase is typed exactly, and says what
        is missing otherwise; it never closes the dialog silently (Escape cancels)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() is self.typed:
            if self.matches():
                self.accept()
            else:
                self.typed_problem.setText(
                    f"Type {self.phrase} exactly as shown to delete, or press Escape to cancel."
                )
            return
        super().keyPressEvent(event)

    def _accept_if_typed(self) -> None:
        if self.matches():
            self.accept()

    def _go_to_reports(self) -> None:
        self.reject()
        self.download_reports.emit()

    def confirmation(self) -> str | None:
        """The phrase, when it was typed exactly; None otherwise."""
        return self.phrase if self.matches() else None

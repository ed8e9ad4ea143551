"""`ui.dialogs.confirm`: Cancel is the default, only the action button confirms."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ui.dialogs import confirm


def ask(parent: QWidget, answers: list[str]) -> QMessageBox:
    return confirm(
        parent,
        title="Send changes",
        text="Send 3 changes to Connect?",
        details="They take effect at once.",
        action="&Send 3",
        action_name="Send 3 changes",
        on_confirm=lambda: answers.append("confirmed"),
        on_close=lambda: answers.append("closed"),
    )


def test_the_action_button_confirms(qtbot: QtBot) -> None:
    answers: list[str] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    box = ask(parent, answers)
    assert box.isVisible() and box.text() == "Send 3 changes to Connect?"
    go = next(b for b in box.buttons() if b.accessibleName() == "Send 3 changes")
    go.click()
    qtbot.waitUntil(lambda: answers == ["closed", "confirmed"])


def test_enter_cancels_and_nothing_is_confirmed(qtbot: QtBot) -> None:
    answers: list[str] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    box = ask(parent, answers)
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: answers == ["closed"])

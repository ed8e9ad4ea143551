"""The first download's dialog: Enter never stops it (Cancel is its only button, and was the
default one); Escape and a click on Cancel still do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from tests.ui.conftest import RecordingReporter
from ui.download import DownloadDialog
from ui.tasks import TaskRunner


def test_enter_does_not_cancel_the_first_download_but_escape_does(
    qtbot: QtBot, runner: TaskRunner, reporter: RecordingReporter
) -> None:
    dialog = DownloadDialog(None, runner, reporter)  # not started: Cancel would close it at once
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    cancel.setFocus()
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Enter)
    assert dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

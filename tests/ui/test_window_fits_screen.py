"""The main window never opens larger than the screen: on a small screen every button stays reachable."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from connect_desktop.yearend.steps import STEPS
from tests.ui.conftest import OpenedApp
from ui.main_window import TITLE_BAR_ALLOWANCE

SMALL_SCREEN = QSize(1024, 768)
ROOM = 64
"""Left for window borders and for fonts a little wider than the offscreen test's."""


def test_a_screen_smaller_than_the_preferred_size_opens_the_window_maximised(
    qtbot: QtBot,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    area = window.screen().availableGeometry()
    assert area.height() < 1280 or area.width() < 1280  # the offscreen screen is smaller than preferred
    assert window.isMaximized()
    assert area.contains(window.geometry()), (window.geometry(), area)
    for spec in STEPS:  # every page may be shown: none may need more than a small laptop screen
        window.show_wizard(spec.step_id)
    needed = window.minimumSizeHint()
    assert needed.width() + ROOM <= SMALL_SCREEN.width(), needed
    assert needed.height() + TITLE_BAR_ALLOWANCE <= SMALL_SCREEN.height(), needed
    window.show_wizard("archive_classrooms")
    qtbot.waitUntil(lambda: window.wizard.next.isVisible(), timeout=5_000)
    corner = window.wizard.next.mapTo(window, window.wizard.next.rect().bottomRight())
    assert window.rect().contains(corner), "the Next button lies outside the window"

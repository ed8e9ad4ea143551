"""Alt+letter reaches one control only: no two visible controls share an access key."""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtWidgets import QAbstractButton, QLabel, QMainWindow, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from connect_desktop.yearend.steps import STEPS
from tests.ui.conftest import OpenedApp

_KEY = re.compile(r"&([^&\s])")


def _access_keys(window: QMainWindow) -> dict[str, list[str]]:
    """Access key → the texts of the visible controls that use it (menus and tabs included)."""
    keys: dict[str, list[str]] = defaultdict(list)

    def add(text: str) -> None:
        found = _KEY.search(text.replace("&&", ""))
        if found:
            keys[found.group(1).casefold()].append(text)

    for action in window.menuBar().actions():
        add(action.text())
    for tabs in window.findChildren(QTabWidget):  # the window's and a page's own tabs
        if tabs.isVisible():
            for index in range(tabs.count()):
                add(tabs.tabText(index))
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        labelled = isinstance(widget, QLabel) and widget.buddy() is not None
        if isinstance(widget, QAbstractButton) or labelled:
            add(widget.text())
    return keys


def _clashes(window: QMainWindow) -> dict[str, list[str]]:
    return {key: texts for key, texts in _access_keys(window).items() if len(texts) > 1}


def clashes_on_every_tab(window: QMainWindow) -> dict[str, dict[str, list[str]]]:
    """The clashes with each tab of the page's own tab widgets open in turn."""
    found = {"": _clashes(window)}
    for tabs in window.findChildren(QTabWidget):
        if tabs.isVisible() and tabs is not getattr(window, "tabs", None):
            for index in range(tabs.count()):
                tabs.setCurrentIndex(index)
                found[tabs.tabText(index)] = _clashes(window)
            tabs.setCurrentIndex(0)
    return {tab: clash for tab, clash in found.items() if clash}


def test_no_two_visible_controls_share_an_access_key(qtbot: QtBot, opened_app: OpenedApp) -> None:
    window = opened_app.window
    window.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.dashboard.isVisible(), timeout=5_000)
    clashes = {"dashboard": _clashes(window)}
    for spec in STEPS:
        window.show_wizard(spec.step_id)
        qtbot.waitUntil(lambda: window.wizard.isVisible(), timeout=5_000)
        clashes[spec.step_id] = clashes_on_every_tab(window)
    found = {str(page): c for page, c in clashes.items() if c}
    assert found == {}

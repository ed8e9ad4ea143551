"""Drive the real app against the live server: sign in, download, stage, review, send."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.conftest import OpenedApp


def test_sign_in_download_and_dashboard(qtbot: QtBot, opened_app: OpenedApp) -> None:
    window = opened_app.window
    assert window.dashboard.count_labels["classroom"].text() == "7"

"""Drive the real app against the live server: sign in, download, stage, review, send."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.conftest import District, RecordingReporter
from tests.ui.test_year_end_flow import open_app
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner


def test_sign_in_download_and_dashboard(
    qtbot: QtBot,
    district: District,
    runner: TaskRunner,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    controller, window = open_app(qtbot, district, runner, reporter, ui_settings, bridge)
    assert window.dashboard.count_labels["classroom"].text() == "7"
    controller.shutdown()

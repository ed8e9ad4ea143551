"""Drive the real app against the live server: sign in, download, stage, review, send."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, AS_OF, District, RecordingReporter
from ui.controller import AppController
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
    controller = AppController(runner, reporter, ui_settings, bridge, as_of=AS_OF, sync_interval_ms=0)
    dialog = controller.show_sign_in()
    qtbot.addWidget(dialog)
    dialog.server.setText(district.url)
    dialog.email.setText(ADMIN_EMAIL)
    dialog.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(controller.main_shown, timeout=20_000) as shown:
        dialog.submit.click()
    window = shown.args[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=10_000)
    assert window.dashboard.count_labels["classroom"].text() == "7"
    controller.shutdown()

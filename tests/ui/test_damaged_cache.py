"""A damaged local copy, met in the window: signing in rescues it and says what happened."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from connect_desktop.sync.outbox import Outbox
from tests.ui.conftest import District, RecordingReporter, open_app
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.tasks import TaskRunner


def test_signing_in_over_a_damaged_copy_keeps_the_staged_changes_and_says_so(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    ui_settings: UiSettings,
    bridge: MessageBridge,
) -> None:
    first = TaskRunner(on_unhandled=reporter.report)
    controller, window = open_app(qtbot, district, first, reporter, ui_settings, bridge)
    op_id = Outbox(window.service.cache).stage(
        "archive_classroom", "classroom", district.old_classrooms[0]["id"], step="archive_classrooms"
    )
    path: Path = window.service.account.cache_path
    controller.shutdown()  # closes the cache
    data = bytearray(path.read_bytes())
    data[:4096] = bytes(4096)  # the header and the schema's first page: SQLite cannot open it
    path.write_bytes(bytes(data))

    again = TaskRunner(on_unhandled=reporter.report)
    controller, window = open_app(qtbot, district, again, reporter, ui_settings, bridge)
    try:
        problem = reporter.last_problem
        assert problem is not None and problem.title == "Your local copy was damaged"
        assert "1 staged change not sent yet" in problem.message and "set aside" in problem.message
        assert reporter.last_bug is None and reporter.reported == []
        assert [row.op_id for row in window.service.pending()] == [op_id]
        assert list(path.parent.glob(f"{path.name}.damaged-*"))
    finally:
        controller.shutdown()

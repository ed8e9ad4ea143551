"""The version shows in the About box and in the bug report."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from connect_desktop.version import app_version
from ui.about import about_box, about_lines
from ui.errors import bug_report


def test_the_about_box_shows_the_version_and_the_folders(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECT_DESKTOP_HOME", str(tmp_path))
    box = about_box()
    qtbot.addWidget(box)
    assert f"Connect Desktop {app_version()}" in box.text()
    assert str(tmp_path) in box.informativeText()
    assert any(line.startswith("Log folder: ") for line in about_lines())


def test_the_bug_report_names_the_version() -> None:
    try:
        raise ValueError("example")
    except ValueError as exc:
        report = bug_report(exc)
    assert report.splitlines()[0].startswith(f"Connect Desktop {app_version()}")

"""The log folder and every log file (rotated ones too) are readable by their owner only."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import ui.logs
from ui.logs import LOG_FILE, PrivateRotatingFileHandler, log_dir, private_file_handler, setup_logging

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask (0755 folders, 0644 files), so owner-only modes are the code's doing."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_log_folder_is_owner_only_even_when_it_existed(app_home: Path) -> None:
    (app_home / "logs").mkdir(parents=True, mode=0o755)
    assert mode(app_home / "logs") == 0o755
    assert log_dir() == app_home / "logs"
    assert mode(app_home / "logs") == 0o700


def test_the_log_file_and_its_rotations_are_owner_only(app_home: Path) -> None:
    folder = log_dir()
    path = folder / LOG_FILE
    path.write_text("written by an older version\n")
    (folder / f"{LOG_FILE}.1").write_text("an older backup\n")
    handler = private_file_handler(path)
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 200
    log = logging.getLogger("tests.ui.logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        for n in range(20):
            log.warning("line %d of a log that rotates every few lines", n)
    finally:
        log.removeHandler(handler)
        log.propagate = True
        handler.close()
    files = sorted(folder.glob(LOG_FILE + "*"))
    assert len(files) == 6  # the file and its five backups
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert "line 19" in path.read_text()


def test_setting_up_logging_twice_writes_each_line_once(
    app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.logs, "install_qt_message_handler", lambda: None)  # keep pytest-qt's handler
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        path = setup_logging()
        assert setup_logging() == path
        ours = [h for h in root.handlers if isinstance(h, PrivateRotatingFileHandler)]
        assert len(ours) == 1
        logging.getLogger("tests.ui.logs").warning("written once")
        ours[0].flush()
        assert path.read_text().count("written once") == 1
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)

"""Logging: a rotating file in the platform log folder, and Qt's own messages routed in.

The folder is `platformdirs.user_log_dir("ConnectDesktop")`, or `$CONNECT_DESKTOP_HOME/logs`
when that is set; it is owner-only (0700) and so are the log files (0600). Log lines
carry record counts, types and ids at most: no names, e-mail addresses or passwords
(the code that logs is responsible for that).
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from connect_desktop.store.paths import APP_NAME, HOME_ENV

LOG_FILE = "connect-desktop.log"
_qt_log = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def log_dir() -> Path:
    """The log folder, created (or tightened) owner-only."""
    home = os.environ.get(HOME_ENV)
    folder = Path(home) / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # file systems without modes
        folder.chmod(0o700)
    return folder


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file (the current one and each new one) is owner-only."""

    def _open(self) -> io.TextIOWrapper:  # the stdlib hook that opens each file
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with contextlib.suppress(OSError):  # a file from an older version, or no modes
            Path(self.baseFilename).chmod(0o600)
        # "a": a RotatingFileHandler with a size limit always appends (it sets self.mode so)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: PTH123


def private_file_handler(path: Path) -> logging.Handler:
    """The app's log file handler: 1 MB x 5 files, owner-only."""
    for old in path.parent.glob(path.name + ".*"):  # backups written before files were private
        with contextlib.suppress(OSError):
            old.chmod(0o600)
    handler = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file (1 MB x 5) and route Qt messages into logging; returns the file."""
    path = log_dir() / LOG_FILE
    root = logging.getLogger()
    if not any(isinstance(h, PrivateRotatingFileHandler) for h in root.handlers):
        root.addHandler(private_file_handler(path))
    root.setLevel(level)
    install_qt_message_handler()
    return path


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    _qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s (%s)", message, context.category or "qt")


def install_qt_message_handler() -> None:
    qInstallMessageHandler(_qt_message)

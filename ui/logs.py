"""Logging: a rotating file in the platform log folder, and Qt's own messages routed in.

The folder is `platformdirs.user_log_dir("ConnectDesktop")`, or `$CONNECT_DESKTOP_HOME/logs`
when that is set. Log lines carry record counts, types and ids at most: no names,
e-mail addresses or passwords (the code that logs is responsible for that).
"""

from __future__ import annotations

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
    home = os.environ.get(HOME_ENV)
    folder = Path(home) / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file (1 MB x 5) and route Qt messages into logging; returns the file."""
    path = log_dir() / LOG_FILE
    root = logging.getLogger()
    if not any(getattr(h, "connect_desktop", False) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.connect_desktop = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    install_qt_message_handler()
    return path


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    _qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s (%s)", message, context.category or "qt")


def install_qt_message_handler() -> None:
    qInstallMessageHandler(_qt_message)

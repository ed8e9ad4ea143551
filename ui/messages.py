"""The message bridge: code that is not a widget posts messages, the window shows them.

Work running in tasks (or adapters around the core) never calls widgets; it calls
`bridge.info(...)`, and the main window's status bar listens to the signal.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class MessageBridge(QObject):
    """Thread-safe: signals emitted from a worker reach GUI slots through the event loop."""

    info_posted = Signal(str)
    warning_posted = Signal(str)

    def info(self, text: str) -> None:
        log.info("status: %s", text)
        self.info_posted.emit(text)

    def warning(self, text: str) -> None:
        log.warning("status: %s", text)
        self.warning_posted.emit(text)

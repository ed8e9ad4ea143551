"""`--startup-probe`: say how long the first window took to appear, then quit.

With `--demo` it waits for the main window showing the demo district's numbers instead.
Times count from the process start where the OS tells it (Linux), else from the
moment Python started running the app's code.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

_IMPORTED_AT = time.monotonic()


def process_age_s() -> tuple[float, str]:
    """Seconds since this process started, and what they count from."""
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii")
        uptime = float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK"), "process start"
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED_AT, "start of the app's code"


class StartupProbe(QObject):
    """Prints `first window shown after 1.23 s …` (and the main window's, with --demo); quits."""

    def __init__(self, app: QApplication, *, wait_for_main: bool) -> None:
        super().__init__()
        self.app = app
        self.wait_for_main = wait_for_main
        self.first_shown: float | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            self.first_shown is None
            and event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
        ):
            self.first_shown, since = process_age_s()
            print(
                f"first window shown after {self.first_shown:.2f} s ({since}): "
                f"{watched.windowTitle() or type(watched).__name__}",
                flush=True,
            )
            if not self.wait_for_main:
                QTimer.singleShot(0, self.app.quit)
        return False

    def main_ready(self, _summary: object) -> None:
        """Connected to the main window's first `summary_loaded`."""
        age, since = process_age_s()
        print(f"main window with the account's numbers after {age:.2f} s ({since})", flush=True)
        QTimer.singleShot(0, self.app.quit)

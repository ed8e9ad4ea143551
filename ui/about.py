"""Help → About: the version, what it runs on, and where its data and logs live."""

from __future__ import annotations

import html
import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from connect_desktop.store.paths import data_dir
from connect_desktop.version import app_version
from ui.logs import log_dir


def about_lines() -> list[str]:
    """The About box's facts, one per line (also handy for support on the phone)."""
    build = "installed build" if getattr(sys, "frozen", False) else "run from source"
    return [
        f"Connect Desktop {app_version()} ({build})",
        f"Python {platform.python_version()}, PySide6 {pyside_version}, Qt {qVersion()}",
        f"{platform.system()} {platform.release()} ({platform.machine()})",
        f"Data folder: {data_dir()}",
        f"Log folder: {log_dir()}",
    ]


def about_box(parent: QWidget | None = None) -> QMessageBox:
    """The About box, built but not shown (the caller opens it)."""
    lines = about_lines()
    body = "<br>".join(html.escape(line) for line in lines[1:])
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About Connect Desktop")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(f"<b>{html.escape(lines[0])}</b>")
    box.setInformativeText("The year-end assistant for Connect accounts.<br><br>" + body)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box

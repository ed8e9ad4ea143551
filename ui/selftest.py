"""`--self-test`: prove an installed (or source) build works, without a display.

It starts the embedded demo server on a free loopback port with a small district, signs
in, pulls, renders the dashboard and every wizard page, writes a report and reads it
back with openpyxl, migrates a cache from the first schema version, and opens the About
box. Each step prints `self-test: ok …`; the first that fails prints
`self-test FAILED: <step>: <why>` and the process exits non-zero (see `ui.headless`).
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import keyring
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from connect_desktop.credentials import MemoryKeyring
from connect_desktop.selfcheck import SelfCheckError, migrate_oldest_cache, read_back_workbook
from connect_desktop.version import UNKNOWN, app_version
from connect_desktop.yearend.steps import STEPS
from ui.controller import AppController
from ui.headless import HeadlessGuard
from ui.main_window import MainWindow
from ui.wizard.plan_page import PlanPage
from ui.wizard.reports import ReportsPage

log = logging.getLogger(__name__)

SELF_TEST_STUDENTS = 120
STEP_TIMEOUT_S = 90.0
Condition = Callable[[], bool]


def page_settled(page: QWidget) -> bool:
    """A wizard page has finished loading what it shows."""
    if isinstance(page, PlanPage):
        return page.source is None or (
            page.plan is not None and page.model.total is not None and not page.model.loading
        )
    settled = getattr(page, "settled", None)  # pages that know when they are done say so
    if isinstance(settled, bool):
        return settled
    model = getattr(page, "model", None)
    if model is not None and hasattr(model, "total"):
        return model.total is not None and not model.loading
    return True


def rendered(widget: QWidget) -> None:
    """Paint `widget` into a pixmap; an empty picture means it did not render."""
    picture = widget.grab()
    if picture.isNull() or picture.width() < 10 or picture.height() < 10:
        raise SelfCheckError(f"{type(widget).__name__} rendered an empty picture")


class SelfTest(QObject):
    """Drives the controller step by step; `finished(exit_code)` at the end."""

    finished = Signal(int)

    def __init__(self, controller: AppController, folder: Path, guard: HeadlessGuard) -> None:
        super().__init__()
        self.controller = controller
        self.folder = folder
        self.guard = guard
        self.step = "start"
        self.passed = 0
        self._started = self._step_started = time.monotonic()
        self._walk = self.walk()
        self._condition: Condition = lambda: True
        self._deadline = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        system = keyring.get_keyring()  # what sign-in would use; reported, then left alone
        keyring.set_keyring(MemoryKeyring())
        self._say(f"Connect Desktop {app_version()} on Qt platform {QGuiApplication.platformName()}")
        self._say(f"the system keyring here: {type(system).__module__}.{type(system).__name__} (not used)")
        self._resume()

    # -- the driver ---------------------------------------------------------------------
    def _say(self, text: str) -> None:
        log.info("self-test: %s", text)
        if sys.stdout is not None:  # a windowed Windows build has no stdout
            print(f"self-test: {text}", flush=True)

    def begin(self, step: str) -> None:
        self._step_done()
        self.step = step
        self.guard.step = step
        self._step_started = time.monotonic()

    def _step_done(self) -> None:
        if self.step != "start":
            self.passed += 1
            self._say(f"ok   {self.step} ({time.monotonic() - self._step_started:.1f} s)")

    def _resume(self) -> None:
        try:
            self._condition = next(self._walk)
        except StopIteration:
            self._step_done()
            self._timer.stop()
            self._say(f"passed: {self.passed} checks in {time.monotonic() - self._started:.1f} s")
            self.finished.emit(0)
            return
        except Exception as exc:
            log.exception("self-test step failed")
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        self._deadline = time.monotonic() + STEP_TIMEOUT_S
        self._timer.start()

    def _tick(self) -> None:
        try:
            ready = self._condition()
        except Exception as exc:
            log.exception("self-test condition failed")
            self._fail(f"{type(exc).__name__}: {exc}")
            return
        if ready:
            self._timer.stop()
            self._resume()
        elif time.monotonic() > self._deadline:
            self._fail(f"timed out after {STEP_TIMEOUT_S:.0f} s")

    def _fail(self, why: str) -> None:
        self._timer.stop()
        self.guard.fail(f"{self.step}: {why}", code=1)
        self.finished.emit(1)

    # -- the steps ------------------------------------------------------------------------
    def walk(self) -> Generator[Condition, None, None]:
        c = self.controller
        self.begin("version is known")
        if app_version() == UNKNOWN:
            raise SelfCheckError("the version could not be read (no package metadata, nothing baked)")

        self.begin(f"start the demo server ({SELF_TEST_STUDENTS} students, loopback port)")
        c.start_demo(self.folder, SELF_TEST_STUDENTS, auto_sign_in=False)
        yield lambda: c.demo is not None and c.sign_in_dialog is not None

        self.begin("sign in (creates and migrates the account's cache)")
        dialog = c.sign_in_dialog
        assert dialog is not None
        dialog.password.setText(c.demo.password)
        dialog.start_sign_in()
        yield lambda: c.service is not None or dialog.error.isVisible()
        if c.service is None:
            raise SelfCheckError(f"sign-in failed: {dialog.error.text()}")

        self.begin("pull the account into the cache")
        yield lambda: c.window is not None and c.window.summary is not None
        window = c.window
        assert window is not None and window.summary is not None
        students = window.summary.counts.get("student", 0)
        if students < SELF_TEST_STUDENTS // 2:
            raise SelfCheckError(f"the cache holds {students} students after the pull")

        self.begin("render the dashboard")
        window.tabs.setCurrentIndex(0)
        yield lambda: True
        rendered(window)

        window.show_wizard()
        for spec in STEPS:
            self.begin(f"render wizard page '{spec.title}'")
            window.wizard.go_to(spec.step_id)
            page = window.wizard.page(spec.step_id)
            yield functools.partial(page_settled, page)
            rendered(window)

        self.begin("write a report and read it back with openpyxl")
        yield from self._report(window)

        self.begin("migrate a cache from the first schema version")
        first, now = migrate_oldest_cache(self.folder / "old-cache.sqlite3")
        log.info("self-test migrated a cache from %s to %s", first, now)

        self.begin("open Help → About")
        menus = [(a.text(), a.menu()) for a in window.menuBar().actions()]
        about = next((m for text, m in menus if isinstance(m, QMenu) and "Help" in text), None)
        entries = about.actions() if about is not None else []
        entry = next((a for a in entries if a.menuRole() == a.MenuRole.AboutRole), None)
        if entry is None:
            raise SelfCheckError("the main window has no Help → About")
        entry.trigger()
        yield lambda: window.about_dialog is not None and window.about_dialog.isVisible()
        box = window.about_dialog
        assert box is not None
        if app_version() not in box.text():
            raise SelfCheckError("the About box does not show the version")
        rendered(box)
        box.close()
        window.tabs.setCurrentIndex(0)
        QApplication.closeAllWindows()

    def _report(self, window: MainWindow) -> Generator[Condition, None, None]:
        window.wizard.go_to("reports")
        page = window.wizard.page("reports")
        if not isinstance(page, ReportsPage):
            raise SelfCheckError("the reports step is not the reports page")
        page.folder.setText(str(self.folder / "reports"))
        page.set_chosen(["students"])
        page.start_export()
        yield lambda: page.task is None and bool(page.finished_results)
        result = page.finished_results[0]
        if result.path is None or result.outcome not in ("written", "replaced", "kept both"):
            raise SelfCheckError(f"the report was not written: {result.outcome} {result.message}")
        summary = read_back_workbook(result.path)
        log.info("self-test report: %d sheets, %d rows", len(summary.sheets), summary.rows)

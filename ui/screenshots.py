"""`--screenshots DIR`: walk every screen of the demo offscreen and save one PNG per screen.

With `--live` the windows are shown on the real display instead, at the size the app
gives itself on that screen, and each PNG is what the screen shows: the window with its
title bar and frame, as the window manager draws them (`python3 dev.py shots` runs it
in Xvfb with openbox at a chosen size and scale).

The walk is a generator: each `yield` hands back a condition, and a timer resumes the
walk once it holds (the event loop keeps running in between; nothing blocks).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Generator
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QTableWidgetItem, QWidget

from connect_desktop.api.errors import Unreachable
from connect_desktop.rollover.students import StudentRule
from connect_desktop.yearend.steps import STEPS
from ui.controller import AppController
from ui.date_field import format_date
from ui.errors import bug_report, known_problem
from ui.main_window import MainWindow
from ui.selftest import page_settled
from ui.wizard.done import DonePage
from ui.wizard.plan_page import PlanPage
from ui.wizard.reports import ReportsPage
from ui.wizard.review import ReviewPage
from ui.wizard.staff import InactiveStaffPage
from ui.wizard.students import NonReturningStudentsPage
from ui.wizard.sync_rollover import SyncRolloverPage

log = logging.getLogger(__name__)

Condition = Callable[[], bool]
TIMEOUT_S = 120.0
LIVE_SETTLE_MS = 1000


def fit_problems(window: QWidget) -> list[str]:
    """What of a shown window a person could not reach: its frame (title bar included) off the
    screen's free area, or a wizard's Back and Next buttons outside the window or clipped."""
    problems: list[str] = []
    free = window.screen().availableGeometry()
    frame = window.frameGeometry()
    if not free.contains(frame):
        problems.append(f"the window {frame.getRect()} is not inside the screen's free area {free.getRect()}")
    wizard = getattr(window, "wizard", None)
    if isinstance(window, MainWindow) and wizard is not None and wizard.isVisible():
        for button in (wizard.back, wizard.next):
            shown = button.visibleRegion().boundingRect()
            if button.isVisible() and shown.size() != button.size():
                problems.append(
                    f"{button.accessibleName()} shows {shown.size().toTuple()} of {button.size().toTuple()}"
                )
    return problems


def _settle(milliseconds: int) -> None:
    """Let the event loop run for a moment (a live capture waits for the screen, not a model)."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def _plan_shown(page: PlanPage) -> bool:
    """The page's plan and first rows are on screen (or it has nothing to plan)."""
    model = page.model
    if page.source is None:
        return True
    return page.plan is not None and model.total is not None and not model.loading


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""


def _settled(text: str) -> bool:
    return bool(text) and not text.endswith("…")


class ScreenshotWalker(QObject):
    """Drives the controller through every screen; `finished(exit_code)` at the end."""

    finished = Signal(int)

    def __init__(self, controller: AppController, folder: Path, live: bool = False) -> None:
        super().__init__()
        self.controller = controller
        self.folder = folder
        self.live = live
        self.fit_problems: list[str] = []
        """Live: what did not fit the screen, shot by shot (the walk then ends with exit 1)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []
        self._walk = self.walk()
        self._condition: Condition = lambda: True
        self._deadline = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(25)
        self._timer.timeout.connect(self._tick)
        controller.demo_ready.connect(lambda _d: self._resume())

    def _resume(self) -> None:
        try:
            self._condition = next(self._walk)
        except StopIteration:
            self._timer.stop()
            log.info("screenshots: %d saved", len(self.saved))
            for problem in self.fit_problems:
                print(f"does not fit: {problem}", flush=True)
            self.finished.emit(1 if self.fit_problems else 0)
            return
        except Exception:
            log.exception("screenshot walk failed")
            self._timer.stop()
            self.finished.emit(1)
            return
        self._deadline = time.monotonic() + TIMEOUT_S
        self._timer.start()

    def _tick(self) -> None:
        if self._condition():
            self._timer.stop()
            self._resume()
        elif time.monotonic() > self._deadline:
            log.error("screenshot walk timed out")
            self._timer.stop()
            self.finished.emit(1)

    def shoot(self, widget: QWidget, name: str) -> None:
        path = self.folder / f"{name}.png"
        if self.live:
            window = widget.window()
            _settle(LIVE_SETTLE_MS)  # the window manager frames and resizes it
            if not window.isVisible():  # it closed while the screen settled (a quick download)
                log.warning("screenshots: %s closed before it could be captured", name)
                return
            window.repaint()  # a window grown by the window manager may not have painted its new part yet
            _settle(LIVE_SETTLE_MS // 4)
            self.fit_problems += [f"{name}: {problem}" for problem in fit_problems(window)]
            frame = window.frameGeometry()
            screen = window.screen()
            shown = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
            shown.save(str(path))
        else:
            widget.grab().save(str(path))
        self.saved.append(path)
        print(path, flush=True)

    def walk(self) -> Generator[Condition, None, None]:
        c = self.controller
        dialog = c.show_sign_in()
        yield lambda: dialog.isVisible()
        self.shoot(dialog, "01-sign-in")
        dialog.password.setText("wrong password")
        dialog.start_sign_in()
        yield lambda: dialog.error.isVisible()
        self.shoot(dialog, "01b-sign-in-wrong-password")
        dialog.password.setText(c.demo.password)
        dialog.start_sign_in()
        yield lambda: c.download_dialog is not None or c.window is not None
        if c.download_dialog is not None:
            download = c.download_dialog
            yield lambda: download.bar.value() > 0 or c.window is not None
            self.shoot(download, "02-first-download")
        yield lambda: c.window is not None and c.window.summary is not None
        window = c.window
        assert window is not None
        if not self.live:  # live: the size the app gives itself on this screen
            window.resize(1280, 800)
        window.tabs.setCurrentIndex(0)
        yield lambda: True
        self.shoot(window, "03-dashboard")

        window.show_wizard()
        for number, spec in enumerate(STEPS, start=10):
            if spec.step_id == "review":
                yield from self._review(window, number)
                continue
            window.wizard.go_to(spec.step_id)
            page = window.wizard.page(spec.step_id)
            yield functools.partial(page_settled, page)
            self.shoot(window, f"{number}-wizard-{spec.step_id.replace('_', '-')}")
            if spec.step_id == "reports" and isinstance(page, ReportsPage):
                yield from self._reports(window, page, number)
            if spec.step_id == "sync_rollover" and isinstance(page, SyncRolloverPage):
                yield from self._sync_rollover(window, page, number)
            if spec.step_id == "inactive_staff" and isinstance(page, InactiveStaffPage):
                yield from self._inactive_staff(window, page, number)
            if spec.step_id == "archive_classrooms" and isinstance(page, PlanPage) and page.model.loaded:
                yield from self._stage_some(window, page, 4)
                self.shoot(window, f"{number}b-wizard-archive-classrooms-staged")
            if spec.step_id == "non_returning_students" and isinstance(page, NonReturningStudentsPage):
                yield from self._students(window, page, number)
            if spec.step_id == "done" and isinstance(page, DonePage):
                yield from self._restore(window, page, number)

        window.tabs.setCurrentIndex(0)
        yield lambda: True
        self.shoot(window, "22-dashboard-after-send")
        reporter = c.reporter
        problem = known_problem(Unreachable("demo"))
        assert problem is not None
        reporter.show_problem(problem)
        yield lambda: bool(reporter.open_dialogs) and reporter.open_dialogs[-1].isVisible()
        self.shoot(reporter.open_dialogs[-1], "30-error-problem")
        reporter.open_dialogs[-1].close()
        try:
            raise RuntimeError("example of an unexpected error")
        except RuntimeError as exc:
            reporter.show_bug(bug_report(exc))
        yield lambda: reporter.open_dialogs[-1].isVisible()
        self.shoot(reporter.open_dialogs[-1], "31-error-bug-report")
        reporter.open_dialogs[-1].close()
        QApplication.closeAllWindows()

    def _reports(
        self, window: MainWindow, page: ReportsPage, number: int
    ) -> Generator[Condition, None, None]:
        page.folder.setText(str(self.folder / "reports"))
        page.set_chosen(["archive", "students", "staff"])
        page.start_export()
        yield lambda: page.task is not None or bool(page.finished_results)
        self.shoot(window, f"{number}b-wizard-reports-exporting")
        yield lambda: page.task is None and bool(page.finished_results)
        self.shoot(window, f"{number}c-wizard-reports-exported")
        page.set_chosen(["students"])
        page.start_export()
        yield lambda: page.exists_box is not None and page.exists_box.isVisible()
        box = page.exists_box
        assert box is not None
        self.shoot(box, f"{number}d-wizard-reports-file-exists")
        keep = next(b for b in box.buttons() if "Keep" in b.text())
        keep.click()
        yield lambda: page.task is None and page.exists_box is None and len(page.finished_results) == 1

    def _sync_rollover(
        self, window: MainWindow, page: SyncRolloverPage, number: int
    ) -> Generator[Condition, None, None]:
        demo = self.controller.demo
        next_year = getattr(demo, "next_year", None)
        if next_year is None:
            return
        # the rollover preview of next year's export, against the data downloaded
        preview, editor, history = page.preview_tab, page.settings_tab, page.history
        page.tabs.setCurrentWidget(preview)
        preview.preview_package(next_year)
        yield lambda: preview.session is not None and preview.counts.isVisible()
        student_row = next(
            (r for r in range(preview.counts.rowCount()) if _text(preview.counts.item(r, 0)) == "Students"), 0
        )
        preview.counts.setCurrentCell(student_row, 3)
        yield lambda: preview.changes_model.total is not None and not preview.changes_model.loading
        self.shoot(window, f"{number}b-wizard-sync-preview")
        page.tabs.setCurrentWidget(editor)
        editor.threshold_boxes["classrooms"].setValue(25)
        editor.add_pause_row("enrollments", "2026-06-25", "2026-08-15")
        yield lambda: True
        self.shoot(window, f"{number}c-wizard-sync-threshold-pause")
        editor.load(editor.settings)  # the demo stages nothing here
        # the SIS rolled over: the server's next sync is held at the threshold
        service, runner = window.service, self.controller.runner
        ran: list[str] = []

        def held_run(_ctx: object) -> str:
            status: str = demo.sync_from(next_year)
            service.pull()
            return status

        runner.run(held_run, on_success=ran.append, name="demo held sync")
        yield lambda: bool(ran)
        history.reload()
        yield (
            lambda: (
                not history.loading
                and history.latest_run is not None
                and history.latest_run.status == "failed_threshold"
            )
        )
        page.tabs.setCurrentWidget(history)
        yield lambda: True
        self.shoot(window, f"{number}d-wizard-sync-held-run")
        archives = page.archives
        page.tabs.setCurrentWidget(archives)
        archives.archive_type.setCurrentIndex(archives.archive_type.findData("student"))
        yield lambda: archives.archive_model.total is not None and not archives.archive_model.loading
        self.shoot(window, f"{number}e-wizard-sync-tried-to-archive")
        history.ask_approve()
        yield lambda: history.confirm_box is not None and history.confirm_box.isVisible()
        confirm = history.confirm_box
        assert confirm is not None
        self.shoot(confirm, f"{number}f-wizard-sync-approve-confirm")
        confirm.reject()
        page.tabs.setCurrentWidget(history)

    def _stage_some(self, window: MainWindow, page: PlanPage, rows: int) -> Generator[Condition, None, None]:
        for row in range(min(rows, page.model.loaded)):
            page.model.set_selected(row, True)
        before = window.summary
        page.stage_selection()
        yield lambda: window.summary is not before and _plan_shown(page)

    def _inactive_staff(
        self, window: MainWindow, page: InactiveStaffPage, number: int
    ) -> Generator[Condition, None, None]:
        model = page.model
        # a later date proposes more staff, some still teaching; typed as a person would
        page.since.edit.setText(format_date(dt.date(2026, 6, 1)))
        page.since.commit()
        yield lambda: _plan_shown(page)
        if not model.loaded:
            return
        page.select_all.click()
        teaching = [r for r in range(model.loaded) if model.row(r)[7]]
        for row in teaching[1:2]:
            model.set_selected(row, False)
        page.table.selectRow(teaching[0] if teaching else 0)
        yield lambda: "teacher" in page.consequence.text() and _settled(page.details.text())
        self.shoot(window, f"{number}b-wizard-inactive-staff-selected")
        yield from self._stage_some(window, page, 0)

    def _students(
        self, window: MainWindow, page: NonReturningStudentsPage, number: int
    ) -> Generator[Condition, None, None]:
        if page.model.loaded:
            for row in range(1, min(8, page.model.loaded)):
                page.model.set_selected(row, True)
            self.shoot(window, f"{number}b-wizard-non-returning-students-selected")
            yield from self._stage_some(window, page, 0)
        bad = self.folder / "next-year-students.docx"
        bad.write_bytes(b"not a student file")
        page.load_file(bad)
        yield lambda: page.file_error.isVisible() and _plan_shown(page)
        self.shoot(window, f"{number}c-wizard-non-returning-students-file-error")
        bad.unlink()
        page.rule_buttons[StudentRule.WITHDRAWN].setChecked(True)
        page.delete.setChecked(True)
        yield lambda: _plan_shown(page)
        for row in range(min(4, page.model.loaded)):
            page.model.set_selected(row, True)
        page.stage_selection()
        yield lambda: page.confirm_dialog is not None and page.confirm_dialog.isVisible()
        dialog = page.confirm_dialog
        assert dialog is not None
        dialog.typed.setText(dialog.phrase[: len(dialog.phrase) // 2])
        yield lambda: True
        self.shoot(dialog, f"{number}d-confirm-delete")
        dialog.reject()  # the demo keeps its students: nothing is deleted
        page.archive.setChecked(True)
        yield lambda: _plan_shown(page)

    def _restore(self, window: MainWindow, page: DonePage, number: int) -> Generator[Condition, None, None]:
        if not page.model.total:
            return
        for row in range(min(3, page.model.loaded)):
            page.model.set_selected(row, True)
        self.shoot(window, f"{number}-wizard-done")
        page.restore_whole_batch()
        yield (
            lambda: (
                page.open_review.isVisible()
                and window.summary is not None
                and window.summary.waiting > 0
                and page.model.total is not None
                and not page.model.loading
            )
        )
        self.shoot(window, f"{number}b-wizard-done-restore-staged")
        window.wizard.go_to("review")
        review = window.wizard.page("review")
        assert isinstance(review, ReviewPage)
        model = review.model
        yield lambda: model.total is not None and not model.loading
        self.shoot(window, f"{number}c-wizard-review-restores")

    def _review(self, window: object, number: int) -> Generator[Condition, None, None]:
        from ui.main_window import MainWindow

        assert isinstance(window, MainWindow)
        window.wizard.go_to("review")
        page = window.wizard.page("review")
        assert isinstance(page, ReviewPage)
        model = page.model
        yield lambda: model.total is not None and not model.loading
        if model.loaded > 1:
            model.set_selected(model.loaded - 1, False)
        self.shoot(window, f"{number}-wizard-review")
        if model.loaded:
            page.ask_send()
            yield lambda: page.confirm_box is not None and page.confirm_box.isVisible()
            box = page.confirm_box
            assert box is not None
            self.shoot(box, f"{number}a-wizard-review-send-confirm")
            next(b for b in box.buttons() if b.text().startswith("&Send")).click()
            yield lambda: page.showing_results and model.total is not None and not model.loading
            self.shoot(window, f"{number}b-wizard-review-after-send")

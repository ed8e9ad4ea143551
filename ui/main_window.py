"""The main window: dashboard and year-end steps as tabs, status bar, background sync."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton, QTabWidget

from connect_desktop.account import Account
from connect_desktop.domain.words import changes_text
from connect_desktop.yearend.steps import STEPS
from ui.about import about_box
from ui.account_actions import AccountActions
from ui.app import AppServices
from ui.dashboard.summary import Summary
from ui.dashboard.view import Dashboard
from ui.dialogs import confirm
from ui.errors import KnownProblem, known_problem
from ui.sync_notice import SyncNotice
from ui.wizard.frame import WizardFrame
from ui.wizard.page import WizardContext

log = logging.getLogger(__name__)

SYNC_INTERVAL_MS = 5 * 60 * 1000
PREFERRED_SIZE = QSize(1280, 800)
"""The first window size, when it fits the screen (see `_fit_to_screen`)."""
TITLE_BAR_ALLOWANCE = 48


class MainWindow(QMainWindow):
    """Emits `summary_loaded` each time fresh numbers were shown (tests wait on it), and
    `signed_out(message)` when Account → Sign out or the removal of the local copy is done."""

    summary_loaded = Signal(object)
    synced = Signal(object)
    sync_failed = Signal(object)
    signed_out = Signal(str)
    closed = Signal()

    def __init__(
        self,
        service: Account,
        app: AppServices,
        *,
        as_of: dt.date | None = None,
        sync_interval_ms: int = SYNC_INTERVAL_MS,
        forgets_on_close: bool = False,
    ) -> None:
        """`forgets_on_close`: the local copy goes when the app closes (a demo in a temporary folder)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Connect Desktop – year-end assistant")
        self.service = service
        self.runner = app.runner
        self.reporter = app.reporter
        self.settings = settings = app.settings
        bridge = app.bridge
        self.as_of = as_of
        self.summary: Summary | None = None
        self.about_dialog: QMessageBox | None = None
        self.close_box: QMessageBox | None = None
        self.forgets_on_close = forgets_on_close
        self._close_agreed = False
        self.context = WizardContext(
            service,
            app,
            as_of=as_of,
            outbox_changed=self.refresh,
            step_done=self._step_done,
        )
        self.dashboard = Dashboard()
        self.dashboard.show_account(service.display_name, service.server_url)
        self.wizard = WizardFrame(self.context, settings)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        self.tabs.addTab(self.dashboard, "&Dashboard")
        self.tabs.addTab(self.wizard, "&Year-end steps")
        self.setCentralWidget(self.tabs)
        self.dashboard.open_wizard.connect(self.show_wizard)
        self.dashboard.open_step.connect(self.show_wizard)
        self.dashboard.open_review.connect(lambda: self.show_wizard("review"))
        self.dashboard.sync_now.connect(self.sync_in_background)
        self.wizard.page_changed.connect(lambda _step: self._show_checklist())
        bridge.info_posted.connect(lambda text: self.statusBar().showMessage(text, 8000))
        bridge.warning_posted.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.sync_notice = SyncNotice()
        self.sync_notice.retry.connect(self.sync_in_background)
        self.statusBar().addPermanentWidget(self.sync_notice, 1)
        self._sync_busy = False
        self._sync_bug_shown = False
        self._leaving = self._released = False
        self._add_actions()
        for button in self.findChildren(QPushButton):
            # Enter (and Return) on a focused button presses it, as Space does; Qt does
            # this by itself only inside dialogs. Enter never reaches a button without focus.
            button.setAutoDefault(True)
        self.timer = QTimer(self)
        self.timer.setInterval(sync_interval_ms)
        self.timer.timeout.connect(self.sync_in_background)
        if sync_interval_ms > 0:
            self.timer.start()
        geometry = settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(PREFERRED_SIZE)
        self._fit_to_screen()

    def _ask_before_closing(self, waiting: int) -> None:
        """Unsent changes: say what becomes of them; Cancel (the default) keeps the window open."""
        if self.close_box is not None:
            return
        them, they_stay = ("it", "It stays") if waiting == 1 else ("them", "They stay")
        if self.forgets_on_close:
            details = (
                f"This demo keeps its data in a temporary folder, removed when it closes: {them} "
                "will be lost. Start the demo with --demo-dir FOLDER to keep its changes."
            )
        else:
            details = (
                f"{they_stay} on this computer, not sent: send {them} next time from step 7, "
                "Review and send. Nothing changes in Connect until then."
            )

        def closed() -> None:
            self.close_box = None

        def agreed() -> None:
            self._close_agreed = True
            self.close()

        self.close_box = confirm(
            self,
            title="Close Connect Desktop",
            text=f"{changes_text(waiting).capitalize()} {'is' if waiting == 1 else 'are'} not sent yet.",
            details=details,
            action="&Close anyway",
            action_name="Close anyway",
            on_close=closed,
            on_confirm=agreed,
            icon=QMessageBox.Icon.Warning,
        )

    def _fit_to_screen(self) -> None:
        """Open maximised when the preferred size does not fit the screen's free area
        (a 1024×768 laptop, or a large scale factor), so no button lies off-screen."""
        area = self.screen().availableGeometry().size()
        # Before the first show Qt does not know the title bar's height: leave room for one.
        framed = self.size() + QSize(0, TITLE_BAR_ALLOWANCE)
        if framed.width() > area.width() or framed.height() > area.height():
            self.resize(self.size().boundedTo(area))
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def _add_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | str, slot: Callable[[], None]) -> None:
            act = QAction(text, self)
            act.setShortcut(shortcut)
            act.triggered.connect(slot)
            self.addAction(act)

        action("Sync now", QKeySequence(QKeySequence.StandardKey.Refresh), self.sync_in_background)
        action("Dashboard", "Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        action("Year-end steps", "Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        self.account_actions = AccountActions(
            self, self.service, self.runner, self.reporter, before_leaving=self._before_leaving
        )
        self.account_actions.left.connect(self.signed_out)
        help_menu = self.menuBar().addMenu("&Help")
        about = help_menu.addAction("&About Connect Desktop")
        about.setMenuRole(QAction.MenuRole.AboutRole)  # macOS: in the application menu
        about.triggered.connect(self.show_about)

    def show_about(self) -> QMessageBox:
        """Help → About: version, platform, data and log folders."""
        self.about_dialog = about_box(self)
        self.about_dialog.open()
        return self.about_dialog

    def start(self) -> None:
        """Show the saved wizard place and load the numbers."""
        self.wizard.restore()
        self.refresh()
        if self.service.notice:
            self.statusBar().showMessage(self.service.notice, 15000)
        if self.service.rescue_notice:
            self.reporter.show_problem(
                KnownProblem("Your local copy was damaged", self.service.rescue_notice)
            )

    def show_wizard(self, step_id: str | None = None) -> None:
        self.tabs.setCurrentWidget(self.wizard)
        if step_id:
            self.wizard.go_to(step_id)

    # -- numbers -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the summary in the background and show it everywhere."""
        service, as_of = self.service, self.as_of
        self.runner.run(lambda _ctx: service.summary(as_of), on_success=self._show_summary, name="summary")

    def _show_summary(self, summary: Summary) -> None:
        self.summary = summary
        self.wizard.update_summary(summary)
        self._show_checklist()
        page = self.wizard.page(self.wizard.current_step)
        if self.wizard.current_step in ("welcome", "done"):
            page.initialize_page()
        self.summary_loaded.emit(summary)

    def _show_checklist(self) -> None:
        if self.summary is not None:
            self.dashboard.show_summary(self.summary, self.wizard.current_step, self._done_steps())

    def _done_steps(self) -> dict[str, str]:
        server, user = self.service.server_url, self.service.user_id
        done = {step.step_id: self.settings.step_done(server, user, step.step_id) for step in STEPS}
        return {step: text for step, text in done.items() if text}

    def _step_done(self, step_id: str, text: str) -> None:
        self.settings.set_step_done(self.service.server_url, self.service.user_id, step_id, text)
        self._show_checklist()

    # -- background sync ----------------------------------------------------------------
    def sync_in_background(self) -> None:
        """Pull now (the timer's slot). A failure shows in the status bar until a sync succeeds;
        only a bug opens a dialog, once per window: the timer would repeat it every few minutes."""
        if self._sync_busy or self._leaving:
            return
        self._sync_busy = True
        self.statusBar().showMessage("Downloading changes from Connect…")
        service = self.service

        def done(result: object) -> None:
            self._sync_busy = False
            self.sync_notice.clear()
            received = getattr(result, "received", 0)
            self.statusBar().showMessage(f"Up to date ({changes_text(received)} downloaded)", 8000)
            self.synced.emit(result)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._sync_busy = False
            self.statusBar().clearMessage()
            problem = known_problem(exc)
            if problem is None:
                problem = KnownProblem("An unexpected problem", "See the problem report.")
                if not self._sync_bug_shown:
                    self._sync_bug_shown = True
                    self.reporter.report(exc)
                else:
                    log.error("background sync failed again", exc_info=exc)
            self.sync_notice.show_failure(problem)
            self.sync_failed.emit(exc)

        self.runner.run(
            lambda ctx: service.pull(progress=ctx.progress, cancel=ctx.token),
            on_success=done,
            on_failure=failed,
            name="background sync",
        )

    def _before_leaving(self) -> None:
        """Signing out: no more syncs, and the pages let go of the cache."""
        self._leaving = True
        self.timer.stop()
        self._release_pages()

    def _release_pages(self) -> None:
        if not self._released:
            self._released = True
            self.wizard.release()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        waiting = self.summary.waiting if self.summary is not None else 0
        # Signing out has already said what becomes of the staged changes.
        if waiting and not self._close_agreed and not self._leaving:
            event.ignore()
            self._ask_before_closing(waiting)
            return
        self.timer.stop()
        self._release_pages()
        self.settings.set_window_geometry(self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)
        self.closed.emit()

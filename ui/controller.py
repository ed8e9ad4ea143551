"""The app's flow: (demo start) → sign in → first download → main window."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from connect_desktop.account import Account
from ui import dialog_dirs
from ui.app import AppServices
from ui.download import DownloadDialog
from ui.main_window import MainWindow
from ui.signin import SignIn, SignInDialog

log = logging.getLogger(__name__)


class AppController(QObject):
    """Owns the top-level windows; signals let tests and the screenshot walker follow along."""

    sign_in_shown = Signal(object)
    download_shown = Signal(object)
    main_shown = Signal(object)
    demo_ready = Signal(object)
    quit_requested = Signal()

    def __init__(
        self,
        app: AppServices,
        *,
        sign_in: SignIn = Account.sign_in,
        as_of: dt.date | None = None,
        sync_interval_ms: int | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.runner = app.runner
        self.reporter = app.reporter
        self.settings = app.settings
        self.sign_in = sign_in
        self.as_of = as_of
        self.sync_interval_ms = sync_interval_ms
        self.sign_in_dialog: SignInDialog | None = None
        self.download_dialog: DownloadDialog | None = None
        self.window: MainWindow | None = None
        self.service: Account | None = None
        self.demo: Any = None
        self.demo_is_temporary = False
        """The demo's folder is removed when the app closes (no --demo-dir): nothing staged survives."""
        self._splash: QWidget | None = None

    # -- demo ------------------------------------------------------------------------
    def start_demo(
        self, folder: Path, students: int, auto_sign_in: bool = True, *, temporary: bool = False
    ) -> None:
        """Start the demo server process in the background, then sign in to it.

        `temporary`: `folder` is removed when the app closes, so a close with unsent changes says so.
        """
        self.demo_is_temporary = temporary
        from ui import demo

        self._splash = QWidget()
        self._splash.setWindowTitle("Connect Desktop demo")
        text = QLabel("Preparing the demo district… (first start takes a few seconds)")
        text.setObjectName("explanation")
        QVBoxLayout(self._splash).addWidget(text)
        self._splash.resize(460, 80)
        self._splash.show()
        self.runner.run(
            lambda _ctx: demo.start_demo(folder, students),
            on_success=lambda district: self._demo_started(district, auto_sign_in),
            on_failure=self._demo_failed,
            name="start demo",
        )

    def _demo_failed(self, exc: BaseException) -> None:
        """Say why (a plain `DemoError`); once the user has read it, there is nothing left to do."""
        self.reporter.report(exc)
        if self._splash is not None:
            self._splash.close()
            self._splash = None
        if self.reporter.modal:  # headless runs end with their own exit code
            self.quit_requested.emit()

    def _demo_started(self, district: Any, auto_sign_in: bool) -> None:
        from ui.demo import DEMO_AS_OF

        self.demo = district
        self.as_of = self.as_of or DEMO_AS_OF
        dialog_dirs.use_demo(district.packages, district.server_folder)
        if self._splash is not None:
            self._splash.close()
            self._splash = None
        self.settings.server_url = district.url
        self.settings.email = district.email
        self.demo_ready.emit(district)
        dialog = self.show_sign_in()
        if auto_sign_in:
            dialog.password.setText(district.password)
            dialog.start_sign_in()

    # -- flow --------------------------------------------------------------------------
    def show_sign_in(self) -> SignInDialog:
        dialog = SignInDialog(self.sign_in, self.runner, self.settings, self.reporter)
        dialog.signed_in.connect(self._signed_in)
        dialog.rejected.connect(self.quit_requested)
        self.sign_in_dialog = dialog
        dialog.show()
        self.sign_in_shown.emit(dialog)
        return dialog

    def _signed_in(self, service: Account) -> None:
        self.service = service
        if self.as_of is not None:
            fixed = self.as_of
            service.today = lambda: fixed  # one "today" for the core's reads, too
        self.runner.run(
            lambda _ctx: service.full_pull_done(), on_success=self._check_first, name="check cache"
        )

    def _check_first(self, done: bool) -> None:
        assert self.service is not None
        if done:
            self.open_main(self.service, sync=True)
            return
        dialog = DownloadDialog(self.service, self.runner, self.reporter)
        dialog.finished_ok.connect(lambda _result: self.open_main(self.service, sync=False))
        dialog.rejected.connect(self.quit_requested)
        self.download_dialog = dialog
        dialog.show()
        self.download_shown.emit(dialog)
        dialog.start()

    def open_main(self, service: Account | None, *, sync: bool) -> MainWindow:
        assert service is not None
        kwargs = {} if self.sync_interval_ms is None else {"sync_interval_ms": self.sync_interval_ms}
        window = MainWindow(
            service, self.app, as_of=self.as_of, forgets_on_close=self.demo_is_temporary, **kwargs
        )
        self.window = window
        window.closed.connect(self.quit_requested)
        window.signed_out.connect(self._signed_out)
        window.show()
        window.start()
        if sync:
            window.sync_in_background()
        self.main_shown.emit(window)
        return window

    def _signed_out(self, message: str) -> None:
        """Back to the sign-in dialog, which says what signing out did."""
        window, self.window = self.window, None
        if window is not None:
            window.closed.disconnect(self.quit_requested)  # closing it is not quitting now
            window.close()
        if self.service is not None:
            self.service.close()
            self.service = None
        self.show_sign_in().show_notice(message)

    def shutdown(self) -> None:
        self.runner.shutdown()
        if self.service is not None:
            self.service.close()
        if self.demo is not None:
            self.demo.stop()

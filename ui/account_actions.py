"""The Account menu: "Sign out" and "Remove this computer's copy…".

Both run the core's sign-out (`connect_desktop.session`: the server ends the session,
or does at the next contact) in the background; the removal first asks, naming how many
staged changes were never sent. `left(message)` tells what happened once it is done.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from connect_desktop.account import Account
from ui.dialogs import confirm
from ui.errors import ErrorReporter
from ui.tasks import TaskRunner

REMOVE_TEXT = "&Remove this computer's copy…"


def removal_warning(unsent: int | None) -> str:
    """What the confirmation says is lost."""
    if unsent is None:
        lost = "The staged changes could not be counted: any that were not sent will be lost."
    elif unsent == 0:
        lost = "No staged changes are waiting to be sent."
    else:
        changes = "1 staged change that was" if unsent == 1 else f"{unsent:,} staged changes that were"
        lost = f"{changes} not sent to Connect will be lost. To keep them, cancel and send them first."
    return (
        f"{lost} The downloaded data is deleted from this computer and you are signed out; "
        "nothing changes on the Connect server. Signing in again downloads the data anew."
    )


class AccountActions(QObject):
    """Adds the Account menu to `window`; `before_leaving` runs first (stop timers, release pages)."""

    left = Signal(str)

    def __init__(
        self,
        window: QMainWindow,
        service: Account,
        runner: TaskRunner,
        reporter: ErrorReporter,
        before_leaving: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.service = service
        self.runner = runner
        self.reporter = reporter
        self.before_leaving = before_leaving
        self.confirm_box: QMessageBox | None = None
        self.busy = False
        menu = window.menuBar().addMenu("A&ccount")
        self.sign_out_action = menu.addAction("Sign &out")
        self.sign_out_action.triggered.connect(self.sign_out)
        self.remove_action = menu.addAction(REMOVE_TEXT)
        self.remove_action.triggered.connect(self.ask_to_remove)

    def sign_out(self) -> None:
        self._leave(self.service.sign_out, "Signing out…", "sign out")

    def ask_to_remove(self) -> None:
        """Count the unsent changes in the background, then ask (the box is `confirm_box`)."""
        if self.busy or self.confirm_box is not None:
            return
        service = self.service
        self.runner.op(lambda _ctx: service.unsent_changes(), name="count unsent changes").success(
            self._confirm_removal
        ).exclusive(self).run()

    def _confirm_removal(self, unsent: int | None) -> None:
        def closed() -> None:
            self.confirm_box = None

        self.confirm_box = confirm(
            self.window,
            title="Remove this computer's copy",
            text=f"Remove the Connect data of {self.service.account.email} from this computer?",
            details=removal_warning(unsent),
            action="&Remove and sign out",
            destructive=True,
            icon=QMessageBox.Icon.Warning,
            on_close=closed,
            on_confirm=lambda: self._leave(
                self.service.remove_local_data, "Removing this computer's copy…", "remove copy"
            ),
        )

    def _leave(self, work: Callable[[], str], busy_text: str, name: str) -> None:
        if self.busy:
            return
        self._set_busy(True)
        self.before_leaving()
        self.runner.cancel_all()  # a running download would hold the cache
        self.window.statusBar().showMessage(busy_text)

        def stay() -> None:  # it failed: the user is still here and may try again
            self._set_busy(False)
            self.window.statusBar().clearMessage()

        self.runner.op(lambda _ctx: work(), name=name).success(self.left.emit).recover(stay).run()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.sign_out_action.setEnabled(not busy)
        self.remove_action.setEnabled(not busy)

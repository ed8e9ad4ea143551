"""The sign-in dialog: server address, e-mail, password.

The address and e-mail are remembered (QSettings); the password never is. Signing in
runs as a background task; a problem the user can fix (wrong password, server
unreachable, certificate) is shown in plain words right in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.errors import ErrorReporter, known_problem
from ui.settings import UiSettings
from ui.tasks import TaskRunner

SignIn = Callable[[str, str, str], Any]
"""(server_url, email, password) -> the signed-in account; runs on a worker thread."""


class SignInDialog(QDialog):
    """Emits `signed_in(account)` and closes when the server accepted the password."""

    signed_in = Signal(object)

    def __init__(
        self,
        sign_in: SignIn,
        runner: TaskRunner,
        settings: UiSettings,
        reporter: ErrorReporter,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._runner = runner
        self._settings = settings
        self._reporter = reporter
        self.account: Any = None
        self.setWindowTitle("Sign in to Connect")
        self.setObjectName("signInDialog")
        self.setMinimumWidth(460)

        title = QLabel("Sign in to Connect")
        title.setObjectName("pageTitle")
        intro = QLabel(
            "Use the address of your Connect server and your Connect e-mail and password. "
            "Nothing is changed on the server until you review and send your changes."
        )
        intro.setObjectName("explanation")
        intro.setWordWrap(True)

        self.server = QLineEdit(settings.server_url)
        self.server.setAccessibleName("Server address")
        self.server.setPlaceholderText("https://connect.example.org")
        self.email = QLineEdit(settings.email)
        self.email.setAccessibleName("E-mail address")
        self.email.setPlaceholderText("name@district.org")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)

        form = QFormLayout()
        form.addRow("&Server address:", self.server)
        form.addRow("&E-mail:", self.email)
        form.addRow("&Password:", self.password)

        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Sign-in problem")
        self.error.hide()
        self.status = QLabel()
        self.status.setObjectName("hint")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit = self.buttons.addButton("Sign &in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit.setAccessibleName("Sign in")
        self.submit.setDefault(True)
        self.buttons.accepted.connect(self.start_sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.server, self.email)
        self.setTabOrder(self.email, self.password)
        self.setTabOrder(self.password, self.submit)
        first_empty = next((w for w in (self.server, self.email) if not _filled(w.text())), None)
        (first_empty or self.password).setFocus()

    def start_sign_in(self) -> None:
        """Prepare on the GUI thread (check the fields), then sign in in the background."""
        server, email, password = self.server.text().strip(), self.email.text().strip(), self.password.text()
        missing = [
            name
            for name, value in (
                ("server address", _filled(server)),
                ("e-mail", email),
                ("password", password),
            )
            if not value
        ]
        if missing:
            self.show_error("Please fill in the " + " and the ".join(missing) + ".")
            return
        if "://" not in server:
            server = "https://" + server
            self.server.setText(server)
        self._settings.server_url = server
        self._settings.email = email
        self._busy(True)
        self._runner.run(
            lambda _ctx: self._sign_in(server, email, password),
            on_success=self._succeeded,
            on_failure=self._failed,
            name="sign in",
        )

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _busy(self, busy: bool) -> None:
        self.submit.setEnabled(not busy)
        self.status.setText("Signing in…" if busy else "")
        if busy:
            self.error.hide()

    def _succeeded(self, account: Any) -> None:
        self._busy(False)
        self.password.clear()
        self.account = account
        self.signed_in.emit(account)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.password.clear()
        problem = known_problem(exc)
        if problem is None:
            self._reporter.report(exc)
            return
        self.show_error(problem.message)
        self.password.setFocus()


def _filled(text: str) -> bool:
    """True when a field holds more than whitespace or a bare "https://"."""
    return text.strip() not in ("", "https://", "http://")

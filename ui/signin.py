"""The sign-in dialog: server address, e-mail, password; under "Advanced" a certificate file.

The address, e-mail and certificate file are remembered (QSettings); the password never
is. A plain http:// address of another computer shows a warning and needs a tick in
"Connect without encryption" (the rule is `connect_desktop.api.address`). Signing in
runs as a background task; a problem the user can fix (wrong password, server
unreachable, certificate) is shown in plain words right in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.api.address import INSECURE_HTTP_WARNING, needs_insecure_choice, with_scheme
from connect_desktop.api.errors import CertificateProblem
from ui.dialog_dirs import start_dir
from ui.errors import ErrorReporter, known_problem
from ui.settings import UiSettings
from ui.tasks import TaskRunner

SignIn = Callable[[str, str, str, str | None, bool], Any]
"""(server_url, email, password, ca_bundle, insecure_http) -> the signed-in account; runs on a
worker thread."""


FIELD_WIDTH_SAMPLE = "https://connect.district-name.k12.org"
"""The fields show at least this much text: a typical server address or e-mail, whole."""
FIELD_PADDING = 16
"""A line edit's frame and margins, around its text."""


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

        title = QLabel("Sign in to Connect")
        title.setObjectName("pageTitle")
        intro = QLabel(
            "Use the address of your Connect server and your Connect e-mail and password. "
            "Nothing is changed on the server until you review and send your changes."
        )
        intro.setObjectName("explanation")
        intro.setWordWrap(True)

        self._scheme_added = False
        """The last sign-in added http:// or https:// to what the user typed."""
        self.server = QLineEdit(settings.server_url)
        self.server.setAccessibleName("Server address")
        self.server.setPlaceholderText("https://connect.example.org")
        self.email = QLineEdit(settings.email)
        self.email.setAccessibleName("E-mail address")
        self.email.setPlaceholderText("name@district.org")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)

        self.insecure_warning = QLabel(INSECURE_HTTP_WARNING)
        self.insecure_warning.setObjectName("warningText")
        self.insecure_warning.setWordWrap(True)
        self.insecure_ok = QCheckBox("Connect &without encryption anyway")
        self.insecure_ok.setAccessibleName("Connect without encryption anyway")

        # Wide enough for a whole district address: the layout's minimum size is the dialog's
        # (SetMinimumSize below), so a minimum on the dialog itself would be overruled.
        for field in (self.server, self.email, self.password):
            field.ensurePolished()  # measured in the style sheet's font, not the default one
            field.setMinimumWidth(field.fontMetrics().horizontalAdvance(FIELD_WIDTH_SAMPLE) + FIELD_PADDING)
        form = QFormLayout()
        form.addRow("&Server address:", self.server)
        form.addRow(self.insecure_warning)
        form.addRow(self.insecure_ok)
        form.addRow("&E-mail:", self.email)
        form.addRow("&Password:", self.password)

        self.advanced = QToolButton()
        self.advanced.setText("A&dvanced")
        self.advanced.setAccessibleName("Advanced settings")
        self.advanced.setCheckable(True)
        self.advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced.toggled.connect(self._show_advanced)
        self.ca_bundle = QLineEdit(settings.ca_bundle)
        self.ca_bundle.setAccessibleName("Certificate file")
        self.ca_bundle.setPlaceholderText("Only if your IT department gave you one (.pem)")
        self.choose_ca = QPushButton("C&hoose…")
        self.choose_ca.setAccessibleName("Choose the certificate file")
        self.choose_ca.clicked.connect(self._choose_ca_bundle)
        self.choose_ca.setAutoDefault(False)  # Enter in a field signs in; it never opens a file dialog
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(self.choose_ca)
        self.advanced_box = QWidget()
        advanced_form = QFormLayout(self.advanced_box)
        advanced_form.setContentsMargins(0, 0, 0, 0)
        ca_label = QLabel("&Certificate file:")
        ca_label.setBuddy(self.ca_bundle)
        advanced_form.addRow(ca_label, ca_row)
        ca_hint = QLabel("The certificates to trust for this server instead of the usual ones.")
        ca_hint.setObjectName("hint")
        ca_hint.setWordWrap(True)
        advanced_form.addRow(ca_hint)

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
        # The dialog grows with what is shown (a warning, the advanced part, an error) instead
        # of squeezing the fields to a few pixels.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.advanced, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced_box)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        chain = (self.server, self.insecure_ok, self.email, self.password, self.advanced)
        for first, second in pairwise((*chain, self.ca_bundle, self.choose_ca, self.submit)):
            self.setTabOrder(first, second)
        self.server.textChanged.connect(self._check_address)
        self._check_address(self.server.text())
        self.advanced.setChecked(bool(settings.ca_bundle))
        self._show_advanced(self.advanced.isChecked())
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
        self._scheme_added = "://" not in server
        if self._scheme_added:
            server = with_scheme(server)
            self.server.setText(server)
        insecure = needs_insecure_choice(server)
        if insecure and not self.insecure_ok.isChecked():
            self.show_error(
                "This address is not encrypted (http://). Use https://, or tick "
                "“Connect without encryption anyway” if your IT department says so."
            )
            return
        ca_bundle = self.ca_bundle.text().strip() or None
        self._settings.server_url = server
        self._settings.email = email
        self._settings.ca_bundle = ca_bundle or ""
        self._busy(True)
        self._runner.run(
            lambda _ctx: self._sign_in(server, email, password, ca_bundle, insecure),
            on_success=self._succeeded,
            on_failure=self._failed,
            name="sign in",
        )

    def _check_address(self, text: str) -> None:
        """Warn about (and ask to confirm) plain http:// to another computer, as it is typed."""
        server = text.strip()
        insecure = needs_insecure_choice(with_scheme(server))
        self.insecure_warning.setVisible(insecure)
        self.insecure_ok.setVisible(insecure)
        if not insecure:
            self.insecure_ok.setChecked(False)  # a later http:// address is confirmed anew
        self._fit()

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.advanced_box.setVisible(shown)
        self._fit()

    def _fit(self) -> None:
        """Grow the dialog to what it now shows, on the next turn of the event loop."""
        if self.isVisible():
            QTimer.singleShot(0, self._grow)

    def _grow(self) -> None:
        # Not adjustSize(): it stops a window at 2/3 of the screen height (512 px at 1024x768),
        # which clipped the http:// warning there. Grow to the height the wrapped texts need,
        # as far as the screen allows with the title bar.
        width = max(self.width(), self.sizeHint().width())
        layout = self.layout()
        wanted = layout.totalHeightForWidth(width) if layout is not None else -1
        wanted = max(wanted, self.height())
        screen = self.screen().availableGeometry()
        frame = self.frameGeometry().height() - self.height()
        self.resize(width, min(wanted, screen.height() - frame))
        # Keep the whole window, title bar included, on the screen after growing.
        outer = self.frameGeometry()
        left = max(screen.left(), min(outer.left(), screen.right() - outer.width()))
        top = max(screen.top(), min(outer.top(), screen.bottom() - outer.height()))
        if (left, top) != (outer.left(), outer.top()):
            self.move(left, top)

    def _choose_ca_bundle(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the certificate file",
            start_dir(self.ca_bundle.text()),
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path:
            self.ca_bundle.setText(path)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self._fit()

    def show_notice(self, text: str) -> None:
        """A plain note above the buttons, e.g. what signing out did."""
        self.status.setWordWrap(True)
        self.status.setText(text)
        self._fit()

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
        message = problem.message
        if self._scheme_added and isinstance(exc, CertificateProblem):
            message += (
                f" The address was typed without http:// or https://, so {self.server.text()} was "
                "tried. If your server does not use https, type its address with http:// in front."
            )
        self.show_error(message)
        self.password.setFocus()


def _filled(text: str) -> bool:
    """True when a field holds more than whitespace or a bare "https://"."""
    return text.strip() not in ("", "https://", "http://")

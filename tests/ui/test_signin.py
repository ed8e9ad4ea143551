"""The sign-in dialog: plain http:// to another computer needs a tick; a certificate file
under "Advanced" is used (over the environment's) and remembered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from connect_desktop.account import Account
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user
from tests.support.tls import self_signed
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District, RecordingReporter
from ui.settings import UiSettings
from ui.signin import SignInDialog
from ui.tasks import TaskRunner


@pytest.fixture
def dialog(
    qtbot: QtBot, runner: TaskRunner, ui_settings: UiSettings, reporter: RecordingReporter
) -> Iterator[SignInDialog]:
    signin = SignInDialog(Account.sign_in, runner, ui_settings, reporter)
    qtbot.addWidget(signin)
    yield signin
    if signin.account is not None:
        signin.account.close()


def fill(dialog: SignInDialog, server: str) -> None:
    dialog.server.setText(server)
    dialog.email.setText(ADMIN_EMAIL)
    dialog.password.setText(ADMIN_PASSWORD)


def sign_in(qtbot: QtBot, dialog: SignInDialog) -> Account:
    with qtbot.waitSignal(dialog.signed_in, timeout=20_000) as signal:
        dialog.submit.click()
    service: Account = signal.args[0]
    return service


def test_plain_http_to_another_computer_is_refused_until_ticked(
    qtbot: QtBot, dialog: SignInDialog, district: District
) -> None:
    fill(dialog, "http://connect.example.org")
    assert not dialog.insecure_warning.isHidden() and not dialog.insecure_ok.isHidden()
    assert "unencrypted" in dialog.insecure_warning.text()
    dialog.submit.click()
    assert "not encrypted" in dialog.error.text() and not dialog.error.isHidden()
    assert dialog.submit.isEnabled() and dialog.account is None  # nothing was started

    # 0.0.0.0 is no loopback address, yet connecting to it reaches this computer's server.
    fill(dialog, f"http://0.0.0.0:{district.server.port}")
    assert not dialog.insecure_ok.isHidden() and not dialog.insecure_ok.isChecked()
    dialog.insecure_ok.setChecked(True)
    service = sign_in(qtbot, dialog)
    assert service.account.server_url == f"http://0.0.0.0:{district.server.port}"


def test_plain_http_to_this_computer_needs_no_tick(
    qtbot: QtBot, dialog: SignInDialog, district: District
) -> None:
    dialog.server.setText("http://connect.example.org")
    dialog.insecure_ok.setChecked(True)
    fill(dialog, district.url)
    assert dialog.insecure_warning.isHidden() and dialog.insecure_ok.isHidden()
    assert not dialog.insecure_ok.isChecked()  # a later http:// address is confirmed anew
    assert sign_in(qtbot, dialog).account.server_url == district.url


def test_a_certificate_file_under_advanced_wins_and_is_remembered(
    qtbot: QtBot,
    dialog: SignInDialog,
    tls_server: LiveServer,
    ui_settings: UiSettings,
    runner: TaskRunner,
    reporter: RecordingReporter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tls_server.tls is not None
    add_user(tls_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD)
    RecordBuilder(tls_server.sessions).school()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self_signed(tmp_path / "other").cert_file))
    assert dialog.advanced_box.isHidden() and not dialog.advanced.isChecked()
    fill(dialog, tls_server.url)
    dialog.advanced.click()
    assert not dialog.advanced_box.isHidden()
    dialog.ca_bundle.setText(str(tls_server.tls.cert_file))
    service = sign_in(qtbot, dialog)
    assert service.account.ca_bundle == str(tls_server.tls.cert_file)
    with service.client() as client:  # later calls use the remembered file too
        assert client.me().email == ADMIN_EMAIL
    assert ui_settings.ca_bundle == str(tls_server.tls.cert_file)
    again = SignInDialog(Account.sign_in, runner, ui_settings, reporter)
    qtbot.addWidget(again)
    assert again.ca_bundle.text() == str(tls_server.tls.cert_file) and not again.advanced_box.isHidden()


def test_without_the_certificate_file_the_problem_is_shown_in_plain_words(
    qtbot: QtBot, dialog: SignInDialog, tls_server: LiveServer
) -> None:
    fill(dialog, tls_server.url)
    dialog.submit.click()
    qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=20_000)
    assert "certificate could not be verified" in dialog.error.text()


def test_fields_keep_their_height_when_a_warning_an_error_and_the_advanced_part_appear(
    qtbot: QtBot, dialog: SignInDialog
) -> None:
    dialog.show()
    qtbot.waitExposed(dialog)
    wanted = dialog.server.sizeHint().height()
    fill(dialog, "http://connect.example.org")
    dialog.advanced.setChecked(True)
    dialog.submit.click()  # refused: the http:// choice is not ticked, an error shows
    qtbot.wait(50)  # the dialog grows on the next turn of the event loop
    for field in (dialog.server, dialog.email, dialog.password, dialog.ca_bundle):
        assert field.height() >= wanted, field.accessibleName()
    warning = dialog.insecure_warning
    assert warning.height() >= warning.heightForWidth(warning.width())  # every line of it shows
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())


def test_a_whole_district_address_and_e_mail_fit_in_their_fields(qtbot: QtBot, dialog: SignInDialog) -> None:
    """The fields were squeezed to a third of the dialog: "nin@demo.connect.test" showed."""
    dialog.show()
    qtbot.waitExposed(dialog)
    for field, text in (
        (dialog.server, "https://connect.springfield.k12.org"),
        (dialog.email, "mary.oconnor@springfield.k12.org"),
    ):
        field.setText(text)
        room = field.contentsRect().width() - 2 * field.style().pixelMetric(
            field.style().PixelMetric.PM_DefaultFrameWidth
        )
        assert field.fontMetrics().horizontalAdvance(text) <= room, field.accessibleName()


def test_enter_in_the_password_field_signs_in_even_with_the_advanced_part_open(
    qtbot: QtBot, dialog: SignInDialog, district: District
) -> None:
    dialog.show()
    qtbot.waitExposed(dialog)
    fill(dialog, district.server.url)
    dialog.advanced.setChecked(True)
    dialog.choose_ca.setFocus()
    dialog.password.setFocus()
    with qtbot.waitSignal(dialog.signed_in, timeout=20_000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def test_an_address_typed_without_its_scheme_reaches_a_server_on_this_computer(
    qtbot: QtBot, dialog: SignInDialog, district: District
) -> None:
    fill(dialog, f"127.0.0.1:{district.server.port}")  # as a demo or local server prints it
    assert dialog.insecure_warning.isHidden()
    assert sign_in(qtbot, dialog).account.server_url == f"http://127.0.0.1:{district.server.port}"


def test_an_https_guess_that_meets_a_plain_server_says_to_type_http(
    qtbot: QtBot, dialog: SignInDialog, district: District
) -> None:
    fill(dialog, f"0.0.0.0:{district.server.port}")  # another computer's address: https is tried
    dialog.submit.click()
    qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=20_000)
    assert dialog.server.text() == f"https://0.0.0.0:{district.server.port}"
    assert "type its address with http:// in front" in dialog.error.text()

"""Account → Sign out and Remove this computer's copy…, in the real app against the live server."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot

from connect_desktop.credentials import TokenStore
from connect_desktop.sync.outbox import Outbox
from tests.ui.conftest import ADMIN_EMAIL, District, OpenedApp, RecordingReporter
from ui.signin import SignInDialog

ENDED = "The Connect server has ended your session."


def me_status(district: District, token: str) -> int:
    with httpx.Client(base_url=district.server.api) as http:
        return http.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_sign_out_ends_the_session_and_goes_back_to_sign_in(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    token = TokenStore().load(district.url, ADMIN_EMAIL)
    assert token is not None and me_status(district, token) == 200
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "A&ccount")
    assert [a.text() for a in menu.actions()] == ["Sign &out", "&Remove this computer's copy…"]
    with qtbot.waitSignal(controller.sign_in_shown, timeout=10_000) as shown:
        window.account_actions.sign_out_action.trigger()
    dialog: SignInDialog = shown.args[0]
    qtbot.addWidget(dialog)
    assert dialog.status.text() == "Signed out. " + ENDED and dialog.isVisible()
    assert not window.isVisible() and controller.window is None
    assert me_status(district, token) == 401
    assert TokenStore().load(district.url, ADMIN_EMAIL) is None
    assert reporter.reported == []


def test_removing_the_copy_asks_first_and_names_the_unsent_changes(
    qtbot: QtBot,
    district: District,
    reporter: RecordingReporter,
    opened_app: OpenedApp,
) -> None:
    controller, window = opened_app
    Outbox(window.service.cache).stage(
        "archive_classroom", "classroom", district.old_classrooms[0]["id"], step="archive_classrooms"
    )
    cache_path = window.service.account.cache_path
    token = TokenStore().load(district.url, ADMIN_EMAIL)
    assert token is not None
    actions = window.account_actions

    def ask() -> None:
        actions.remove_action.trigger()
        qtbot.waitUntil(lambda: actions.confirm_box is not None and actions.confirm_box.isVisible())

    ask()
    box = actions.confirm_box
    assert box is not None
    assert "1 staged change that was not sent to Connect will be lost" in box.informativeText()
    box.button(box.StandardButton.Cancel).click()
    assert actions.confirm_box is None and not actions.busy
    assert cache_path.exists() and me_status(district, token) == 200

    ask()
    box = actions.confirm_box
    assert box is not None
    with qtbot.waitSignal(controller.sign_in_shown, timeout=10_000) as shown:
        next(b for b in box.buttons() if b.text() == "&Remove and sign out").click()
    dialog: SignInDialog = shown.args[0]
    qtbot.addWidget(dialog)
    assert "1 staged change that was not sent is gone with it." in dialog.status.text()
    assert ENDED in dialog.status.text()
    assert not cache_path.exists()
    assert me_status(district, token) == 401
    assert reporter.reported == []

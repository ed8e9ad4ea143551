"""Signing out ends the session on the server; offline, at the next sign-in or sync."""

from __future__ import annotations

import httpx
import pytest

from connect_desktop import cli
from connect_desktop.credentials import TokenStore
from connect_desktop.settings import load_account
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District
from tests.desktop.test_cli import login, run
from tests.support.server import LiveServer

ENDED = "The Connect server has ended your session."
OFFLINE = "could not be reached or did not answer"


def status(server: LiveServer, token: str) -> dict[str, int]:
    """What the server answers this token on /me and /changes."""
    with httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {token}"}) as http:
        return {path: http.get(path).status_code for path in ("/me", "/changes")}


def stored_token(server: LiveServer) -> str | None:
    return TokenStore().load(server.url, ADMIN_EMAIL)


def other_sign_in(server: LiveServer) -> str:
    """A second session of the same user, as another computer would have."""
    with httpx.Client(base_url=server.api) as http:
        answer = http.post("/auth/token", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return str(answer.json()["access_token"])


def test_logout_ends_the_session_on_the_server(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    token = stored_token(live_server)
    assert token is not None and status(live_server, token) == {"/me": 200, "/changes": 200}
    code, _, err = run(capsys, "logout")
    assert code == cli.OK and ENDED in err
    assert status(live_server, token) == {"/me": 401, "/changes": 401}
    assert stored_token(live_server) is None and TokenStore().to_revoke(live_server.url) == []
    code, _, err = run(capsys, "logout")
    assert code == cli.OK and "already signed out" in err


def test_offline_logout_is_finished_at_the_next_sign_in(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    token = stored_token(live_server)
    assert token is not None
    live_server.stop()
    try:
        code, _, err = run(capsys, "logout")
    finally:
        live_server.start()
    assert code == cli.OK and OFFLINE in err and "next time" in err
    assert stored_token(live_server) is None
    assert TokenStore().to_revoke(live_server.url) == [token]
    assert status(live_server, token)["/me"] == 200  # not ended yet: the server was never told
    code, _, err = run(
        capsys, "login", "--server", live_server.url, "--user", ADMIN_EMAIL, "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )  # fmt: skip
    assert code == cli.OK and "also ended 1 earlier session" in err
    assert status(live_server, token) == {"/me": 401, "/changes": 401}
    assert TokenStore().to_revoke(live_server.url) == []
    new_token = stored_token(live_server)
    assert new_token is not None and status(live_server, new_token)["/me"] == 200


def test_a_sync_finishes_offline_sign_outs_of_the_same_server(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    left_behind = other_sign_in(live_server)
    TokenStore().remember_revocation(live_server.url, left_behind)
    code, _, err = run(capsys, "sync")
    assert code == cli.OK and "also ended 1 earlier session" in err
    assert status(live_server, left_behind)["/me"] == 401
    assert TokenStore().to_revoke(live_server.url) == []
    code, _, err = run(capsys, "sync")
    assert code == cli.OK and "earlier session" not in err


def test_remove_local_data_ends_the_session_and_counts_the_lost_changes(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync", "--pull-only")[0] == cli.OK
    for student in district.students[:2]:
        assert run(capsys, "stage", "archive_student", "--id", student["id"])[0] == cli.OK
    token, account = stored_token(live_server), load_account()
    assert token is not None and account is not None and account.cache_path.exists()
    code, _, err = run(capsys, "remove-local-data")
    assert code == cli.OK
    assert "2 staged changes that were not sent are gone with it." in err and ENDED in err
    assert not account.cache_path.exists() and load_account() is None
    assert status(live_server, token) == {"/me": 401, "/changes": 401}


def test_remove_local_data_offline_removes_the_copy_and_remembers_the_token(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    token, account = stored_token(live_server), load_account()
    assert token is not None and account is not None
    live_server.stop()
    try:
        code, _, err = run(capsys, "remove-local-data")
    finally:
        live_server.start()
    assert code == cli.OK and OFFLINE in err and "gone" not in err  # nothing was staged
    assert not account.cache_path.exists()
    assert TokenStore().to_revoke(live_server.url) == [token]

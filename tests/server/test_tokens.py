"""District admins list and revoke sign-ins: over the API and with `connect-server tokens`."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from connect_server.cli import main
from connect_server.models import AccessToken
from connect_server.security import token_digest
from tests.server.conftest import ADMIN_A, DISTRICT, PASSWORD, TEACHER_A, Api, District
from tests.support.server import LiveServer

Connect = Callable[..., Api]


def token_of(client: Api) -> str:
    return client.http.headers["Authorization"].removeprefix("Bearer ")


def listed(admin: Api) -> dict[str, dict[str, Any]]:
    response = admin.http.get("/auth/tokens")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["tokens"]) and not body["has_more"]
    return {token["email"]: token for token in body["tokens"]}


def test_a_district_admin_lists_active_sign_ins_but_never_their_secrets(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    admin, teacher = connect(DISTRICT), connect(TEACHER_A)
    response = admin.http.get("/auth/tokens")
    tokens = listed(admin)
    assert set(tokens) == {DISTRICT, TEACHER_A}
    mine, theirs = tokens[DISTRICT], tokens[TEACHER_A]
    assert (mine["current"], theirs["current"]) == (True, False)
    assert (mine["role"], theirs["role"]) == ("district_admin", "teacher")
    created, expires = (dt.datetime.fromisoformat(theirs[k]) for k in ("created_at", "expires_at"))
    assert expires - created == dt.timedelta(hours=12)
    with live_server.sessions() as session:
        stored = session.scalar(
            select(AccessToken).where(AccessToken.token_hash == token_digest(token_of(teacher)))
        )
    assert stored is not None and stored.public_id == theirs["id"]
    for secret in (token_of(teacher), token_of(admin), token_digest(token_of(teacher))):
        assert secret not in response.text


def test_a_district_admin_revokes_another_users_sign_in(connect: Connect, district: District) -> None:
    admin, teacher = connect(DISTRICT), connect(TEACHER_A)
    assert teacher.http.get("/me").status_code == 200
    token_id = listed(admin)[TEACHER_A]["id"]
    assert admin.http.delete(f"/auth/tokens/{token_id}").status_code == 204
    for path in ("/me", "/changes"):
        assert teacher.http.get(path).status_code == 401
    assert TEACHER_A not in listed(admin)
    again = admin.http.delete(f"/auth/tokens/{token_id}")
    assert again.status_code == 404 and again.json() == {"detail": "No active sign-in with this id"}
    assert admin.http.get("/me").status_code == 200


def test_school_admins_and_teachers_get_403(connect: Connect, district: District) -> None:
    admin = connect(DISTRICT)
    admin_id = listed(admin)[DISTRICT]["id"]
    for email in (ADMIN_A, TEACHER_A):
        client = connect(email)
        assert client.http.get("/auth/tokens").status_code == 403
        assert client.http.delete(f"/auth/tokens/{admin_id}").status_code == 403
    assert admin.http.get("/me").status_code == 200


def test_expired_sign_ins_are_neither_listed_nor_revocable(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    admin, teacher = connect(DISTRICT), connect(TEACHER_A)
    token_id = listed(admin)[TEACHER_A]["id"]
    with live_server.sessions.begin() as session:
        expired = AccessToken.token_hash == token_digest(token_of(teacher))
        session.execute(update(AccessToken).where(expired).values(expires_at=dt.datetime(2000, 1, 1)))
    assert TEACHER_A not in listed(admin)
    assert admin.http.delete(f"/auth/tokens/{token_id}").status_code == 404


def test_last_use_is_noted_to_the_minute(live_server: LiveServer, district: District) -> None:
    now = [dt.datetime(2026, 6, 1, 8, 0)]
    with (
        LiveServer(live_server.sessions, clock=lambda: now[0]) as server,
        httpx.Client(base_url=server.api, timeout=30) as http,
    ):

        def bearer(email: str) -> dict[str, str]:
            answer = http.post("/auth/token", json={"username": email, "password": PASSWORD})
            return {"Authorization": "Bearer " + answer.json()["access_token"]}

        admin, teacher = bearer(DISTRICT), bearer(TEACHER_A)

        def teacher_last_used() -> str | None:
            tokens = http.get("/auth/tokens", headers=admin).json()["tokens"]
            return next(t["last_used_at"] for t in tokens if t["email"] == TEACHER_A)

        assert teacher_last_used() is None  # signing in is not a use
        now[0] += dt.timedelta(minutes=5)
        assert http.get("/me", headers=teacher).status_code == 200
        # Noted after the response was sent: wait for it to land.
        deadline = time.monotonic() + 10
        while teacher_last_used() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert teacher_last_used() == "2026-06-01T08:05:00"


def test_connect_server_tokens_list_and_revoke(
    connect: Connect, district: District, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    teacher = connect(TEACHER_A)
    assert main(["tokens", "list", "--db", db_url, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["email"], row["role"], row["last_used_at"]) == (TEACHER_A, "teacher", None)
    assert main(["tokens", "list", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert row["id"] in out and TEACHER_A in out and token_of(teacher) not in out
    assert main(["tokens", "revoke", "--db", db_url, row["id"]]) == 0
    assert capsys.readouterr().out.strip() == f"Revoked sign-in {row['id']}"
    assert teacher.http.get("/me").status_code == 401
    assert main(["tokens", "revoke", "--db", db_url, row["id"]]) == 1
    assert "No active sign-in with id" in capsys.readouterr().err
    assert main(["tokens", "list", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == "No active sign-ins."

"""Sign-in, tokens and the current user, over a live server (throttling: test_throttle.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
from sqlalchemy import update

from connect_server.models import AccessToken
from tests.server.conftest import ADMIN_A, DISTRICT, PASSWORD, TEACHER_A, Api, District
from tests.support.server import LiveServer

Connect = Callable[..., Api]


def test_sign_in_returns_a_token_and_the_user(connect: Connect, district: District) -> None:
    client = connect()
    response = client.http.post("/auth/token", json={"username": ADMIN_A.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 12 * 3600
    assert body["user"]["role"] == "school_admin"
    assert body["user"]["school_ids"] == [district.school_a["id"]]
    me = client.http.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == ADMIN_A


def test_wrong_password_and_unknown_user_get_the_same_generic_401(
    connect: Connect, district: District
) -> None:
    client = connect()
    wrong = client.http.post("/auth/token", json={"username": DISTRICT, "password": "nope"})
    unknown = client.http.post("/auth/token", json={"username": "who@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong e-mail or password"}


def test_requests_without_a_valid_token_get_401_with_bearer_challenge(
    connect: Connect, district: District
) -> None:
    client = connect()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        for path in ("/me", "/changes", "/audit", "/sync/settings"):
            response = client.http.get(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"
    response = client.http.post("/operations", json={"operations": []})
    assert response.status_code == 401


def test_an_expired_token_gets_401(live_server: LiveServer, connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    assert client.http.get("/me").status_code == 200
    with live_server.sessions.begin() as session:
        session.execute(update(AccessToken).values(expires_at=dt.datetime(2000, 1, 1)))
    response = client.http.get("/me")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_token_lifetime_follows_the_injected_clock(live_server: LiveServer, district: District) -> None:
    now = [dt.datetime(2026, 6, 1, 8, 0)]
    with (
        LiveServer(live_server.sessions, token_ttl=dt.timedelta(hours=1), clock=lambda: now[0]) as server,
        httpx.Client(base_url=server.api) as http,
    ):
        token = http.post("/auth/token", json={"username": DISTRICT, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert token["expires_in"] == 3600
        now[0] += dt.timedelta(minutes=59)
        assert http.get("/me", headers=headers).status_code == 200
        now[0] += dt.timedelta(minutes=1)
        assert http.get("/me", headers=headers).status_code == 401


def test_logout_revokes_the_token(connect: Connect, district: District) -> None:
    client = connect(TEACHER_A)
    assert client.http.post("/auth/logout").status_code == 204
    assert client.http.get("/me").status_code == 401


def test_openapi_document_is_served(connect: Connect) -> None:
    response = connect().http.get("/../../openapi.json")
    assert response.status_code == 200
    assert "/api/v1/changes" in response.json()["paths"]

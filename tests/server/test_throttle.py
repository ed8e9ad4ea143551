"""The sign-in throttle over a live server: per account and address, in the database.

Client addresses come from `X-Forwarded-For`, which the server takes from a proxy on
its own loopback address (as behind a reverse proxy); the clock is stepped by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from connect_server.cli import main
from connect_server.models import ThrottleCounter
from tests.server.conftest import ADMIN_A, DISTRICT, PASSWORD, TEACHER_A, Api, District
from tests.support.server import LiveServer, add_user, make_database

ATTACKER, OWNER, SCHOOL_NAT, ADMIN_DESK = "203.0.113.7", "198.51.100.20", "192.0.2.44", "192.0.2.200"


class SteppedClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 1, 8, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def step(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def http(live_server: LiveServer, district: District, clock: SteppedClock) -> Iterator[httpx.Client]:
    with (
        LiveServer(live_server.sessions, clock=clock) as server,
        httpx.Client(base_url=server.api, timeout=30) as client,
    ):
        yield client


def sign_in(http: httpx.Client, email: str, password: str, address: str) -> httpx.Response:
    body = {"username": email, "password": password}
    return http.post("/auth/token", json=body, headers={"X-Forwarded-For": address})


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    return int(response.headers["Retry-After"])


def fail_waiting(http: httpx.Client, clock: SteppedClock, email: str, address: str, times: int) -> None:
    """`times` wrong passwords from `address`, each after waiting out the refusal if any."""
    for _ in range(times):
        response = sign_in(http, email, "a guess", address)
        if response.status_code == 429:
            clock.step(retry_after(response))
            response = sign_in(http, email, "a guess", address)
        assert response.status_code == 401, response.text


def admin_headers(http: httpx.Client) -> dict[str, str]:
    token = sign_in(http, DISTRICT, PASSWORD, ADMIN_DESK).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_back_off_for_one_account_from_one_address_doubles_up_to_15_minutes(
    http: httpx.Client, clock: SteppedClock
) -> None:
    for _ in range(5):  # five typos are free
        assert sign_in(http, TEACHER_A, "typo", ATTACKER).status_code == 401
    waits = []
    for _ in range(12):
        waits.append(retry_after(sign_in(http, TEACHER_A, PASSWORD, ATTACKER)))  # even the right one waits
        clock.step(waits[-1])
        assert sign_in(http, TEACHER_A, "typo", ATTACKER).status_code == 401
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    clock.step(retry_after(sign_in(http, TEACHER_A, PASSWORD, ATTACKER)))
    assert sign_in(http, TEACHER_A, PASSWORD, ATTACKER).status_code == 200
    for _ in range(5):  # the good sign-in started the count afresh
        assert sign_in(http, TEACHER_A, "typo", ATTACKER).status_code == 401
    assert retry_after(sign_in(http, TEACHER_A, "typo", ATTACKER)) == 2


def test_an_attacker_on_one_address_keeps_the_owner_on_another_out_for_3_seconds_at_most(
    http: httpx.Client, clock: SteppedClock
) -> None:
    fail_waiting(http, clock, DISTRICT, ATTACKER, 40)
    assert retry_after(sign_in(http, DISTRICT, "a guess", ATTACKER)) == 900
    owner = sign_in(http, DISTRICT, PASSWORD, OWNER)
    assert retry_after(owner) == 3  # the per-account delay, at its cap
    clock.step(3)
    assert sign_in(http, DISTRICT, PASSWORD, OWNER).status_code == 200
    assert retry_after(sign_in(http, DISTRICT, PASSWORD, ATTACKER)) > 0  # the attacker stays locked


def test_typos_of_several_people_behind_one_address_lock_nobody(http: httpx.Client) -> None:
    for email in (DISTRICT, DISTRICT, TEACHER_A, TEACHER_A, ADMIN_A, ADMIN_A, "who@example.org"):
        assert sign_in(http, email, "typo", SCHOOL_NAT).status_code == 401
    for email in (ADMIN_A, TEACHER_A, DISTRICT):
        assert sign_in(http, email, PASSWORD, SCHOOL_NAT).status_code == 200


def test_spraying_100_accounts_from_one_address_blocks_the_address_for_the_hour(
    live_server: LiveServer, http: httpx.Client, clock: SteppedClock
) -> None:
    sprayed = [f"staff{n}@example.org" for n in range(100)]
    for email in sprayed:
        add_user(live_server.sessions, email, "district_admin", PASSWORD)
    for email in sprayed:  # one likely password for each account, over 10 minutes
        assert sign_in(http, email, "Summer2026!", ATTACKER).status_code == 401
        clock.step(6)
    assert retry_after(sign_in(http, ADMIN_A, PASSWORD, ATTACKER)) == 50 * 60
    assert sign_in(http, ADMIN_A, PASSWORD, OWNER).status_code == 200
    clock.step(50 * 60)
    assert sign_in(http, ADMIN_A, PASSWORD, ATTACKER).status_code == 200


def test_the_throttle_holds_in_a_new_app_on_the_same_database(
    live_server: LiveServer, district: District, db_url: str, clock: SteppedClock
) -> None:
    with (
        LiveServer(live_server.sessions, clock=clock) as first,
        httpx.Client(base_url=first.api, timeout=30) as http,
    ):
        fail_waiting(http, clock, ADMIN_A, ATTACKER, 8)
        before = retry_after(sign_in(http, ADMIN_A, PASSWORD, ATTACKER))
    assert before == 16
    clock.step(5)
    sessions = make_database(db_url)  # another engine, as another worker or a restart has
    try:
        with LiveServer(sessions, clock=clock) as second, httpx.Client(base_url=second.api) as http:
            assert retry_after(sign_in(http, ADMIN_A, PASSWORD, ATTACKER)) == 11
            assert sign_in(http, ADMIN_A, PASSWORD, OWNER).status_code == 200
    finally:
        sessions.kw["bind"].dispose()


def _entries(http: httpx.Client, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = http.get("/auth/throttle", headers=headers)
    assert response.status_code == 200, response.text
    return {entry["kind"]: entry for entry in response.json()["entries"]}


def test_a_district_admin_sees_the_counters_and_clears_them(http: httpx.Client, clock: SteppedClock) -> None:
    headers = admin_headers(http)
    for _ in range(5):
        assert sign_in(http, TEACHER_A.upper(), "typo", SCHOOL_NAT).status_code == 401
    entries = _entries(http, headers)
    assert set(entries) == {"account_address", "account", "address"}
    pair = entries["account_address"]
    assert (pair["account"], pair["address"], pair["failures"]) == (TEACHER_A, SCHOOL_NAT, 5)
    assert dt.datetime.fromisoformat(pair["blocked_until"]) == clock.now + dt.timedelta(seconds=2)
    assert (entries["account"]["address"], entries["account"]["blocked_until"]) == (None, None)
    assert (entries["address"]["account"], entries["address"]["failures"]) == (None, 5)
    assert sign_in(http, TEACHER_A, PASSWORD, SCHOOL_NAT).status_code == 429

    cleared = http.delete("/auth/throttle", params={"account": TEACHER_A}, headers=headers)
    assert cleared.status_code == 200 and cleared.json() == {"cleared": 2}
    assert set(_entries(http, headers)) == {"address"}
    assert sign_in(http, TEACHER_A, PASSWORD, SCHOOL_NAT).status_code == 200  # no waiting
    assert http.delete("/auth/throttle", headers=headers).json() == {"cleared": 1}
    assert _entries(http, headers) == {}


def test_only_district_admins_see_or_clear_the_throttle(connect: Any, district: District) -> None:
    for email in (ADMIN_A, TEACHER_A):
        client: Api = connect(email)
        assert client.http.get("/auth/throttle").status_code == 403
        assert client.http.delete("/auth/throttle").status_code == 403


def test_connect_server_throttle_list_and_clear(
    connect: Any, district: District, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client: Api = connect()
    for _ in range(3):
        assert sign_in(client.http, ADMIN_A, "typo", SCHOOL_NAT).status_code == 401
    assert main(["throttle", "list", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("3 failure(s)" in line and "not blocked" in line for line in lines)
    assert sum(ADMIN_A in line and SCHOOL_NAT in line for line in lines) == 1
    assert main(["throttle", "clear", "--db", db_url, "--address", SCHOOL_NAT]) == 0
    assert capsys.readouterr().out.strip() == "Cleared 2 counter(s)"
    assert main(["throttle", "list", "--db", db_url, "--json"]) == 0
    (left,) = json.loads(capsys.readouterr().out)
    assert (left["kind"], left["account"], left["address"], left["failures"]) == ("account", ADMIN_A, None, 3)


def test_a_name_that_grows_when_case_folded_is_still_counted(http: httpx.Client) -> None:
    assert sign_in(http, "ß" * 254, "typo", ATTACKER).status_code == 401  # folds to 508 characters
    headers = admin_headers(http)
    assert _entries(http, headers)["account"]["account"] == "s" * 254


def test_counters_a_day_old_are_deleted_at_the_next_failure(
    live_server: LiveServer, http: httpx.Client, clock: SteppedClock
) -> None:
    assert sign_in(http, ADMIN_A, "typo", SCHOOL_NAT).status_code == 401
    clock.step(24 * 3600)
    assert sign_in(http, TEACHER_A, "typo", ATTACKER).status_code == 401
    with live_server.sessions() as session:
        left = session.execute(select(ThrottleCounter.account, ThrottleCounter.address)).all()
    assert sorted(left) == sorted([(TEACHER_A, ATTACKER), (TEACHER_A, ""), ("", ATTACKER)])

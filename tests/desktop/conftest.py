"""Fixtures for the desktop core: a private app folder, a small district, a signed-in cache."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from connect_desktop import session as accounts
from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.domain.entities import EntityType
from connect_desktop.settings import AccountSettings
from connect_desktop.store.db import Cache
from connect_desktop.store.paths import HOME_ENV
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user

ADMIN_EMAIL = "admin@district.example"
ADMIN_PASSWORD = "correct horse battery"
FAST_RETRY = RetryPolicy(attempts=2, backoff_s=0.05)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private app data folder and no OS keyring (the file fallback), for every test."""
    folder = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(folder))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield folder
    keyring.set_keyring(previous)


@dataclass
class District:
    schools: list[dict[str, Any]]
    term: dict[str, Any]
    staff: list[dict[str, Any]]
    students: list[dict[str, Any]]
    classrooms: list[dict[str, Any]]


def build_district(builder: RecordBuilder, students: int = 12) -> District:
    schools = [builder.school(name="Lincoln Elementary"), builder.school(name="Jefferson Middle")]
    term = builder.term(name="2025-26")
    staff = [builder.staff(school_id=schools[i % 2]["id"]) for i in range(4)]
    kids = [builder.student(schools[i % 2]["id"], grade=str(1 + i % 5)) for i in range(students)]
    classrooms = [builder.classroom(schools[i % 2]["id"], term["id"]) for i in range(4)]
    for kid in kids[:4]:
        builder.link(kid, builder.contact())
    for i, kid in enumerate(kids[:6]):
        builder.add(
            EntityType.ENROLLMENT,
            classroom_id=classrooms[i % 4]["id"],
            person_id=kid["id"],
            school_id=kid["school_id"],
        )
    return District(schools, term, staff, kids, classrooms)


@pytest.fixture
def district(live_server: LiveServer) -> District:
    add_user(live_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD)
    return build_district(RecordBuilder(live_server.sessions))


@dataclass
class Desk:
    """A signed-in desktop: account, its open cache and an API client."""

    account: AccountSettings
    cache: Cache
    client: ApiClient


@pytest.fixture
def desk(live_server: LiveServer, district: District) -> Iterator[Desk]:
    signed_in = accounts.login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    cache = accounts.open_account_cache(signed_in.account)
    client = accounts.client_for(signed_in.account, retry=FAST_RETRY)
    try:
        yield Desk(signed_in.account, cache, client)
    finally:
        client.close()
        cache.close()

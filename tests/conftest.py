"""Fixtures shared by every test suite: server databases and a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import PostgresDatabases, migrated_sqlite, sqlite_url
from tests.support.demo import Demo, seed_demo
from tests.support.server import LiveServer, make_database
from tests.support.tls import self_signed

PG_URL = os.environ.get("CONNECT_TEST_PG_URL")

_DATABASES = [pytest.param("sqlite", id="sqlite")]
if PG_URL:
    _DATABASES.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[PostgresDatabases]:
    assert PG_URL is not None
    databases = PostgresDatabases(PG_URL)
    yield databases
    databases.close()


@pytest.fixture(params=_DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A server database without records: a new SQLite file, and also (when
    CONNECT_TEST_PG_URL is set) a new PostgreSQL database, already migrated."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copyfile(template, tmp_path / "server.db")
        yield sqlite_url(tmp_path)
        return
    databases: PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with databases.database() as url:
        yield url


@pytest.fixture
def live_server(db_url: str) -> Iterator[LiveServer]:
    """The real server over a fresh, migrated database, on a loopback port."""
    sessions = make_database(db_url)
    server = LiveServer(sessions)
    try:
        with server:
            yield server
    finally:
        sessions.kw["bind"].dispose()


@pytest.fixture
def tls_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The real server over HTTPS, with a self-signed certificate (`tls_server.tls.cert_file`)."""
    sessions = make_database(db_url)
    server = LiveServer(sessions, tls=self_signed(tmp_path / "tls"))
    try:
        with server:
            yield server
    finally:
        sessions.kw["bind"].dispose()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The seeded demo district (600 students, as of 2026-06-20), seeded once per run."""
    return seed_demo(tmp_path_factory.mktemp("demo"))

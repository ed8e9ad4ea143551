"""The cache file: permissions, name, migrations with backup, refusal of newer caches."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from connect_desktop.store.db import alembic_config, head_revision, make_engine, open_cache
from connect_desktop.store.errors import CacheTooNewError
from connect_desktop.store.paths import cache_file_name, cache_files, cache_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cache_file_and_its_wal_are_private(home: Path) -> None:
    path = cache_path("https://connect.example.org", "user-1")
    with open_cache(path) as cache:
        with cache.sessions.begin() as session:
            session.execute(text("INSERT INTO sync_state (id, cursor, full_pull_done) VALUES (1, 5, 0)"))
        with cache.raw():  # keep a connection open so the WAL and shared-memory files exist
            side_files = [p for p in cache_files(path) if p != path]
            assert {p.name.rsplit("-", 1)[-1] for p in side_files} == {"wal", "shm"}
            assert all(_mode(p) == 0o600 for p in side_files)
    assert path.parent == home
    assert _mode(path) == 0o600


def test_file_name_reveals_nothing_and_depends_on_server_and_user() -> None:
    name = cache_file_name("https://Connect.Example.org/", "alice@example.org")
    assert "example" not in name and "alice" not in name
    assert name == cache_file_name("https://connect.example.org:443", "alice@example.org")
    assert name != cache_file_name("https://other.example.org", "alice@example.org")
    assert name != cache_file_name("https://connect.example.org", "bob@example.org")


def test_cache_is_in_wal_mode(tmp_path: Path) -> None:
    with open_cache(tmp_path / "c.sqlite3") as cache, cache.raw() as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def _make_old_cache(path: Path, revision: str) -> None:
    engine = make_engine(path)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _indexes(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        connection.close()


def test_an_older_cache_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    _make_old_cache(path, "0001")
    connection = sqlite3.connect(path)
    connection.execute("INSERT INTO sync_state (id, cursor, full_pull_done) VALUES (1, 42, 1)")
    connection.commit()
    connection.close()
    assert "ix_student_name" not in _indexes(path)
    with open_cache(path) as cache, cache.raw() as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
        assert raw.execute("SELECT cursor FROM sync_state").fetchone()[0] == 42
    assert "ix_student_name" in _indexes(path)
    backup = tmp_path / "cache.sqlite3.bak-0001"
    assert backup.exists() and _mode(backup) == 0o600
    assert "ix_student_name" not in _indexes(backup)
    with open_cache(path):  # already current: no second backup
        pass
    assert sorted(p.name for p in tmp_path.glob("*.bak-*")) == ["cache.sqlite3.bak-0001"]


def test_a_cache_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    open_cache(path).close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    with pytest.raises(CacheTooNewError) as caught:
        open_cache(path)
    assert "newer version" in caught.value.user_message
    assert not list(tmp_path.glob("*.bak-*"))

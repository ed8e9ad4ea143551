"""The server's SQLite database and its side files are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from connect_server.db import open_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual umask (0644 files), so owner-only modes are the code's doing."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_database_and_its_wal_and_shm_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    sessions = open_database(f"sqlite:///{path}")
    try:
        with sessions() as session:  # an open connection keeps the -wal and -shm files
            session.execute(text("SELECT 1"))
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        sessions.kw["bind"].dispose()


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_database_made_0644_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    open_database(f"sqlite:///{path}").kw["bind"].dispose()
    path.chmod(0o644)
    sessions = open_database(f"sqlite:///{path}")
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
            assert mode(path) == mode(Path(f"{path}-wal")) == 0o600
    finally:
        sessions.kw["bind"].dispose()

"""The one place that opens a cache file: permissions, pragmas, backups and migrations."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.store.errors import CacheTooNewError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 30.0


@dataclass
class Cache:
    """An open cache: its file, engine and session factory. Close it when done."""

    path: Path
    engine: Engine
    sessions: sessionmaker[Session]

    @contextlib.contextmanager
    def raw(self) -> Iterator[sqlite3.Connection]:
        """The underlying sqlite3 connection (for bulk writes); the caller commits."""
        fairy = self.engine.raw_connection()
        try:
            driver = fairy.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            yield driver
        finally:
            fairy.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _create_private(path: Path) -> None:
    """Create the file owner-only before SQLite touches it (side files inherit the mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    with contextlib.suppress(OSError):  # best effort on file systems without modes
        path.chmod(0o600)


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup_file(path: Path, target: Path) -> None:
    """A consistent copy of the cache (SQLite online backup), owner-only."""
    _create_private(target)
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def migrate(engine: Engine, path: Path) -> None:
    """Bring the cache to the newest schema; back up an older one first; refuse a newer one."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = current_revision(engine)
    if current == head:
        return
    if current is not None:
        try:
            known = script.get_revision(current)
        except CommandError:
            known = None
        if known is None:
            log.warning("cache revision %s is newer than this program (%s)", current, head)
            raise CacheTooNewError
        backup = Path(f"{path}.bak-{current}")
        backup_file(path, backup)
        log.info("cache backed up before migrating from %s to %s", current, head)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_cache(path: Path) -> Cache:
    """Open (creating or upgrading as needed) the cache file at `path`."""
    _create_private(path)
    engine = make_engine(path)
    try:
        migrate(engine, path)
    except BaseException:
        engine.dispose()
        raise
    return Cache(path=path, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

"""The one place that opens the server database and brings its schema up to date."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import FeedCounter, SyncSettings
from connect_server.sequence import allocate_seqs

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for `url` (SQLite file or PostgreSQL), tuned for this server."""
    if url.startswith("sqlite"):
        _make_private(make_url(url).database)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_private(database: str | None) -> None:
    """Create the SQLite file owner-only, or make it so (it holds personal data).

    SQLite gives the -wal and -shm files the mode of the database file; side files left
    from before are tightened here too.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    # Only a new file is opened here: an open and close of an existing database by other means
    # than SQLite drops this process's SQLite locks on it. No folder: SQLite says so itself.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(OSError):  # absent, or a file system without modes
            file.chmod(0o600)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision; seed the feed counter and sync settings."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:  # running the migration environment costs ~0.1 s even when up to date
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    with Session(engine) as session, session.begin():
        if session.scalar(select(FeedCounter.id).where(FeedCounter.id == 1)) is None:
            session.execute(insert(FeedCounter).values(id=1, value=0))
        ensure_sync_settings(session)


def open_database(url: str) -> sessionmaker[Session]:
    """Open (creating or migrating as needed) the database at `url`."""
    engine = make_engine(url)
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


SYNC_SETTINGS_ID = "00000000-0000-0000-0000-000000000001"
"""The id of the one sync-settings record every database has."""


def ensure_sync_settings(session: Session) -> None:
    """Create the singleton sync-settings record (manual origin) if there is none."""
    if session.scalar(select(SyncSettings.id).limit(1)) is not None:
        return
    (seq,) = allocate_seqs(session, 1)
    session.execute(
        insert(SyncSettings).values(
            id=SYNC_SETTINGS_ID,
            version=1,
            seq=seq,
            origin="manual",
            daily_sync=True,
            pauses=[],
            thresholds={},
        )
    )


@contextmanager
def snapshot(sessions: sessionmaker[Session]) -> Iterator[Connection]:
    """A read-only connection whose every SELECT sees the same committed state.

    PostgreSQL gets REPEATABLE READ; SQLite (whose driver does not start transactions
    for SELECTs) gets an explicit BEGIN, which pins the WAL snapshot at the first read.
    """
    with sessions() as session:
        engine = session.get_bind()
        if engine.dialect.name == "sqlite":
            connection = session.connection()
            connection.exec_driver_sql("BEGIN")
        else:
            connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            yield connection
        finally:
            session.rollback()

"""The one place that opens a cache file: permissions, pragmas, backups and migrations.

A cache file that exists must be a cache: the app's schema at a revision this build
knows (older ones are backed up and upgraded). Only a file created here starts empty,
and it appears under its name only once its schema is complete. Every SQLite or file
system failure of a cache surfaces as a `CacheError` (see `errors.classify`).
"""

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
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.store.errors import (
    CacheError,
    CacheReadOnlyError,
    CacheTooNewError,
    CacheUnavailableError,
    classify,
    damaged,
    empty_file,
    foreign_file,
)

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
        with plain_errors(self.path):
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


@contextlib.contextmanager
def plain_errors(path: Path) -> Iterator[None]:
    """Turn the SQLite and file errors of the cache at `path` into CacheErrors."""
    try:
        yield
    except CacheError:
        raise
    except (sqlite3.Error, SQLAlchemyError, OSError) as exc:
        problem = classify(exc, path)
        if problem is None:
            raise
        log.warning("cache problem: %s (%s)", type(problem).__name__, type(exc).__name__)
        raise problem from exc


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


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine on the file at `path`; its SQLite errors are raised as CacheErrors.

    `read_only` is for a file in a folder nobody can write to, with no WAL beside it:
    SQLite then reads it as immutable (it could not create its shared-memory file).
    """
    url = (
        f"sqlite:///{path.resolve().as_uri()}?mode=ro&immutable=1&uri=true"
        if read_only
        else f"sqlite:///{path}"
    )
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _plain(context: ExceptionContext) -> None:
        problem = classify(context.original_exception, path)
        if problem is not None:
            raise problem from context.original_exception

    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup_file(path: Path, target: Path) -> None:
    """A consistent copy of the cache (SQLite online backup), owner-only; none if it fails."""
    try:
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
    except BaseException:
        for leftover in (target, Path(f"{target}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        raise


def check_schema(engine: Engine, *, thorough: bool = False) -> None:
    """Refuse a file that is not a cache (empty, another program's, damaged) before any write.

    `thorough` also reads every page (PRAGMA quick_check: about half a second per 200 MB).
    """
    with engine.connect() as connection:
        tables = set(
            connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars()
        )
        if not tables:
            raise empty_file()
        if "alembic_version" not in tables:
            raise foreign_file()
        if thorough:
            verdict = connection.exec_driver_sql("PRAGMA quick_check(1)").scalar()
            if verdict != "ok":
                log.warning("cache quick_check failed")
                raise damaged()


def _needs_upgrade(engine: Engine, *, new: bool = False) -> str | None:
    """The cache's revision when it is older than this build's (None: current or new).

    Refuses a newer revision, and a missing one unless the file is `new`.
    """
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    current = current_revision(engine)
    if current == head or (current is None and new):
        return None
    if current is None:
        raise damaged()
    try:
        known = script.get_revision(current)
    except CommandError:
        known = None
    if known is None:
        log.warning("cache revision %s is newer than this program (%s)", current, head)
        raise CacheTooNewError
    return current


def migrate(engine: Engine, path: Path, *, new: bool = False) -> None:
    """Bring the cache to the newest schema; back up an older one first; refuse a newer one.

    Only a `new` file may start without a revision.
    """
    if current_revision(engine) == head_revision():
        return
    older = _needs_upgrade(engine, new=new)
    if older is not None:
        backup_file(path, Path(f"{path}.bak-{older}"))
        log.info("cache backed up before migrating from %s to %s", older, head_revision())
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _create(path: Path) -> None:
    """Make a new cache beside `path`, complete with its schema, then give it that name."""
    temp = path.with_name(f"{path.name}.new-{os.getpid()}")
    _remove(temp)
    orphan = Path(f"{path}-wal")
    if orphan.exists():  # SQLite would apply a WAL left without its file to the new one
        orphan.rename(path.with_name(f"{path.name}.orphan-{os.getpid()}-{orphan.stat().st_mtime_ns}-wal"))
        log.warning("a WAL file without its cache was set aside")
    try:
        _create_private(temp)
        engine = make_engine(temp)
        try:
            migrate(engine, temp, new=True)
            _use_wal(engine)
        finally:
            engine.dispose()
        try:
            os.link(temp, path)  # never replaces a cache another process has just made
        except FileExistsError:
            log.info("another process created the cache first")
        except OSError:  # a file system without hard links
            if not path.exists():
                temp.replace(path)
    finally:
        _remove(temp)


def _use_wal(engine: Engine) -> None:
    """Switch a cache to WAL (kept in the file: the first open of an older file does it)."""
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


def open_cache(path: Path, *, thorough: bool = False) -> Cache:
    """Open the cache file at `path`, creating it when there is none and upgrading an older one.

    `thorough` also reads every page first (before a sync). Raises a CacheError for a file
    that is damaged, empty, another program's or newer, and for a full or read-only disk.
    """
    with plain_errors(path):
        if not path.exists():
            _create(path)
        else:
            with contextlib.suppress(OSError):  # best effort on file systems without modes
                path.chmod(0o600)
        try:
            engine = _opened(path, thorough=thorough)
        except (CacheReadOnlyError, CacheUnavailableError):
            if os.access(path.parent, os.W_OK) or Path(f"{path}-wal").exists():
                raise
            log.info("the cache's folder cannot be written to: the cache is opened for reading only")
            engine = _opened(path, thorough=thorough, read_only=True)
    return Cache(path=path, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def _opened(path: Path, *, thorough: bool, read_only: bool = False) -> Engine:
    engine = make_engine(path, read_only=read_only)
    try:
        check_schema(engine, thorough=thorough)
        if read_only:
            if _needs_upgrade(engine) is not None:
                raise CacheReadOnlyError(path.parent)
        else:
            migrate(engine, path)
            _use_wal(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine

"""The sync-run lock: one sync run at a time across every process on a database.

Whoever holds it is the only process running a sync, so a `running` run seen while
holding it was left by a process that died. The operating system releases it with
the process (a killed server, `kill -9`), so it never needs clearing by hand.

PostgreSQL: a session advisory lock on a connection of its own (in autocommit, so
it holds no transaction open). SQLite: `flock` on a side file next to the database
(`<database>.sync-lock`, never the database file itself, whose POSIX locks SQLite
owns). An in-memory SQLite database lives in one process: the caller's thread lock
is enough.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

try:
    import fcntl
except ImportError:  # Windows: one process per SQLite database is assumed
    fcntl = None  # type: ignore[assignment]

_KEY = 0x5359_4E43  # "SYNC": the advisory lock's key, per database
__all__ = ["run_lock"]


@contextmanager
def run_lock(engine: Engine, *, wait: bool = True) -> Iterator[bool]:
    """Hold the run lock while inside; yields whether it is held.

    False: `wait` is off and another process holds it, or (SQLite) its side file cannot
    be opened; the caller then runs without it but must not close anyone's run.
    """
    if engine.dialect.name == "postgresql":
        with _advisory(engine, wait) as held:
            yield held
    else:
        with _side_file(engine, wait) as held:
            yield held


@contextmanager
def _advisory(engine: Engine, wait: bool) -> Iterator[bool]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _KEY})
        elif not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _KEY}).scalar_one():
            yield False
            return
        try:
            yield True
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _KEY})
            except Exception:
                connection.invalidate()  # closing the session releases the lock
                raise


@contextmanager
def _side_file(engine: Engine, wait: bool) -> Iterator[bool]:
    database = engine.url.database
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        yield True
        return
    try:
        descriptor = os.open(Path(f"{database}.sync-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # e.g. a read-only folder: SQLite will say what is wrong, if anything
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)

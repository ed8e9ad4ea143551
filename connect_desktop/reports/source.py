"""Reading the cache for reports: one consistent snapshot, rows in chunks.

Reports talk to the raw sqlite3 connection underneath SQLAlchemy: rows come back as
plain tuples with `fetchmany`, so nothing but the current chunk is held in Python.
All queries of one export run inside a single read transaction, so every sheet (and
every file of a `ReportBatch`) shows the same moment of the cache even while a pull
writes to it (WAL readers see a snapshot).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

CHUNK_ROWS = 2_000

Params = Mapping[str, Any]


class HasEngine(Protocol):
    """An opened cache such as `connect_desktop.store.db.Cache`."""

    @property
    def engine(self) -> Engine: ...


Source = Engine | Connection | HasEngine
"""What reports read: an engine on the cache, a connection to it, or the opened cache."""


class CacheReader:
    """Chunked, read-only access to the cache's SQLite connection."""

    def __init__(self, raw: sqlite3.Connection, chunk_rows: int = CHUNK_ROWS) -> None:
        self.raw = raw
        self.chunk_rows = chunk_rows

    def chunks(self, sql: str, params: Params | None = None) -> Iterator[list[tuple[Any, ...]]]:
        """Yield the query's rows in lists of at most `chunk_rows` tuples."""
        cursor = self.raw.cursor()
        cursor.arraysize = self.chunk_rows
        try:
            cursor.execute(sql, dict(params or {}))
            while chunk := cursor.fetchmany():
                yield chunk
        finally:
            cursor.close()

    def rows(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """All rows of a query known to be small (summaries, column discovery)."""
        cursor = self.raw.execute(sql, dict(params or {}))
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


@contextlib.contextmanager
def snapshot(source: Source) -> Iterator[CacheReader]:
    """A reader over one read transaction of the cache behind `source`.

    Given an Engine (or a cache), a connection is taken from it and returned afterwards;
    given a Connection that is already inside a transaction, that transaction is used as is.
    """
    if isinstance(source, Connection):
        with _read_transaction(source) as reader:
            yield reader
        return
    engine = source if isinstance(source, Engine) else source.engine
    with engine.connect() as connection, _read_transaction(connection) as reader:
        yield reader


@contextlib.contextmanager
def _read_transaction(connection: Connection) -> Iterator[CacheReader]:
    raw = connection.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError("reports read the SQLite cache; got a connection to another database")
    own = not raw.in_transaction
    if own:
        raw.execute("BEGIN")
    try:
        yield CacheReader(raw)
    finally:
        if own and raw.in_transaction:
            raw.rollback()

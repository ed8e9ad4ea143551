"""Bulk row writing over the raw DBAPI connection, numbering rows with `seq` as they go.

SQLite gets `executemany` in the caller's single transaction; PostgreSQL gets `COPY`.
Secondary indexes of the tables being filled are dropped first and rebuilt at the end
(one sort instead of millions of random index inserts).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Index, text

from connect_desktop.batches import batched
from connect_server.models import Base

log = logging.getLogger(__name__)

Row = tuple[Any, ...]

COMMON = ("id", "source_id", "origin")
"""Columns every generated row starts with; `version` (1) and `seq` are added here."""

FIELDS: dict[str, tuple[str, ...]] = {
    "school": ("name", "level", "grade_low", "grade_high"),
    "term": ("name", "school_year", "start_date", "end_date", "school_id"),
    "staff": (
        "first_name",
        "last_name",
        "email",
        "role",
        "school_id",
        "access",
        "last_sign_in_at",
        "left_on",
    ),
    "student": (
        "school_id",
        "student_number",
        "first_name",
        "last_name",
        "birth_date",
        "grade",
        "status",
        "withdrawn_on",
    ),
    "contact": ("first_name", "last_name", "email", "phone", "language", "school_id"),
    "student_contact": ("student_id", "contact_id", "relationship", "school_id"),
    "classroom": ("school_id", "term_id", "name", "course_code", "grade", "status"),
    "enrollment": ("classroom_id", "person_id", "role", "school_id"),
    "message_stat": ("staff_id", "classroom_id", "school_id", "month", "messages_sent"),
}
"""Per table, the columns that follow `COMMON` in a generated row (dates as ISO text)."""

CHUNK = 50_000
_LOADING_PRAGMAS = {
    "synchronous": ("OFF", "NORMAL"),
    "cache_size": ("-1048576", "-2000"),
    "temp_store": ("MEMORY", "DEFAULT"),
}


@contextmanager
def loading_mode(connection: Connection) -> Iterator[None]:
    """For SQLite, while loading (outside any transaction): no fsync, a 1 GiB page cache,
    and a rollback journal instead of the WAL when no one else has the file open, so
    the pages are written once instead of to the WAL and again at the checkpoint."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    for name, (loading, _) in _LOADING_PRAGMAS.items():
        raw.execute(f"PRAGMA {name}={loading}")
    journal = raw.execute("PRAGMA journal_mode").fetchone()[0]
    try:
        if journal == "wal":
            with contextlib.suppress(sqlite3.OperationalError):
                raw.execute("PRAGMA journal_mode=DELETE")
        yield
    finally:
        if journal == "wal":
            with contextlib.suppress(sqlite3.OperationalError):
                raw.execute("PRAGMA journal_mode=WAL")
        for name, (_, normal) in _LOADING_PRAGMAS.items():
            raw.execute(f"PRAGMA {name}={normal}")


class BulkWriter:
    """Inserts generated rows table by table, giving each the next `seq`."""

    def __init__(self, connection: Connection, first_seq: int) -> None:
        self._connection = connection
        self._dbapi = connection.connection.driver_connection
        self._postgres = connection.dialect.name == "postgresql"
        self.first_seq = first_seq
        self.next_seq = first_seq
        self.counts: dict[str, int] = {}
        self._dropped: list[Index] = []

    @property
    def rows_written(self) -> int:
        return self.next_seq - self.first_seq

    def prepare(self) -> None:
        """Drop the secondary indexes of the seeded tables (rebuilt by `finish`)."""
        for name in FIELDS:
            for index in sorted(Base.metadata.tables[name].indexes, key=lambda i: str(i.name)):
                self._connection.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
                self._dropped.append(index)

    def finish(self) -> None:
        """Rebuild the dropped indexes (inside the same transaction)."""
        for index in self._dropped:
            index.create(self._connection)
        self._dropped.clear()

    def write(self, table: str, rows: Iterable[Row]) -> int:
        """Insert `rows` (each `COMMON + FIELDS[table]`) and return how many there were."""
        columns = ("version", *COMMON, *FIELDS[table], "seq")
        written = 0
        for chunk in batched(rows, CHUNK):
            seqs = range(self.next_seq, self.next_seq + len(chunk))
            numbered = [(1, *row, seq) for row, seq in zip(chunk, seqs, strict=True)]
            if self._postgres:
                self._copy(table, columns, numbered)
            else:
                marks = ", ".join("?" * len(columns))
                self._dbapi.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", numbered
                )
            self.next_seq += len(chunk)
            written += len(chunk)
        self.counts[table] = self.counts.get(table, 0) + written
        log.info("seeded %s rows into %s", f"{written:,}", table)
        return written

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[Row]) -> None:
        with (
            self._dbapi.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def take_seq(self, table: str) -> int:
        """The next `seq`, for a row the caller inserts itself."""
        self.counts[table] = self.counts.get(table, 0) + 1
        self.next_seq += 1
        return self.next_seq - 1

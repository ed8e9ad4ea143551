"""Bulk writes of wire records into the cache through the raw sqlite3 connection.

The changes feed delivers records as dicts (`Change` JSON); each entity table gets a
precomputed column list and statement, so a page becomes one `executemany` per run of
same-typed changes. JSON columns are serialised and datetimes stored the way
SQLAlchemy stores them, so the typed models read the rows back unchanged.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, DateTime

from connect_desktop.domain.entities import EntityType
from connect_desktop.store.models import ENTITY_MODELS, CacheBase, SyncState

Converter = Callable[[Any], Any]


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _datetime(value: Any) -> Any:
    return value.replace("T", " ") if isinstance(value, str) else value


@dataclass(frozen=True)
class TableWriter:
    """How the records of one entity type become rows of its cache table."""

    table: str
    columns: tuple[str, ...]
    """Data columns after `id` and `version`, in statement order."""
    upsert_sql: str
    delete_sql: str
    converters: tuple[tuple[int, Converter], ...]
    """(position in the row, converter) for columns that need one."""

    def row(self, change: Mapping[str, Any]) -> tuple[Any, ...]:
        data = change["data"] or {}
        try:
            values = itemgetter(*self.columns)(data)
        except KeyError:
            values = tuple(data.get(c) for c in self.columns)
        row = (change["id"], change["version"], *values)
        if self.converters:
            mutable = list(row)
            for index, convert in self.converters:
                mutable[index] = convert(mutable[index])
            row = tuple(mutable)
        return row


def _writer(entity: EntityType) -> TableWriter:
    table = CacheBase.metadata.tables[ENTITY_MODELS[entity].__tablename__]
    names = tuple(c.name for c in table.columns if c.name not in ("id", "version"))
    converters: list[tuple[int, Converter]] = []
    for index, name in enumerate(names, start=2):
        kind = table.columns[name].type
        if isinstance(kind, JSON):
            converters.append((index, _json))
        elif isinstance(kind, DateTime):
            converters.append((index, _datetime))
    all_columns = ("id", "version", *names)
    placeholders = ", ".join("?" for _ in all_columns)
    return TableWriter(
        table=table.name,
        columns=names,
        upsert_sql=f"INSERT OR REPLACE INTO {table.name} ({', '.join(all_columns)}) VALUES ({placeholders})",
        delete_sql=f"DELETE FROM {table.name} WHERE id = ?",
        converters=tuple(converters),
    )


WRITERS: dict[str, TableWriter] = {entity.value: _writer(entity) for entity in EntityType}


@dataclass
class WriteCounts:
    upserted: int = 0
    deleted: int = 0


def apply_changes(connection: sqlite3.Connection, changes: Sequence[Mapping[str, Any]]) -> WriteCounts:
    """Apply feed changes in order (upserts and tombstones) inside the caller's transaction."""
    counts = WriteCounts()
    key: Callable[[Mapping[str, Any]], tuple[str, bool]] = lambda c: (c["type"], bool(c.get("deleted")))  # noqa: E731
    for (entity, deleted), run in itertools.groupby(changes, key=key):
        writer = WRITERS.get(entity)
        if writer is None:  # a type this version does not know: skip, never fail the pull
            continue
        if deleted:
            ids = [(c["id"],) for c in run]
            connection.executemany(writer.delete_sql, ids)
            counts.deleted += len(ids)
        else:
            rows = [writer.row(c) for c in run]
            connection.executemany(writer.upsert_sql, rows)
            counts.upserted += len(rows)
    return counts


def clear_records(connection: sqlite3.Connection) -> None:
    """Delete every downloaded record (staged changes and the outbox stay)."""
    for writer in WRITERS.values():
        connection.execute(f"DELETE FROM {writer.table}")


def apply_newer(connection: sqlite3.Connection, changes: Iterable[Mapping[str, Any]]) -> int:
    """Apply records from operation results, skipping any older than what the cache holds."""
    written = 0
    for change in changes:
        writer = WRITERS.get(change["type"])
        if writer is None:
            continue
        found = connection.execute(
            f"SELECT version FROM {writer.table} WHERE id = ?", (change["id"],)
        ).fetchone()
        if found is not None and found[0] > change["version"]:
            continue
        if change.get("deleted"):
            connection.execute(writer.delete_sql, (change["id"],))
        else:
            connection.execute(writer.upsert_sql, writer.row(change))
        written += 1
    return written


SYNC_STATE_TABLE = SyncState.__tablename__


def read_cursor(connection: sqlite3.Connection) -> int:
    return read_position(connection)[0]


def read_position(connection: sqlite3.Connection) -> tuple[int, int]:
    """The stored pull cursor and the server's scope stamp it was pulled under."""
    row = connection.execute(f"SELECT cursor, scope FROM {SYNC_STATE_TABLE} WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def write_cursor(
    connection: sqlite3.Connection, cursor: int, *, finished: bool, now: str, scope: int = 0
) -> None:
    """Store the pull cursor and its scope stamp (inside the same transaction as the page it follows)."""
    connection.execute(
        f"INSERT INTO {SYNC_STATE_TABLE} (id, cursor, last_pull_at, full_pull_done, scope) "
        "VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET cursor = excluded.cursor, last_pull_at = excluded.last_pull_at, "
        "full_pull_done = MAX(full_pull_done, excluded.full_pull_done), scope = excluded.scope",
        (cursor, now, int(finished), scope),
    )

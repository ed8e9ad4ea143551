"""Entity rows as changes on the wire, built straight from core SELECT rows.

The changes feed serves tens of thousands of records per page, so it skips ORM
objects and per-record pydantic validation: each table gets a codec that knows its
data columns and which of them need `encode_value` (dates and datetimes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Date, DateTime, Row, Select, String, Table, select, type_coerce

from connect_desktop.api.schema import encode_value
from connect_desktop.domain.entities import EntityType
from connect_server.scope import TABLES

_BOOKKEEPING = {"id", "version", "seq"}
SERVER_ONLY = {"counts_by_school"}
"""Columns never sent as record data (read through `connect_server.sync_scope` instead)."""


Encoder = Callable[[Row[Any] | Sequence[Any]], dict[str, Any]]


@dataclass(frozen=True)
class EntityCodec:
    kind: EntityType
    table: Table
    data_columns: tuple[Column[Any], ...]
    names: tuple[str, ...]
    dates: tuple[str, ...]
    datetimes: tuple[str, ...]

    def select(self, *, dates_as_text: bool = False) -> Select[Any]:
        """SELECT seq, id, version, *data columns (filter and order are the caller's).

        With `dates_as_text` (SQLite, which stores dates as ISO text) date columns come
        back as the stored strings, skipping a parse and a re-format per value.
        """
        t = self.table
        columns = [
            type_coerce(c, String) if dates_as_text and c.name in self.dates else c for c in self.data_columns
        ]
        return select(t.c.seq, t.c.id, t.c.version, *columns)

    def encoder(self, *, dates_as_text: bool = False) -> Encoder:
        """Turns a row of `select(dates_as_text=...)` into a wire change (`Change` shape)."""
        kind, names = self.kind.value, self.names
        temporal = self.datetimes if dates_as_text else self.dates + self.datetimes

        def change(row: Row[Any] | Sequence[Any]) -> dict[str, Any]:
            data = dict(zip(names, row[3:], strict=True))
            for name in temporal:
                value = data[name]
                if value is not None:
                    data[name] = value.isoformat()
            return {
                "seq": row[0],
                "type": kind,
                "id": row[1],
                "version": row[2],
                "deleted": False,
                "data": data,
            }

        return change

    def change(self, row: Row[Any] | Sequence[Any]) -> dict[str, Any]:
        """A wire change from a row of `select()` (for a few rows; the feed uses `encoder`)."""
        return self.encoder()(row)


def _codec(kind: EntityType, table: Table) -> EntityCodec:
    columns = tuple(c for c in table.columns if c.name not in _BOOKKEEPING | SERVER_ONLY)
    dates = tuple(c.name for c in columns if isinstance(c.type, Date))
    datetimes = tuple(c.name for c in columns if isinstance(c.type, DateTime))
    return EntityCodec(kind, table, columns, tuple(c.name for c in columns), dates, datetimes)


CODECS: dict[EntityType, EntityCodec] = {kind: _codec(kind, table) for kind, table in TABLES.items()}


def tombstone_change(seq: int, kind: str, record_id: str, version: int) -> dict[str, Any]:
    return {"seq": seq, "type": kind, "id": record_id, "version": version, "deleted": True, "data": None}


def encode_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as JSON-ready values (for audit before/after)."""
    return {name: encode_value(value) for name, value in values.items()}

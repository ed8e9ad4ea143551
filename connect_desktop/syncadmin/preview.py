"""The offline rollover preview of a new export over the cache, held open for paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from connect_desktop.rostering.plan import Change, ChangeKind
from connect_desktop.rostering.preview import RolloverPreview, TypePreview, preview_rollover
from connect_desktop.rostering.snapshot import Snapshot
from connect_desktop.syncadmin.account import SyncAccount

Row = tuple[Any, ...]


class PreviewSession:
    """A rollover preview over the cache, held open for paging.

    The preview's snapshot is a SQLite database bound to the thread that opened it, so
    every use (opening, paging, closing) runs on one private thread; callers (pool
    threads) wait for it.
    """

    def __init__(self, account: SyncAccount, package: Path, today: dt.date) -> None:
        self.package = package
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollover-preview")
        self._connection: Connection | None = None
        try:
            self.preview: RolloverPreview = self._thread.submit(self._open, account, package, today).result()
        except BaseException:
            self._thread.submit(self._close_connection).result()
            self._thread.shutdown()
            raise

    def _open(self, account: SyncAccount, package: Path, today: dt.date) -> RolloverPreview:
        self._connection = account.cache.engine.connect()
        return preview_rollover(self._connection, package, today=today)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def types(self) -> dict[str, TypePreview]:
        return self.preview.types

    def changes(self, type_: str, kind: ChangeKind, offset: int, limit: int) -> list[Change]:
        return self._thread.submit(self.preview.changes, type_, kind, offset, limit).result()

    def named_changes(
        self, type_: str, kind: ChangeKind, offset: int, limit: int
    ) -> tuple[list[Change], dict[str, str]]:
        """A page of changes, with the names of the schools, terms, classrooms and people
        they refer to by SIS id (read from the export itself)."""

        def read() -> tuple[list[Change], dict[str, str]]:
            changes = self.preview.changes(type_, kind, offset, limit)
            plan = self.preview.plan
            return changes, referenced_names(plan.snapshot, changes) if plan is not None else {}

        return self._thread.submit(read).result()

    def close(self) -> None:
        def close_all() -> None:
            self.preview.close()
            self._close_connection()

        self._thread.submit(close_all).result()
        self._thread.shutdown()


def change_label(change: Change) -> str:
    """A record's name for a list: 'Family, Given', else its name, title or email, else its SIS id."""
    f = change.fields
    for keys in (("last_name", "first_name"), ("family_name", "given_name")):
        if f.get(keys[0]) or f.get(keys[1]):
            return ", ".join(str(f.get(k) or "") for k in keys).strip(", ")
    for key in ("name", "title", "email"):
        if f.get(key):
            return str(f[key])
    return change.source_id


REFERENCES: dict[str, tuple[str, ...]] = {
    "school": ("school",),
    "term": ("term",),
    "classroom": ("classroom",),
    "student": ("student",),
    "contact": ("contact",),
    "person": ("student", "staff"),
}
"""Snapshot fields that hold another record's SIS id, and the types that record may be."""


def _record_name(fields: Mapping[str, Any]) -> str | None:
    person = " ".join(str(fields[k]) for k in ("first_name", "last_name") if fields.get(k))
    return person or (str(fields["name"]) if fields.get("name") else None)


def referenced_names(snapshot: Snapshot, changes: Iterable[Change]) -> dict[str, str]:
    """SIS id → name of every record these changes refer to (a school, a classroom, a person)."""
    names: dict[str, str] = {}
    for change in changes:
        referred = [(k, change.fields.get(k)) for k in REFERENCES]
        referred += [(k, v) for k, pair in change.changes.items() if k in REFERENCES for v in pair]
        for field, value in referred:
            if not value or str(value) in names:
                continue
            for type_ in REFERENCES[field]:
                record = snapshot.get(type_, str(value))
                name = _record_name(record.as_dict()) if record is not None else None
                if name:
                    names[str(value)] = name
                    break
    return names


def change_detail(change: Change, names: Mapping[str, str] | None = None) -> str:
    """An update's changed fields ('grade: 3 → 4'), else a create's or archive's first fields;
    a school, classroom or person by name (`names`: SIS id → name), not by SIS id."""
    known = names or {}

    def shown(key: str, value: Any) -> str:
        text = "" if value is None else str(value)
        return known.get(text, text) if key in REFERENCES else text

    if change.changes:
        return "; ".join(
            f"{k}: {shown(k, old) or '–'} → {shown(k, new) or '–'}"
            for k, (old, new) in sorted(change.changes.items())
        )
    parts = [
        f"{k}: {shown(k, v)}"
        for k, v in change.fields.items()
        if v not in (None, "") and k not in ("first_name", "last_name")
    ]
    return "; ".join(parts[:6])


class PreviewChangesSource:
    """A page source over one type's creates, updates or archives of a preview.

    Rows are (SIS id, name, SIS id, detail).
    """

    def __init__(self, session: PreviewSession, type_: str, kind: ChangeKind, total: int) -> None:
        self._session = session
        self.type = type_
        self.kind = kind
        self._total = total

    def count(self) -> int:
        return self._total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        changes, names = self._session.named_changes(self.type, self.kind, offset, limit)
        return [(c.source_id, change_label(c), c.source_id, change_detail(c, names)) for c in changes]

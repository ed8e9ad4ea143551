"""The normalised snapshot every reader produces, kept in a temporary SQLite file.

Each record is (type, source_id, fields) where `fields` follows `FIELDS[type]`: Connect's
own field names, with references to other records given by their source_id (`school`,
`term`, `student`, `contact`, `classroom`, `person`). A delta source also lists the
source_ids it says were deleted. SQLite keeps memory flat for a million students.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connect_desktop.domain.entities import GRADES

Value = str | int | None
Mode = Literal["bulk", "delta"]

FIELDS: dict[str, tuple[str, ...]] = {
    "school": ("name", "level", "grade_low", "grade_high"),
    "term": ("name", "school_year", "start_date", "end_date", "school"),
    "staff": ("first_name", "last_name", "email", "role", "school"),
    "student": ("school", "student_number", "first_name", "last_name", "birth_date", "grade"),
    "contact": ("first_name", "last_name", "email", "phone", "school"),
    "student_contact": ("student", "contact", "relationship"),
    "classroom": ("school", "term", "name", "course_code", "grade"),
    "enrollment": ("classroom", "person", "role"),
}
"""Snapshot fields per entity type; references hold the referenced record's source_id."""

TYPES: tuple[str, ...] = tuple(FIELDS)

PORTION_TYPES: dict[str, tuple[str, ...]] = {
    "schools": ("school", "term"),
    "staff": ("staff",),
    "students": ("student",),
    "contacts": ("contact", "student_contact"),
    "classrooms": ("classroom",),
    "enrollments": ("enrollment",),
}
"""Which entity types each pausable portion (domain.operations.SYNC_PORTIONS) covers."""


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    type: str
    source_id: str
    fields: tuple[Value, ...]

    def as_dict(self) -> dict[str, Value]:
        return dict(zip(FIELDS[self.type], self.fields, strict=True))


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
BATCH = 10_000
"""Rows per executemany when staging or writing records."""


def json_array_sql(type_: str) -> str:
    """`json_array(?, …)` for a type's fields: SQLite encodes records, on both sides of a diff.

    Its output equals `encode_fields` for str/int/None values (compact, UTF-8 kept).
    """
    return f"json_array({', '.join('?' * len(FIELDS[type_]))})"


def plain_values(type_: str, fields: Mapping[str, object]) -> list[Value]:
    """A mapping's values in FIELDS order, as str/int/None."""
    get = fields.get
    return [
        v if (v := get(name)) is None or type(v) is str or type(v) is int else _plain(v)
        for name in FIELDS[type_]
    ]


def encode_fields(type_: str, fields: Mapping[str, object] | tuple[Value, ...]) -> str:
    """Canonical text of a record's fields, so equal records compare equal as strings."""
    if isinstance(fields, tuple):
        return _ENCODE(list(fields))
    return _ENCODE(plain_values(type_, fields))


def _plain(value: object) -> Value:
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def normalise_grade(code: str | None) -> str | None:
    """A OneRoster/CEDS or Clever grade as Connect writes it: K, 1..12, else the code itself."""
    if not code:
        return None
    code = code.strip()
    upper = code.upper()
    if upper in ("KG", "K", "KINDERGARTEN"):
        return "K"
    if upper.isdigit() and 1 <= int(upper) <= 13:
        return str(int(upper))
    return {
        "PREKINDERGARTEN": "PK",
        "TRANSITIONALKINDERGARTEN": "TK",
        "INFANTTODDLER": "IT",
        "POSTGRADUATE": "13",
        "UNGRADED": "UG",
        "OTHER": "OT",
    }.get(upper.replace(" ", ""), code[:2])


def grade_key(grade: str | None) -> int:
    return GRADES.index(grade) if grade in GRADES else (-1 if grade in ("PK", "TK", "IT", "PR") else 99)


def school_level(name: str, low: str | None, high: str | None) -> str:
    """elementary, middle or high: from the name when it says so, else from the grade range."""
    lowered = name.lower()
    for word, level in (
        ("high", "high"),
        ("secondary", "high"),
        ("middle", "middle"),
        ("junior", "middle"),
        ("intermediate", "middle"),
        ("elementary", "elementary"),
        ("primary", "elementary"),
    ):
        if word in lowered:
            return level
    rank_low, rank_high = grade_key(low), grade_key(high)
    if 9 <= rank_low < 99:
        return "high"
    if 6 <= rank_low < 99 or (rank_high < 99 and rank_high >= 9 and rank_low >= 6):
        return "middle"
    return "elementary"


class Snapshot:
    """A normalised snapshot. Build with `add`/`delete`, then read; close when done."""

    def __init__(self, source: str, folder: str | Path | None = None) -> None:
        self.source = source
        self._dir = tempfile.TemporaryDirectory(prefix="rostering-", dir=folder)
        self.path = Path(self._dir.name) / "snapshot.sqlite"
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.executescript(
                """
                PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;
                PRAGMA cache_size=-65536;
                CREATE TABLE rec(t TEXT, sid TEXT, fields TEXT, PRIMARY KEY (t, sid)) WITHOUT ROWID;
                CREATE TABLE gone(t TEXT, sid TEXT, PRIMARY KEY (t, sid)) WITHOUT ROWID;
                CREATE TABLE mode(t TEXT PRIMARY KEY, mode TEXT);
                BEGIN;
                """
            )
        except BaseException:  # e.g. a full disk: leave no scratch folder behind
            if getattr(self, "db", None) is not None:
                self.db.close()
            self._dir.cleanup()
            raise
        self._closed = False
        self._pending: dict[str, list[tuple[Value, ...]]] = {t: [] for t in TYPES}
        self._buffered = 0
        self.modes: dict[str, Mode] = dict.fromkeys(TYPES, "bulk")
        self.present: set[str] = set(TYPES)
        self.version: str | None = None

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.db.close()
            self._dir.cleanup()

    # -- building ------------------------------------------------------------------
    def add(self, type_: str, source_id: str, fields: tuple[Value, ...]) -> None:
        """Add a record (buffered); if that source_id already exists, the first one is kept."""
        self._pending[type_].append((source_id, *fields))
        self._buffered += 1
        if self._buffered >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write buffered records (readers call it; so does every read method)."""
        if not self._buffered:
            return
        for type_, rows in self._pending.items():
            if rows:
                sql = f"INSERT OR IGNORE INTO rec VALUES ('{type_}', ?, {json_array_sql(type_)})"
                self.db.executemany(sql, rows)
                rows.clear()
        self._buffered = 0

    def delete(self, type_: str, source_id: str) -> None:
        """Record that a delta source says this record was deleted."""
        self.db.execute("INSERT OR IGNORE INTO gone VALUES (?, ?)", (type_, source_id))

    def begin(self) -> None:
        """Open the write transaction again (executescript commits the open one)."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def finish(self) -> Snapshot:
        """Commit what was built (one transaction: the journal is off, it is a scratch file)."""
        self.flush()
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        return self

    # -- reading -------------------------------------------------------------------
    def count(self, type_: str) -> int:
        self.flush()
        return int(self.db.execute("SELECT count(*) FROM rec WHERE t=?", (type_,)).fetchone()[0])

    def counts(self) -> dict[str, int]:
        self.flush()
        found = dict(self.db.execute("SELECT t, count(*) FROM rec GROUP BY t").fetchall())
        return {t: int(found.get(t, 0)) for t in TYPES}

    def records(self, type_: str) -> Iterator[SnapshotRecord]:
        """Records of one type in source_id order."""
        self.flush()
        cur = self.db.execute("SELECT sid, fields FROM rec WHERE t=? ORDER BY sid", (type_,))
        for sid, fields in cur:
            yield SnapshotRecord(type_, sid, tuple(json.loads(fields)))

    def get(self, type_: str, source_id: str) -> SnapshotRecord | None:
        self.flush()
        row = self.db.execute("SELECT fields FROM rec WHERE t=? AND sid=?", (type_, source_id)).fetchone()
        return SnapshotRecord(type_, source_id, tuple(json.loads(row[0]))) if row else None

    def deleted(self, type_: str) -> Iterator[str]:
        self.flush()
        for (sid,) in self.db.execute("SELECT sid FROM gone WHERE t=? ORDER BY sid", (type_,)):
            yield sid

    def as_dicts(self) -> dict[str, dict[str, dict[str, Value]]]:
        """The whole snapshot as plain dicts: for tests and small previews only."""
        return {t: {r.source_id: r.as_dict() for r in self.records(t)} for t in TYPES}

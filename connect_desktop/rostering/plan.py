"""Diff a snapshot against Connect's sync-managed records: creates, updates, archives, verdict.

The current records come in through `CurrentRecord`s whose fields use the snapshot's
names and reference other records by source_id (see `snapshot.FIELDS`). Everything is
joined inside the snapshot's SQLite file, so a million students plan in flat memory;
the change lists are read back a page at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from connect_desktop.domain.operations import SYNC_PORTIONS
from connect_desktop.rostering.snapshot import (
    BATCH,
    FIELDS,
    PORTION_TYPES,
    TYPES,
    Snapshot,
    Value,
    json_array_sql,
    plain_values,
)

ChangeKind = Literal["create", "update", "archive"]
DEFAULT_THRESHOLD = 10.0
ARCHIVE_FIELD: dict[str, tuple[str, str, str]] = {
    "student": ("status", "archived", "active"),
    "classroom": ("status", "archived", "active"),
    "staff": ("access", "revoked", "active"),
}
"""Types whose archive is a field value: (field, archived value, active value)."""


def over_threshold(archives: int, managed: int, threshold: float) -> bool:
    """The deletion-threshold rule: archiving more than `threshold` % of the `managed` records.

    Compared exactly (no float rounding): 1 of 10 at 10% is not over, 2 of 10 at 19.99% is.
    The planner, the preview's predictions and a run's explanation all ask this.
    """
    return Decimal(archives) * 100 > Decimal(str(threshold)) * managed


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause of the whole sync (`portion` None) or one portion, active from..until inclusive."""

    portion: str | None = None
    start: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.portion is not None and self.portion not in SYNC_PORTIONS:
            raise ValueError(f"unknown sync portion {self.portion!r}; expected one of {SYNC_PORTIONS}")

    def active(self, as_of: dt.date) -> bool:
        """In force on `as_of`: both ends are inclusive, an open end never ends (or always began)."""
        return (self.start is None or self.start <= as_of) and (self.until is None or as_of <= self.until)


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The sync settings a plan honours. Thresholds are % per entity type."""

    pauses: tuple[Pause, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)
    default_threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_wire(
        cls,
        pauses: Iterable[Mapping[str, Any]] = (),
        thresholds: Mapping[str, float] | None = None,
    ) -> PlanSettings:
        """From sync_settings' JSON: pauses like {"portion": "classrooms"|null, "from": ..., "until": ...}."""

        def day(value: object) -> dt.date | None:
            return dt.date.fromisoformat(str(value)) if value else None

        parsed = tuple(
            Pause(
                p.get("portion") if p.get("portion") not in ("", "all") else None,
                day(p.get("from") or p.get("start")),
                day(p.get("until") or p.get("end")),
            )
            for p in pauses
        )
        return cls(parsed, dict(thresholds or {}))

    def threshold(self, type_: str) -> float:
        return float(self.thresholds.get(type_, self.default_threshold))

    def active_pauses(self, as_of: dt.date) -> list[Pause]:
        """The pauses in force on `as_of`, in their stored order."""
        return [pause for pause in self.pauses if pause.active(as_of)]

    def paused_types(self, as_of: dt.date) -> set[str]:
        paused: set[str] = set()
        for pause in self.active_pauses(as_of):
            paused.update(TYPES if pause.portion is None else PORTION_TYPES[pause.portion])
        return paused


@dataclass(frozen=True, slots=True)
class CurrentRecord:
    """A sync-managed Connect record, in snapshot terms (references by source_id)."""

    type: str
    source_id: str
    id: str
    fields: Mapping[str, object]
    archived: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change. `changes` maps field -> (old, new) for updates."""

    type: str
    kind: ChangeKind
    source_id: str
    id: str | None
    fields: dict[str, Value]
    changes: dict[str, tuple[Value, Value]]


@dataclass(frozen=True, slots=True)
class TypePlan:
    type: str
    creates: int = 0
    updates: int = 0
    archives: int = 0
    unchanged: int = 0
    managed: int = 0  # sync-managed, not archived: the threshold's base
    threshold: float = DEFAULT_THRESHOLD
    paused: bool = False
    in_source: bool = True  # False when the source holds no file/endpoint for this type
    held: bool = False
    moved_with_parent: int = 0  # follow-on updates beyond `updates` (`rostering.follow_on`)
    removed_with_parent: int = 0  # follow-on removals beyond `archives`, not in the threshold

    @property
    def archive_percent(self) -> float:
        return 100.0 * self.archives / self.managed if self.managed else 0.0


@dataclass(frozen=True, slots=True)
class FollowOnRecord:
    """One record a run writes because of another change: its type, id and schools.

    `schools` are the ids of the schools it is in before and after (a move: both; a
    school created by the same run is not known yet and left out).
    """

    type: str
    id: str
    schools: frozenset[str]


@dataclass(frozen=True, slots=True)
class FollowOn:
    """The follow-on writes of one plan (`rostering.follow_on`)."""

    moved: tuple[FollowOnRecord, ...] = ()
    removed: tuple[FollowOnRecord, ...] = ()

    def moved_count(self, type_: str) -> int:
        return sum(1 for r in self.moved if r.type == type_)

    def removed_count(self, type_: str) -> int:
        return sum(1 for r in self.removed if r.type == type_)


@dataclass(slots=True)
class RolloverPlan:
    """Counts per type, the verdict, and paged access to the change lists."""

    snapshot: Snapshot
    types: dict[str, TypePlan]
    paused_all: bool
    follow: FollowOn = field(default_factory=FollowOn)
    """What the run writes beyond the changes (`rostering.follow_on.plan_sync` fills it in)."""

    @property
    def held(self) -> bool:
        """True when any type would archive more than its threshold: archives are then withheld."""
        return any(p.held for p in self.types.values())

    @property
    def held_types(self) -> list[str]:
        return [t for t, p in self.types.items() if p.held]

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            t: {"create": p.creates, "update": p.updates, "archive": p.archives}
            for t, p in self.types.items()
        }

    def changes(self, type_: str, kind: ChangeKind, offset: int = 0, limit: int = 100) -> list[Change]:
        """One page of changes of a type and kind, in source_id order."""
        rows = self.snapshot.db.execute(
            "SELECT sid, id, data, diff FROM p_change WHERE t=? AND kind=? ORDER BY sid LIMIT ? OFFSET ?",
            (type_, kind, limit, offset),
        )
        return [_change(type_, kind, *row) for row in rows]

    def iter_changes(self, type_: str, kind: ChangeKind) -> Iterator[Change]:
        cur = self.snapshot.db.cursor()
        for row in cur.execute(
            "SELECT sid, id, data, diff FROM p_change WHERE t=? AND kind=? ORDER BY sid", (type_, kind)
        ):
            yield _change(type_, kind, *row)

    def managed_ids(self, type_: str) -> Iterator[str]:
        """Ids of the type's sync-managed, not archived records (the threshold's base, `managed`)."""
        cur = self.snapshot.db.cursor()
        for (id_,) in cur.execute("SELECT id FROM cur WHERE t=? AND archived=0 ORDER BY sid", (type_,)):
            yield id_

    def unchanged_ids(self, type_: str) -> Iterator[str]:
        """Ids of the records the plan leaves as they are (`unchanged`; none for a paused type)."""
        plan = self.types[type_]
        if plan.paused or not plan.in_source:
            return
        cur = self.snapshot.db.cursor()
        for (id_,) in cur.execute(
            "SELECT c.id FROM rec r JOIN cur c ON c.t=r.t AND c.sid=r.sid WHERE r.t=? AND NOT EXISTS "
            "(SELECT 1 FROM p_change p WHERE p.t=r.t AND p.kind='update' AND p.sid=r.sid) ORDER BY r.sid",
            (type_,),
        ):
            yield id_


def _change(type_: str, kind: ChangeKind, sid: str, id_: str | None, data: str, diff: str | None) -> Change:
    fields = dict(zip(FIELDS[type_], json.loads(data), strict=True))
    changes = {k: (v[0], v[1]) for k, v in json.loads(diff).items()} if diff else {}
    return Change(type_, kind, sid, id_, fields, changes)


def plan_rollover(
    snapshot: Snapshot,
    current: Iterable[CurrentRecord],
    settings: PlanSettings | None = None,
    *,
    today: dt.date,
) -> RolloverPlan:
    """Plan what a sync of `snapshot` on `today` would do to the `current` sync-managed records.

    `today` decides which pauses are in force. The plan lives in the snapshot's file: read
    it before closing the snapshot.
    """
    settings = settings or PlanSettings()
    db = snapshot.db
    snapshot.flush()
    if db.in_transaction:
        db.execute("COMMIT")
    db.executescript(
        """
        DROP TABLE IF EXISTS cur; DROP TABLE IF EXISTS p_change;
        CREATE TABLE cur(t TEXT, sid TEXT, id TEXT, fields TEXT, archived INT,
                         PRIMARY KEY (t, sid)) WITHOUT ROWID;
        CREATE TABLE p_change(t TEXT, kind TEXT, sid TEXT, id TEXT, data TEXT, diff TEXT);
        BEGIN;
        """
    )
    _load_current(db, current)
    paused = settings.paused_types(today)
    types: dict[str, TypePlan] = {}
    for type_ in TYPES:
        threshold = settings.threshold(type_)
        managed = db.execute("SELECT count(*) FROM cur WHERE t=? AND archived=0", (type_,)).fetchone()[0]
        if type_ in paused or type_ not in snapshot.present:
            types[type_] = TypePlan(
                type_,
                managed=managed,
                threshold=threshold,
                paused=type_ in paused,
                in_source=type_ in snapshot.present,
            )
            continue
        types[type_] = _plan_type(snapshot, type_, managed, threshold)
    db.execute("CREATE INDEX p_change_order ON p_change(t, kind, sid)")
    db.execute("COMMIT")
    return RolloverPlan(snapshot, types, paused_all=paused.issuperset(TYPES))


def _load_current(db: sqlite3.Connection, current: Iterable[CurrentRecord]) -> None:
    """Insert the current records per type in batches; SQLite encodes their fields like the snapshot's."""
    batches: dict[str, list[tuple[Value, ...]]] = {t: [] for t in TYPES}

    def write(type_: str) -> None:
        sql = f"INSERT OR IGNORE INTO cur VALUES ('{type_}', ?, ?, {json_array_sql(type_)}, ?)"
        db.executemany(sql, batches[type_])
        batches[type_].clear()

    for rec in current:
        batch = batches[rec.type]
        batch.append((rec.source_id, rec.id, *plain_values(rec.type, rec.fields), int(rec.archived)))
        if len(batch) >= BATCH:
            write(rec.type)
    for type_ in TYPES:
        write(type_)


def _plan_type(snapshot: Snapshot, type_: str, managed: int, threshold: float) -> TypePlan:
    db = snapshot.db
    creates = db.execute(
        "INSERT INTO p_change SELECT r.t, 'create', r.sid, NULL, r.fields, NULL FROM rec r "
        "WHERE r.t=? AND NOT EXISTS (SELECT 1 FROM cur c WHERE c.t=r.t AND c.sid=r.sid)",
        (type_,),
    ).rowcount
    names = FIELDS[type_]
    matched = db.execute(
        "SELECT count(*) FROM rec r JOIN cur c ON c.t=r.t AND c.sid=r.sid WHERE r.t=?", (type_,)
    ).fetchone()[0]
    updates = unchanged = 0
    pending: list[tuple[str, str, str, str, str, str]] = []
    # the join runs in SQLite; only records that differ come back to Python
    cursor = db.cursor().execute(
        "SELECT r.sid, c.id, r.fields, c.fields, c.archived FROM rec r JOIN cur c ON c.t=r.t AND c.sid=r.sid "
        "WHERE r.t=? AND (r.fields != c.fields OR c.archived != 0)",
        (type_,),
    )
    for sid, id_, new, old, archived in cursor:
        diff: dict[str, tuple[Value, Value]] = {}
        if new != old:
            diff = {
                n: (o, v) for n, o, v in zip(names, json.loads(old), json.loads(new), strict=True) if o != v
            }
        if archived and type_ in ARCHIVE_FIELD:
            name, gone, live = ARCHIVE_FIELD[type_]
            diff[name] = (gone, live)
        if not diff:
            unchanged += 1
            continue
        updates += 1
        pending.append((type_, "update", sid, id_, new, json.dumps(diff, ensure_ascii=False)))
        if len(pending) >= 10_000:
            db.executemany("INSERT INTO p_change VALUES (?,?,?,?,?,?)", pending)
            pending.clear()
    db.executemany("INSERT INTO p_change VALUES (?,?,?,?,?,?)", pending)
    unchanged += matched - updates - unchanged
    if snapshot.modes.get(type_) == "delta":
        vanished = (
            "SELECT c.t, 'archive', c.sid, c.id, c.fields, NULL FROM cur c JOIN gone g "
            "ON g.t=c.t AND g.sid=c.sid WHERE c.t=? AND c.archived=0"
        )
    else:
        vanished = (
            "SELECT c.t, 'archive', c.sid, c.id, c.fields, NULL FROM cur c WHERE c.t=? AND c.archived=0 "
            "AND NOT EXISTS (SELECT 1 FROM rec r WHERE r.t=c.t AND r.sid=c.sid)"
        )
    archives = db.execute(f"INSERT INTO p_change {vanished}", (type_,)).rowcount
    held = over_threshold(archives, managed, threshold)
    return TypePlan(type_, creates, updates, archives, unchanged, managed, threshold, held=held)

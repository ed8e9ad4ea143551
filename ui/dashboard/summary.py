"""The dashboard's numbers, read from the cache in one go (on a worker thread).

Counts come from `connect_desktop.store.queries`; the few aggregates it does not offer
yet (records per origin, students per grade and status, the last sync run) are read
here through the cache's raw sqlite3 connection, read-only. They belong in
`connect_desktop.store.queries` and should move there.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

from connect_desktop.domain.entities import GRADES, grade_rank
from connect_desktop.store import queries
from connect_desktop.store.db import Cache

ORIGIN_TYPES = ("staff", "student", "contact", "classroom")


@dataclass(frozen=True)
class SyncRunInfo:
    status: str
    started_at: str
    finished_at: str | None
    message: str | None


@dataclass(frozen=True)
class GradeCount:
    grade: str
    active: int
    archived: int


@dataclass(frozen=True)
class Summary:
    """Everything the dashboard and the wizard's welcome page show."""

    counts: dict[str, int]
    origins: dict[str, tuple[int, int]]
    """type → (synced, manual)."""
    sync_source: str | None
    last_sync_run: SyncRunInfo | None
    last_pull_at: str | None
    full_pull_done: bool
    pending_states: dict[str, int]
    steps: dict[str, dict[str, int]] = field(default_factory=dict)
    """wizard step → operation state → count (all states, including applied)."""
    grades: list[GradeCount] = field(default_factory=list)
    current_school_year: int | None = None

    @property
    def synced_records(self) -> int:
        return sum(s for s, _ in self.origins.values())

    @property
    def manual_records(self) -> int:
        return sum(m for _, m in self.origins.values())

    @property
    def account_kind(self) -> str:
        """ "synced", "manual", "mixed" or "empty", from the records' origins."""
        synced, manual = self.synced_records, self.manual_records
        if synced and manual:
            return "mixed"
        if synced:
            return "synced"
        return "manual" if manual else "empty"

    @property
    def waiting(self) -> int:
        return self.pending_states.get("pending", 0)


def read_summary(cache: Cache, *, as_of: dt.date) -> Summary:
    with cache.sessions() as db:
        counts = queries.effective_counts(db)
        pending_states = queries.pending_state_counts(db)
    with cache.raw() as connection:
        origins = {kind: _origin_counts(connection, kind) for kind in ORIGIN_TYPES}
        settings = connection.execute(
            "SELECT source_kind, source_label FROM sync_settings LIMIT 1"
        ).fetchone()
        run = connection.execute(
            "SELECT status, started_at, finished_at, message FROM sync_run ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        state = connection.execute("SELECT last_pull_at, full_pull_done FROM sync_state LIMIT 1").fetchone()
        steps: dict[str, dict[str, int]] = {}
        for step, op_state, count in connection.execute(
            "SELECT step, state, count(*) FROM pending_operation GROUP BY step, state"
        ):
            steps.setdefault(step, {})[op_state] = count
        grades = _grades(connection)
        year = connection.execute(
            "SELECT max(school_year) FROM term WHERE start_date <= ? AND end_date >= ?",
            (as_of.isoformat(), as_of.isoformat()),
        ).fetchone()[0]
        if year is None:
            year = connection.execute("SELECT max(school_year) FROM term").fetchone()[0]
    source = None
    if settings is not None and (settings[0] or settings[1]):
        source = " – ".join(str(part) for part in settings if part)
    return Summary(
        counts=counts,
        origins=origins,
        sync_source=source,
        last_sync_run=SyncRunInfo(*run) if run else None,
        last_pull_at=state[0] if state else None,
        full_pull_done=bool(state[1]) if state else False,
        pending_states=pending_states,
        steps=steps,
        grades=grades,
        current_school_year=year,
    )


def _origin_counts(connection: sqlite3.Connection, table: str) -> tuple[int, int]:
    rows = dict(connection.execute(f"SELECT origin, count(*) FROM {table} GROUP BY origin").fetchall())
    return int(rows.get("sync", 0)), int(rows.get("manual", 0))


def _grades(connection: sqlite3.Connection) -> list[GradeCount]:
    """Students per grade, active vs archived, with staged status changes applied."""
    sql = (
        "SELECT s.grade, "
        "COALESCE((SELECT CASE p.kind WHEN 'archive_student' THEN 'archived' "
        "WHEN 'unarchive_student' THEN 'active' END FROM pending_operation p "
        "WHERE p.target_type = 'student' AND p.target_id = s.id AND p.state IN ('pending','sending') "
        "AND p.kind IN ('archive_student','unarchive_student') "
        "ORDER BY p.created_at DESC LIMIT 1), s.status) AS eff, count(*) "
        "FROM student s GROUP BY s.grade, eff"
    )
    staged = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM pending_operation WHERE target_type='student' "
        "AND state IN ('pending','sending'))"
    ).fetchone()[0]
    if not staged:
        sql = "SELECT grade, status, count(*) FROM student GROUP BY grade, status"
    table: dict[str, list[int]] = {}
    for grade, status, count in connection.execute(sql):
        slot = table.setdefault(grade, [0, 0])
        slot[0 if status == "active" else 1] += count
    ordered = sorted(table, key=lambda g: (grade_rank(g), g))
    return [GradeCount(g, *table[g]) for g in ordered if g in GRADES or table[g] != [0, 0]]

"""Read-only aggregates over the cache for the dashboard, the wizard and its filter bars.

`account_overview` gathers everything the dashboard and the wizard's welcome page show
in one unit of work; `filter_choices` lists what the year-end filter boxes offer;
`target_names` / `target_labels` give short human names for records an operation
targets. All of them return plain frozen dataclasses or dicts, and run in the caller's
session (so a worker thread owns the whole read).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from connect_desktop.domain.entities import GRADES, EntityType, grade_rank
from connect_desktop.domain.operations import OperationKind, OutboxState
from connect_desktop.domain.school_year import current_school_year, last_ended_year
from connect_desktop.domain.words import source_text
from connect_desktop.store import queries
from connect_desktop.store.effective import STAGED_STATES, effective_record, effective_value_sql
from connect_desktop.store.school_years import cached_year_ends, cached_year_starts

ORIGIN_TYPES: tuple[str, ...] = ("staff", "student", "contact", "classroom")
"""Entity types whose records carry an origin (`sync` or `manual`)."""

_STAGED = "(" + ", ".join(f"'{state}'" for state in STAGED_STATES) + ")"


@dataclass(frozen=True)
class SyncRunInfo:
    """The newest sync run the cache knows of."""

    status: str
    started_at: str
    finished_at: str | None
    message: str | None


def _run_info(row: Any) -> SyncRunInfo:
    status, started, finished, message = row
    return SyncRunInfo(
        str(status),
        str(started),
        None if finished is None else str(finished),
        None if message is None else str(message),
    )


@dataclass(frozen=True)
class GradeCount:
    """Students of one grade, by effective status."""

    grade: str
    active: int
    archived: int


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard and the wizard's welcome page show."""

    counts: dict[str, int]
    """Entity type → records, minus staged deletes (`queries.effective_counts`)."""
    origins: dict[str, tuple[int, int]]
    """Entity type → (synced, manual)."""
    sync_source: str | None
    """The configured sync source in words (`words.source_text`), None when the account has none."""
    last_sync_run: SyncRunInfo | None
    last_pull_at: str | None
    full_pull_done: bool
    pending_states: dict[str, int]
    """Outbox state → operations."""
    current_school_year: int
    """The school year current on the as-of date (`domain.school_year.current_school_year`)."""
    last_ended_school_year: int | None = None
    """The newest school year over on the as-of date (`domain.school_year.last_ended_year`)."""
    steps: dict[str, dict[str, int]] = field(default_factory=dict)
    """Wizard step → operation state → count (all states, including applied)."""
    grades: list[GradeCount] = field(default_factory=list)
    inactive: dict[str, int] = field(default_factory=dict)
    """Entity type → those of `counts` archived, or without access (`queries.inactive_counts`)."""
    applied_kinds: dict[str, int] = field(default_factory=dict)
    """Operation kind → changes the server applied (`words.applied_text` says what they did)."""

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
        """Operations staged and not sent yet."""
        return self.pending_states.get(OutboxState.PENDING, 0)


def account_overview(session: Session, *, as_of: dt.date) -> Overview:
    """The account's numbers, read in one session; `as_of` picks the current school year."""
    settings = session.execute(text("SELECT source_kind, source_label FROM sync_settings LIMIT 1")).first()
    run = session.execute(
        text("SELECT status, started_at, finished_at, message FROM sync_run ORDER BY started_at DESC LIMIT 1")
    ).first()
    state = session.execute(text("SELECT last_pull_at, full_pull_done FROM sync_state LIMIT 1")).first()
    current = current_school_year(cached_year_starts(session), as_of)
    source = None
    if settings is not None and (settings[0] or settings[1]):
        source = source_text(settings[0], settings[1], run[1] if run else None)
    return Overview(
        counts=queries.effective_counts(session),
        inactive=queries.inactive_counts(session),
        applied_kinds=queries.pending_kind_counts(session, [OutboxState.APPLIED.value]),
        origins=origin_counts(session),
        sync_source=source,
        last_sync_run=_run_info(run) if run else None,
        last_pull_at=str(state[0]) if state and state[0] is not None else None,
        full_pull_done=bool(state[1]) if state else False,
        pending_states=queries.pending_state_counts(session),
        steps=pending_by_step_and_state(session),
        grades=students_by_grade(session),
        current_school_year=current,
        last_ended_school_year=last_ended_year(current, cached_year_ends(session), as_of),
    )


def full_pull_done(session: Session) -> bool:
    """Whether the first complete download has finished."""
    value = session.execute(text("SELECT full_pull_done FROM sync_state LIMIT 1")).scalar()
    return bool(value)


def origin_counts(session: Session, types: Iterable[str] = ORIGIN_TYPES) -> dict[str, tuple[int, int]]:
    """Entity type → (records from the sync, records entered by hand)."""
    out: dict[str, tuple[int, int]] = {}
    for table in types:
        if table not in ORIGIN_TYPES:
            raise ValueError(f"{table} has no origin")
        rows = {
            o: c for o, c in session.execute(text(f"SELECT origin, count(*) FROM {table} GROUP BY origin"))
        }
        out[table] = (int(rows.get("sync", 0)), int(rows.get("manual", 0)))
    return out


def pending_by_step_and_state(session: Session) -> dict[str, dict[str, int]]:
    """Wizard step → operation state → count, over every state."""
    steps: dict[str, dict[str, int]] = {}
    for step, op_state, count in session.execute(
        text("SELECT step, state, count(*) FROM pending_operation GROUP BY step, state")
    ):
        steps.setdefault(step, {})[op_state] = int(count)
    return steps


def students_by_grade(session: Session) -> list[GradeCount]:
    """Students per grade, active vs archived, with staged status changes applied."""
    staged = session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pending_operation WHERE target_type = 'student' "
            f"AND state IN {_STAGED})"
        )
    ).scalar_one()
    status = effective_value_sql(EntityType.STUDENT, "s") if staged else "s.status"
    table: dict[str, list[int]] = {}
    for grade, value, count in session.execute(
        text(f"SELECT s.grade, {status} AS eff, count(*) FROM student s GROUP BY s.grade, eff")
    ):
        slot = table.setdefault(grade, [0, 0])
        slot[0 if value == "active" else 1] += int(count)
    ordered = sorted(table, key=lambda g: (grade_rank(g), g))
    return [GradeCount(g, *table[g]) for g in ordered if g in GRADES or table[g] != [0, 0]]


# -- filter choices --------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    """What the filter boxes offer; pairs are (id, shown name)."""

    schools: list[tuple[str, str]] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    school_years: list[int] = field(default_factory=list)
    year_starts: dict[int, dt.date] = field(default_factory=dict)
    """School year → the first day of its earliest term."""


def filter_choices(session: Session) -> FilterChoices:
    """Schools by name, grades in school order, and the school years of the terms."""
    schools = [
        (str(i), str(n)) for i, n in session.execute(text("SELECT id, name FROM school ORDER BY name, id"))
    ]
    grades = [str(g) for (g,) in session.execute(text("SELECT DISTINCT grade FROM student")) if g is not None]
    starts = cached_year_starts(session)
    return FilterChoices(schools, sorted(grades, key=lambda g: (grade_rank(g), g)), sorted(starts), starts)


# -- names of targets ------------------------------------------------------------------------

_LABEL_SQL: dict[str, str] = {
    "classroom": "SELECT id, name FROM classroom WHERE id IN ({})",
    "student": "SELECT id, last_name || ', ' || first_name || ' (' || student_number || ')' "
    "FROM student WHERE id IN ({})",
    "staff": "SELECT id, last_name || ', ' || first_name FROM staff WHERE id IN ({})",
    "sync_settings": "SELECT id, 'Sync settings' FROM sync_settings WHERE id IN ({})",
}
_LABEL_CHUNK = 500


def target_names(session: Session, targets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(target type, id) → a short name of the record; unknown types and ids are left out."""
    names: dict[tuple[str, str], str] = {}
    by_type: dict[str, set[str]] = {}
    for target_type, target_id in targets:
        by_type.setdefault(target_type, set()).add(target_id)
    for target_type, ids in by_type.items():
        sql = _LABEL_SQL.get(target_type)
        if sql is None:
            continue
        id_list = sorted(ids)
        for start in range(0, len(id_list), _LABEL_CHUNK):
            part = id_list[start : start + _LABEL_CHUNK]
            params = {f"id_{i}": value for i, value in enumerate(part)}
            query = sql.format(", ".join(":" + name for name in params))
            for target_id, name in session.execute(text(query), params):
                names[(target_type, str(target_id))] = str(name)
    for target_type, ids in by_type.items():
        for target_id in ids - {i for t, i in names if t == target_type}:
            name = _staged_name(session, target_type, target_id)
            if name is not None:
                names[(target_type, target_id)] = name
    return names


def _staged_name(session: Session, target_type: str, target_id: str) -> str | None:
    """The name of a record that only exists as a staged create (a new contact or link), or of
    a student a sent delete or merge removed, as it was named before (never a raw id)."""
    if target_type == EntityType.STUDENT:
        gone = _remembered_student(session, target_id)
        if not gone:
            return None
        last, first = gone.get("last_name") or "", gone.get("first_name") or ""
        return f"{last}, {first} ({gone.get('student_number') or ''})"
    if target_type not in (EntityType.CONTACT, EntityType.STUDENT_CONTACT):
        return None
    record = effective_record(session, EntityType(target_type), target_id)
    if record is None:
        return None
    if target_type == EntityType.CONTACT:
        return f"{record.get('last_name')}, {record.get('first_name')} (new)"
    contact = effective_record(session, EntityType.CONTACT, str(record.get("contact_id")))
    student = effective_record(session, EntityType.STUDENT, str(record.get("student_id")))
    if contact is None or student is None:
        return None
    return (
        f"{contact.get('first_name')} {contact.get('last_name')} ({record.get('relationship')}) of "
        f"{student.get('first_name')} {student.get('last_name')}"
    )


def target_labels(session: Session, rows: Iterable[queries.PendingRow]) -> dict[str, str]:
    """op_id → a short name of its target (the target id when the record is not cached).

    A merge (or its undoing) names both students: "Smith, Jon into Smith, John".
    """
    rows = list(rows)
    names = target_names(session, [(row.target_type, row.target_id) for row in rows])
    labels = {row.op_id: names.get((row.target_type, row.target_id), row.target_id) for row in rows}
    for row in rows:
        if row.kind in _MERGES and (row.params or {}).get("merged_id"):
            labels[row.op_id] = merge_label(session, row.kind, row.target_id, row.params)
    return labels


_MERGES = frozenset({OperationKind.MERGE_STUDENTS.value, OperationKind.UNMERGE_STUDENTS.value})


def merge_label(session: Session, kind: str, survivor_id: str, params: Mapping[str, Any]) -> str:
    """The merged student, then the one kept, as named before the merge: "Smith, Jon into Smith, John".

    `kind` and `params` are the merge's (or its undoing's). Either student may be gone
    from the cache (the merged one once the merge is applied): its name is then the one
    the merge remembered when it was staged.
    """
    before = params.get("was" if kind == OperationKind.MERGE_STUDENTS else "fields") or {}
    survivor = student_names(session, survivor_id, before)
    merged = student_names(session, str(params["merged_id"]))
    if survivor.label == merged.label:
        return f"{merged.label} ({merged.number}) into {survivor.label} ({survivor.number})"
    return f"{merged.label} into {survivor.label}"


@dataclass(frozen=True)
class StudentNames:
    """How a student is named in lists ("Smith, Jon") and in sentences ("Jon Smith")."""

    label: str
    name: str
    number: str


def _remembered_student(session: Session, student_id: str) -> dict[str, Any]:
    """A student gone from the cache, as the staged merge or delete that removed it remembered
    it ({} when nothing here removed it)."""
    remembered = session.execute(
        text(
            "SELECT old FROM staged_change WHERE entity_type = 'student' AND entity_id = :id "
            "AND action = 'delete' AND old IS NOT NULL AND old != '{}' ORDER BY id DESC LIMIT 1"
        ),
        {"id": student_id},
    ).scalar_one_or_none()
    return (json.loads(remembered) if isinstance(remembered, str) else remembered) or {}


def student_names(
    session: Session, student_id: str, overlay: Mapping[str, Any] | None = None
) -> StudentNames:
    """A student's names, cached or as a staged merge or delete remembered them once gone;
    `overlay` values (e.g. the names before a merge changed them) win."""
    record = effective_record(session, EntityType.STUDENT, student_id)
    if record is None:
        record = _remembered_student(session, student_id)
    if record and overlay:
        record = {**record, **overlay}
    if not record:
        gone = "(a student no longer in the local copy)"
        return StudentNames(gone, gone, "")
    first, last = record.get("first_name") or "", record.get("last_name") or ""
    return StudentNames(
        f"{last}, {first}", f"{first} {last}".strip(), str(record.get("student_number") or "")
    )


__all__ = [
    "ORIGIN_TYPES",
    "FilterChoices",
    "GradeCount",
    "Overview",
    "SyncRunInfo",
    "account_overview",
    "filter_choices",
    "full_pull_done",
    "merge_label",
    "origin_counts",
    "pending_by_step_and_state",
    "student_names",
    "students_by_grade",
    "target_labels",
    "target_names",
]

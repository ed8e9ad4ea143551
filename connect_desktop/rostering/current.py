"""Connect's sync-managed records as the planner's `CurrentRecord`s, and the sync settings.

The server's database and the desktop cache share the entity tables and their columns
(`connect_desktop.store.columns`), so this one module reads both: the server plans its
runs with it and the desktop its offline preview, over a SQLAlchemy `Connection`.
Tables and columns are named here (lightweight `table()`/`column()` constructs), never
imported from either side's models. References are turned back into source_ids with
outer joins, so a million records stream through one query per type.

Which records a sync manages: every row with origin `sync` and a source_id. Students,
classrooms and staff carry their own archived state (`status` archived, `access`
revoked). Family links and enrollments have none, so they take it from what they hang
off. They are **history**, not sync-managed, when

- a family link's (`student_contact`) student is archived;
- an enrollment's classroom is archived, or its person is an archived student or a
  staff member whose access is revoked.

History records come through flagged `archived`: the plan never archives them, they
do not count toward the deletion threshold's base, and one that reappears in the source
(its classroom unarchived, say) is matched by source_id instead of created twice.
Archiving them would be wrong: last year's rosters and the links of archived students
are kept on purpose, and counting them would trip the enrollment threshold on the very
first sync of an account that archived last year's classrooms. Contacts have no
archived state and no single parent: a synced contact is managed while it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import JSON, Connection, Date, Integer, String, and_, case, column, or_, select, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.expression import ColumnElement, Select, TableClause

from connect_desktop.rostering.plan import CurrentRecord, PlanSettings
from connect_desktop.rostering.snapshot import FIELDS, PORTION_TYPES, TYPES

__all__ = [
    "ARCHIVE_VALUE",
    "EMPTY_AS_BLANK",
    "REFERENCES",
    "column_of",
    "current_records",
    "load_plan_settings",
    "person_type",
    "plan_settings",
    "type_thresholds",
]

REFERENCES: dict[str, str] = {
    "school": "school",
    "term": "term",
    "student": "student",
    "contact": "contact",
    "classroom": "classroom",
}
"""Snapshot reference field -> the entity type it refers to (`person` depends on the role)."""

EMPTY_AS_BLANK: frozenset[tuple[str, str]] = frozenset(
    {("school", "grade_low"), ("school", "grade_high"), ("student", "grade"), ("classroom", "term")}
)
"""(type, field) pairs stored as "" when the source leaves them empty (NOT NULL columns)."""

ARCHIVE_VALUE: dict[str, tuple[str, str]] = {
    "student": ("status", "archived"),
    "classroom": ("status", "archived"),
    "staff": ("access", "revoked"),
}
"""Types a sync archives by setting a column: (column, archived value)."""

_PAGE = 5_000
_TYPED: dict[str, Any] = {"birth_date": Date, "start_date": Date, "end_date": Date, "school_year": Integer}


def column_of(field: str) -> str:
    """The table column of a snapshot field (references are `<name>_id`)."""
    return f"{field}_id" if field in REFERENCES or field == "person" else field


def person_type(role: object) -> str:
    """The entity type an enrollment's person is, from the enrollment role."""
    return "student" if role == "student" else "staff"


def _table(type_: str, alias: str | None = None) -> Any:
    """A lightweight table of an entity type with the columns the sync reads."""
    names = ["id", "source_id", "origin", *(column_of(f) for f in FIELDS[type_])]
    if type_ in ARCHIVE_VALUE:
        names.append(ARCHIVE_VALUE[type_][0])
    built: TableClause = table(type_, *(column(n, _TYPED.get(n, String)) for n in names))
    return built.alias(alias) if alias else built


def current_records(connection: Connection, types: Iterable[str] = TYPES) -> Iterator[CurrentRecord]:
    """Every record with origin `sync` of the given types; archived and history ones flagged."""
    for type_ in types:
        # Options on the statement, not the Connection: Connection.execution_options changes
        # the connection itself, and every later statement would then open a server-side cursor.
        result = connection.execute(_select(type_).execution_options(yield_per=_PAGE))
        for row in result:
            yield _record(type_, row._mapping)


def _select(type_: str) -> Select[Any]:
    main = _table(type_)
    columns: list[ColumnElement[Any]] = [main.c.id, main.c.source_id]
    joined: Any = main
    history: list[ColumnElement[bool]] = []
    for field in FIELDS[type_]:
        if field == "person":
            student = _table("student", "person_student")
            staff = _table("staff", "person_staff")
            is_student = main.c.role == "student"
            joined = joined.outerjoin(student, and_(student.c.id == main.c.person_id, is_student)).outerjoin(
                staff, and_(staff.c.id == main.c.person_id, main.c.role != "student")
            )
            columns.append(case((is_student, student.c.source_id), else_=staff.c.source_id).label(field))
            history += [student.c.status == "archived", staff.c.access == "revoked"]
        elif field in REFERENCES:
            target = _table(REFERENCES[field], f"ref_{field}")
            joined = joined.outerjoin(target, target.c.id == main.c[column_of(field)])
            columns.append(target.c.source_id.label(field))
            if (type_, field) in (("student_contact", "student"), ("enrollment", "classroom")):
                history.append(target.c.status == "archived")
        else:
            columns.append(main.c[field].label(field))
    if type_ in ARCHIVE_VALUE:
        name, value = ARCHIVE_VALUE[type_]
        columns.append(case((main.c[name] == value, 1), else_=0).label("_archived"))
    elif history:
        columns.append(case((or_(*history), 1), else_=0).label("_archived"))
    return select(*columns).select_from(joined).where(main.c.origin == "sync", main.c.source_id.is_not(None))


def _record(type_: str, mapping: RowMapping) -> CurrentRecord:
    fields: dict[str, object] = {}
    for field in FIELDS[type_]:
        value = mapping[field]
        if value == "" and (type_, field) in EMPTY_AS_BLANK:
            value = None
        fields[field] = value
    archived = bool(mapping.get("_archived", 0))
    return CurrentRecord(type_, mapping["source_id"], mapping["id"], fields, archived)


# -- settings --------------------------------------------------------------------------


def type_thresholds(thresholds: Mapping[str, float]) -> dict[str, float]:
    """Per-portion thresholds (`students`) as per-type ones (`student`); type keys pass through."""
    result: dict[str, float] = {}
    for key, value in thresholds.items():
        for type_ in PORTION_TYPES.get(key, (key,)):
            result[type_] = float(value)
    return result


def plan_settings(
    pauses: Iterable[Mapping[str, Any]] | None, thresholds: Mapping[str, float] | None
) -> PlanSettings:
    """The planner's settings from the sync_settings record's `pauses` and `thresholds` (per portion)."""
    return PlanSettings.from_wire(list(pauses or []), type_thresholds(thresholds or {}))


def load_plan_settings(connection: Connection) -> PlanSettings:
    """The account's sync settings (the single sync_settings record), or the defaults when there is none."""
    settings = table(
        "sync_settings", column("id", String), column("pauses", JSON), column("thresholds", JSON)
    )
    row = connection.execute(
        select(settings.c.pauses, settings.c.thresholds).order_by(settings.c.id).limit(1)
    ).first()
    if row is None:
        return PlanSettings()
    return plan_settings(row.pauses, row.thresholds)

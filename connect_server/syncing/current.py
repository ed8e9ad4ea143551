"""The sync-managed server records as the planner's `CurrentRecord`s, streamed.

References are turned back into source_ids with outer joins, so a million records
stream through one query per type without an id map in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, select
from sqlalchemy.orm import Session

from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.plan import CurrentRecord
from connect_desktop.rostering.snapshot import FIELDS, TYPES
from connect_server.scope import TABLES
from connect_server.syncing.mapping import ARCHIVE_VALUE, EMPTY_AS_BLANK, REFERENCES, column

_PAGE = 5_000


def current_records(session: Session, types: tuple[str, ...] = TYPES) -> Iterator[CurrentRecord]:
    """Every record with origin `sync` of the given types (archived ones flagged)."""
    for type_ in types:
        statement = _select(type_)
        result = session.execute(statement.execution_options(yield_per=_PAGE))
        for row in result:
            yield _record(type_, row)


def _select(type_: str) -> Select[Any]:
    table = TABLES[EntityType(type_)]
    columns: list[ColumnElement[Any]] = [table.c.id, table.c.source_id]
    joined: Any = table
    for field in FIELDS[type_]:
        if field == "person":
            student = TABLES[EntityType.STUDENT].alias("person_student")
            staff = TABLES[EntityType.STAFF].alias("person_staff")
            joined = joined.outerjoin(
                student, and_(student.c.id == table.c.person_id, table.c.role == "student")
            ).outerjoin(staff, and_(staff.c.id == table.c.person_id, table.c.role != "student"))
            columns.append(
                case((table.c.role == "student", student.c.source_id), else_=staff.c.source_id).label(field)
            )
        elif field in REFERENCES:
            target = TABLES[EntityType(REFERENCES[field])].alias(f"ref_{field}")
            joined = joined.outerjoin(target, target.c.id == table.c[column(field)])
            columns.append(target.c.source_id.label(field))
        else:
            columns.append(table.c[field].label(field))
    if type_ in ARCHIVE_VALUE:
        name, _ = ARCHIVE_VALUE[type_]
        columns.append(table.c[name].label("_archive"))
    return (
        select(*columns).select_from(joined).where(table.c.origin == "sync", table.c.source_id.is_not(None))
    )


def _record(type_: str, row: Any) -> CurrentRecord:
    mapping = row._mapping
    fields: dict[str, object] = {}
    for field in FIELDS[type_]:
        value = mapping[field]
        if value == "" and (type_, field) in EMPTY_AS_BLANK:
            value = None
        fields[field] = value
    archived = False
    if type_ in ARCHIVE_VALUE:
        archived = mapping["_archive"] == ARCHIVE_VALUE[type_][1]
    return CurrentRecord(type_, row.source_id, row.id, fields, archived)

"""The effective state: the cache with every staged (pending or sending) operation applied.

Staged operations describe what they do record by record in `staged_change` (created,
updated fields, deleted; see `domain.changes`). The SQL here reads those rows, so a
listing shows an operation's effect on every record it touches, newest change last;
`effective_record` does the same for one record in Python (including records that
only exist as a staged create).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from connect_desktop.domain.changes import DELETE_KINDS
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import STAGED, STATUS_CHANGE, TARGET_TYPE, sql_in
from connect_desktop.store.models import ENTITY_MODELS

STAGED_STATES: tuple[str, ...] = tuple(sorted(state.value for state in STAGED))
"""Operation states that count as 'will happen' in what the user sees."""

_STAGED_SQL = sql_in(STAGED)
_ORDER = "ORDER BY pop.created_at DESC, pop.rowid DESC, chg.id DESC"


@dataclass(frozen=True)
class EffectiveField:
    """The field staged status changes set on one entity type."""

    entity: EntityType
    field: str


def effective_field(entity: EntityType) -> EffectiveField | None:
    """The status-like field of `entity` that year-end operations change (None: none)."""
    fields = {field for kind, (field, _) in STATUS_CHANGE.items() if TARGET_TYPE[kind] is entity}
    if not fields:
        return None
    (field,) = fields
    return EffectiveField(entity, field)


def _changes_of(entity: EntityType, alias: str) -> str:
    return (
        "FROM staged_change chg JOIN pending_operation pop ON pop.op_id = chg.op_id "
        f"WHERE chg.entity_type = '{entity.value}' AND chg.entity_id = {alias}.id "
        f"AND pop.state IN {_STAGED_SQL}"
    )


def effective_field_sql(entity: EntityType, field: str, alias: str) -> str:
    """An SQL expression: `alias.field` after the newest staged change that sets it."""
    if field not in ENTITY_MODELS[entity].__table__.c:
        raise ValueError(f"{entity} has no field {field}")
    path = f"'$.{field}'"
    return (
        f"COALESCE((SELECT json_extract(chg.fields, {path}) {_changes_of(entity, alias)} "
        f"AND chg.action = 'update' AND json_type(chg.fields, {path}) IS NOT NULL {_ORDER} LIMIT 1), "
        f"{alias}.{field})"
    )


def effective_value_sql(entity: EntityType, alias: str) -> str:
    """An SQL expression: the entity's status field after staged changes (or as cached)."""
    spec = effective_field(entity)
    if spec is None:
        raise ValueError(f"{entity} has no staged field")
    return effective_field_sql(entity, spec.field, alias)


def not_deleted_sql(entity: EntityType, alias: str) -> str | None:
    """An SQL condition hiding records with a staged delete (None when the type has none)."""
    if not _has_deletes(entity):
        return None
    return f"NOT EXISTS (SELECT 1 {_changes_of(entity, alias)} AND chg.action = 'delete')"


def staged_sql(entity: EntityType, alias: str) -> str:
    """An SQL expression: 1 when a staged operation changes the record."""
    return f"EXISTS (SELECT 1 {_changes_of(entity, alias)})"


def any_staged_sql(entity: EntityType) -> str:
    """SQL: 1 when any staged operation changes a record of `entity`."""
    return (
        "SELECT EXISTS (SELECT 1 FROM staged_change chg "
        "JOIN pending_operation pop ON pop.op_id = chg.op_id "
        f"WHERE chg.entity_type = '{entity.value}' AND pop.state IN {_STAGED_SQL})"
    )


def staged_deletes_sql(entity: EntityType, alias: str) -> str | None:
    """An SQL condition: the record has a staged delete (for counting by subtraction)."""
    if not _has_deletes(entity):
        return None
    return (
        f"{alias}.id IN (SELECT chg.entity_id FROM staged_change chg JOIN pending_operation pop "
        f"ON pop.op_id = chg.op_id WHERE chg.entity_type = '{entity.value}' AND chg.action = 'delete' "
        f"AND pop.state IN {_STAGED_SQL})"
    )


def _has_deletes(entity: EntityType) -> bool:
    return any(TARGET_TYPE[kind] is entity for kind in DELETE_KINDS)


def effective_record(session: Session, entity: EntityType, record_id: str) -> dict[str, Any] | None:
    """One record as the user sees it: cached (or staged as created), with staged changes applied.

    None when there is no such record, or a staged operation deletes it.
    """
    table = ENTITY_MODELS[entity].__tablename__
    row = session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": record_id}).mappings().first()
    record: dict[str, Any] | None = dict(row) if row is not None else None
    staged = session.execute(
        text(
            "SELECT chg.action, chg.fields FROM staged_change chg "
            "JOIN pending_operation pop ON pop.op_id = chg.op_id "
            f"WHERE chg.entity_type = :type AND chg.entity_id = :id AND pop.state IN {_STAGED_SQL} "
            "ORDER BY pop.created_at, pop.rowid, chg.id"
        ),
        {"type": entity.value, "id": record_id},
    )
    for action, fields in staged:
        values = json.loads(fields) if isinstance(fields, str) else dict(fields or {})
        if action == "create":
            record = {"id": record_id, "version": None, **values}
        elif action == "delete":
            record = None
        elif record is not None:
            record.update(values)
    return record

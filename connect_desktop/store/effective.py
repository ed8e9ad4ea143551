"""SQL for the effective state: the cache with staged (pending or sending) operations applied."""

from __future__ import annotations

from dataclasses import dataclass

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import STATUS_CHANGE, TARGET_TYPE, OperationKind

STAGED_STATES: tuple[str, ...] = ("pending", "sending")
"""Operation states that count as 'will happen' in what the user sees."""

_STAGED_SQL = "('pending', 'sending')"


@dataclass(frozen=True)
class EffectiveField:
    """How staged operations change one field of one entity type."""

    entity: EntityType
    field: str
    values: dict[str, str]
    """kind → new value."""


def effective_field(entity: EntityType) -> EffectiveField | None:
    fields: dict[str, dict[str, str]] = {}
    for kind, (field, value) in STATUS_CHANGE.items():
        if TARGET_TYPE[kind] is entity:
            fields.setdefault(field, {})[kind.value] = value
    if not fields:
        return None
    ((field, values),) = fields.items()
    return EffectiveField(entity, field, values)


def delete_kinds(entity: EntityType) -> tuple[str, ...]:
    return tuple(k.value for k in (OperationKind.DELETE_STUDENT,) if TARGET_TYPE[k] is entity)


def _in(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # values come from our enums only


def effective_value_sql(entity: EntityType, alias: str) -> str:
    """An SQL expression: the field's value after the newest staged change (or as cached)."""
    spec = effective_field(entity)
    if spec is None:
        raise ValueError(f"{entity} has no staged field")
    cases = " ".join(f"WHEN '{kind}' THEN '{value}'" for kind, value in spec.values.items())
    return (
        f"COALESCE((SELECT CASE p.kind {cases} END FROM pending_operation p "
        f"WHERE p.target_type = '{entity.value}' AND p.target_id = {alias}.id "
        f"AND p.state IN {_STAGED_SQL} AND p.kind IN {_in(list(spec.values))} "
        f"ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1), {alias}.{spec.field})"
    )


def not_deleted_sql(entity: EntityType, alias: str) -> str | None:
    """An SQL condition hiding records with a staged delete (None when the type has none)."""
    kinds = delete_kinds(entity)
    if not kinds:
        return None
    return (
        f"NOT EXISTS (SELECT 1 FROM pending_operation p WHERE p.target_type = '{entity.value}' "
        f"AND p.target_id = {alias}.id AND p.kind IN {_in(kinds)} AND p.state IN {_STAGED_SQL})"
    )


def staged_sql(entity: EntityType, alias: str) -> str:
    """An SQL expression: 1 when the record has any staged operation."""
    return (
        f"EXISTS (SELECT 1 FROM pending_operation p WHERE p.target_type = '{entity.value}' "
        f"AND p.target_id = {alias}.id AND p.state IN {_STAGED_SQL})"
    )


def any_staged_sql(entity: EntityType) -> str:
    return (
        f"SELECT EXISTS (SELECT 1 FROM pending_operation WHERE state IN {_STAGED_SQL} "
        f"AND target_type = '{entity.value}')"
    )


def staged_deletes_sql(entity: EntityType, alias: str) -> str | None:
    """An SQL condition: the record has a staged delete (for counting by subtraction)."""
    kinds = delete_kinds(entity)
    if not kinds:
        return None
    return (
        f"{alias}.id IN (SELECT p.target_id FROM pending_operation p WHERE p.target_type = '{entity.value}' "
        f"AND p.kind IN {_in(kinds)} AND p.state IN {_STAGED_SQL})"
    )

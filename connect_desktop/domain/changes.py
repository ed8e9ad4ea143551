"""What each operation kind does to records: the one description the outbox, the
effective state and the server share.

An operation names one primary target, but it may touch several records: it may
create records under ids the client generated (so that later staged operations can
refer to them), update named fields (remembering the values the user saw, for
conflicts and undo), or delete. `changes()` lists those effects record by record;
`references()` lists the records that must exist for the operation to make sense.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connect_desktop.domain.entities import GRADES, EntityType
from connect_desktop.domain.operations import STATUS_CHANGE, TARGET_TYPE, OperationKind


class Action(StrEnum):
    """What an operation does to one record."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class RecordChange:
    """One record an operation changes, and how."""

    entity: EntityType
    record_id: str
    action: Action
    fields: dict[str, Any] = field(default_factory=dict)
    """New values: the whole record for a create, the named fields for an update."""
    old: dict[str, Any] = field(default_factory=dict)
    """For an update, the values the user saw (empty when unknown)."""


@dataclass(frozen=True)
class Reference:
    """A record an operation needs to exist (cached, or created by an earlier staged one)."""

    entity: EntityType
    record_id: str
    noun: str


class ParamsError(ValueError):
    """Parameters an operation cannot take; the message says why in plain words."""


Check = Callable[[str, Any], Any]
"""Validates and normalises one field value, or raises ParamsError naming the field."""


def _text(max_length: int, *, required: bool = True) -> Check:
    def check(name: str, value: Any) -> Any:
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise ParamsError(f"{_label(name)} must be filled in.")
        value = value.strip()
        if len(value) > max_length:
            raise ParamsError(f"{_label(name)} may have at most {max_length} characters.")
        return value or None

    return check


def _grade(name: str, value: Any) -> Any:
    if value not in GRADES:
        raise ParamsError(f"{_label(name)} must be one of {', '.join(GRADES)}.")
    return value


def _date(name: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ParamsError(f"{_label(name)} must be a date like 2014-09-30.") from None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(name: str, value: Any) -> Any:
    value = _text(254, required=False)(name, value)
    if value is not None and not _EMAIL.match(value):
        raise ParamsError(f"{_label(name)} is not an email address.")
    return value


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


STUDENT_FIELDS: dict[str, Check] = {
    "first_name": _text(100),
    "last_name": _text(100),
    "student_number": _text(64),
    "grade": _grade,
    "birth_date": _date,
}
"""Student fields an `update_student` may change."""

CONTACT_FIELDS: dict[str, Check] = {
    "first_name": _text(100),
    "last_name": _text(100),
    "email": _email,
    "phone": _text(32, required=False),
    "language": _text(16),
    "school_id": _text(36, required=False),
}
"""Fields of a new family contact (`create_contact`)."""

CONTACT_REQUIRED = ("first_name", "last_name")
LINK_FIELDS: dict[str, Check] = {
    "student_id": _text(36),
    "contact_id": _text(36),
    "relationship": _text(32),
}
"""Fields of a new family link (`link_contact`); its school is the student's."""


def _checked(rules: Mapping[str, Check], values: Any, what: str) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ParamsError(f"The {what} must be given as named fields.")
    unknown = sorted(set(values) - set(rules))
    if unknown:
        raise ParamsError(f"{_label(unknown[0])} cannot be set here ({what}).")
    return {name: rules[name](name, value) for name, value in values.items()}


CREATE_KINDS: frozenset[OperationKind] = frozenset({OperationKind.CREATE_CONTACT, OperationKind.LINK_CONTACT})
"""Kinds whose target is a new record, under an id the client generated."""
REFERRING_KINDS: frozenset[OperationKind] = frozenset({OperationKind.LINK_CONTACT})
"""Kinds whose parameters name other records that must exist (see `references`)."""
DELETE_KINDS: frozenset[OperationKind] = frozenset({OperationKind.DELETE_STUDENT})
"""Kinds that delete their target for good."""
MERGE_KINDS: frozenset[OperationKind] = frozenset(
    {OperationKind.MERGE_STUDENTS, OperationKind.UNMERGE_STUDENTS}
)
"""Kinds on two students: the target is the one kept (the survivor), `merged_id` the other.

`merge_students` writes `fields` (values taken from the merged record) on the survivor,
moves the merged record's family links and enrollments to it and removes the merged
record; `unmerge_students` (within `UNMERGE_DAYS`) puts the merged record back with its
own links and enrollments and writes `fields` (the survivor's values before) back.
"""


def _field_update(params: Mapping[str, Any], what: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """`fields` and `was` of a student update or merge, checked."""
    fields = _checked(STUDENT_FIELDS, params.get("fields") or {}, what)
    if not fields and not allow_empty:
        raise ParamsError(f"A {what} must change at least one field.")
    was = params.get("was") or {}
    if not isinstance(was, Mapping) or not set(was) <= set(fields):
        raise ParamsError(f"The values seen before a {what} must name the changed fields only.")
    return {"fields": fields, "was": dict(was)}


def check_params(kind: OperationKind, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` validated and normalised for `kind`; raises ParamsError.

    The kinds that change a status or delete take no parameters; sync settings are
    checked by the server against the stored thresholds.
    """
    if kind is OperationKind.UPDATE_STUDENT:
        unknown = sorted(set(params) - {"fields", "was"})
        if unknown:
            raise ParamsError(f"A student update takes fields and was, not {unknown[0]}.")
        if not isinstance(params.get("fields"), Mapping):
            raise ParamsError("The student update must be given as named fields.")
        return _field_update(params, "student update")
    if kind in MERGE_KINDS:
        unknown = sorted(set(params) - {"merged_id", "fields", "was"})
        if unknown:
            raise ParamsError(f"A merge of students takes merged_id, fields and was, not {unknown[0]}.")
        merged = _text(36)("merged_id", params.get("merged_id"))
        return {"merged_id": merged, **_field_update(params, "merge of students", allow_empty=True)}
    if kind is OperationKind.CREATE_CONTACT:
        values = _checked(CONTACT_FIELDS, params, "new family contact")
        missing = [name for name in CONTACT_REQUIRED if not values.get(name)]
        if missing:
            raise ParamsError(f"A new family contact needs a {_label(missing[0]).lower()}.")
        values.setdefault("language", "en")
        return values
    if kind is OperationKind.LINK_CONTACT:
        values = _checked(LINK_FIELDS, params, "family link")
        missing = [name for name in LINK_FIELDS if not values.get(name)]
        if missing:
            raise ParamsError(f"A family link needs a {_label(missing[0]).lower()}.")
        return values
    if kind is OperationKind.UPDATE_SYNC_SETTINGS:
        return dict(params)
    if params:
        raise ParamsError(f"This change takes no details (got {', '.join(sorted(params))}).")
    return {}


def changes(kind: OperationKind, target_id: str, params: Mapping[str, Any]) -> list[RecordChange]:
    """The records `kind` on `target_id` changes, with checked `params` (see check_params)."""
    target = TARGET_TYPE[kind]
    if kind in STATUS_CHANGE:
        name, value = STATUS_CHANGE[kind]
        return [RecordChange(target, target_id, Action.UPDATE, {name: value})]
    if kind in DELETE_KINDS:
        return [RecordChange(target, target_id, Action.DELETE)]
    if kind is OperationKind.UPDATE_STUDENT:
        return [RecordChange(target, target_id, Action.UPDATE, dict(params["fields"]), dict(params["was"]))]
    if kind in MERGE_KINDS:
        survivor = RecordChange(target, target_id, Action.UPDATE, dict(params["fields"]), dict(params["was"]))
        if kind is OperationKind.MERGE_STUDENTS:
            return [survivor, RecordChange(target, str(params["merged_id"]), Action.DELETE)]
        return [survivor]  # the merged record comes back from the server's answer
    if kind in CREATE_KINDS:
        return [RecordChange(target, target_id, Action.CREATE, dict(params))]
    return []  # sync settings: not part of the effective view of records


def references(kind: OperationKind, params: Mapping[str, Any]) -> list[Reference]:
    """Records that must exist (on the server, or staged as created before) for `kind`."""
    if kind is OperationKind.LINK_CONTACT:
        return [
            Reference(EntityType.STUDENT, str(params["student_id"]), "student"),
            Reference(EntityType.CONTACT, str(params["contact_id"]), "family contact"),
        ]
    return []


def inverse_update(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of the update that puts back what an `update_student` changed."""
    was = dict(params.get("was") or {})
    return {"fields": was, "was": {name: params["fields"][name] for name in was}}


def inverse_merge(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of the `unmerge_students` that splits what a `merge_students` joined."""
    return {"merged_id": params["merged_id"], **inverse_update(params)}

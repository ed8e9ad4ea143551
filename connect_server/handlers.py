"""What each operation kind does to the database, inside the caller's transaction.

A handler either returns an `Applied` (the new state of every touched record, and the
audit before/after) or raises `RejectedError` / `ConflictError`; then the caller's transaction
changes nothing but the stored result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from connect_desktop.api.schema import Operation, encode_value
from connect_desktop.domain.changes import (
    CREATE_KINDS,
    MERGE_KINDS,
    Action,
    ParamsError,
    changes,
    check_params,
    references,
)
from connect_desktop.domain.entities import EnrollmentRole, EntityType
from connect_desktop.domain.operations import STATUS_CHANGE, TARGET_TYPE, OperationKind
from connect_server.scope import TABLES, TOMBSTONE, Principal, visible, writable
from connect_server.sequence import allocate_seqs, lock_feed
from connect_server.sync_settings import InvalidSettingsError, parse_settings_change
from connect_server.visibility import scope_changes
from connect_server.wire import CODECS, encode_fields, tombstone_change

_LABEL = {
    EntityType.CLASSROOM: "classroom",
    EntityType.STAFF: "staff member",
    EntityType.STUDENT: "student",
    EntityType.SYNC_SETTINGS: "sync settings record",
    EntityType.CONTACT: "family contact",
    EntityType.STUDENT_CONTACT: "family link",
}


def _called(kind: EntityType, row: Any) -> str:
    """A record as a person knows it: a name where it has one, never a raw id."""
    label = _LABEL.get(kind, kind.value)
    first, last = getattr(row, "first_name", None), getattr(row, "last_name", None)
    if first or last:
        return f"The {label} {' '.join(part for part in (first, last) if part)}"
    name = getattr(row, "name", None)
    return f"The {label} {name}" if name else f"This {label}"


_DONE = {
    OperationKind.ARCHIVE_CLASSROOM: "archived",
    OperationKind.UNARCHIVE_CLASSROOM: "unarchived",
    OperationKind.REVOKE_STAFF_ACCESS: "revoked",
    OperationKind.RESTORE_STAFF_ACCESS: "restored",
    OperationKind.ARCHIVE_STUDENT: "archived",
    OperationKind.UNARCHIVE_STUDENT: "unarchived",
}


class RejectedError(Exception):
    """The operation cannot be applied; the message tells the user why."""


class ConflictError(Exception):
    """The target moved on since the client saw it."""


@dataclass
class Applied:
    message: str
    records: list[dict[str, Any]]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changed: bool = True


def apply(session: Session, principal: Principal, op: Operation) -> Applied:
    """Apply one operation (already authorised for year-end changes) or raise."""
    try:
        kind = OperationKind(op.kind)
    except ValueError:
        raise RejectedError(f"Unknown operation kind {op.kind!r}") from None
    expected = TARGET_TYPE[kind]
    if op.target.type != expected:
        raise RejectedError(f"{kind.value} applies to a {expected.value}, not a {op.target.type.value}")
    if kind is OperationKind.UPDATE_SYNC_SETTINGS:
        return _update_sync_settings(session, principal, op)
    try:
        params = check_params(kind, op.params)
    except ParamsError as error:
        raise RejectedError(str(error)) from None
    if kind in CREATE_KINDS and op.target.version != 0:
        raise RejectedError(f"{kind.value} creates a record: its target version must be 0")
    _lock_related(session, principal, op, kind, params)
    if kind is OperationKind.DELETE_STUDENT:
        return _delete_student(session, principal, op)
    if kind is OperationKind.UPDATE_STUDENT:
        return _update_fields(session, principal, op, params)
    if kind is OperationKind.CREATE_CONTACT:
        return _create_contact(session, principal, op, params)
    if kind is OperationKind.LINK_CONTACT:
        return _link_contact(session, principal, op, params)
    if kind in MERGE_KINDS:
        from connect_server import merging  # here: merging builds on this module's helpers

        handler = merging.merge_students if kind is OperationKind.MERGE_STUDENTS else merging.unmerge_students
        return handler(session, principal, op, params)
    return _set_field(session, principal, op, kind)


def _load(
    session: Session, principal: Principal, kind: EntityType, record_id: str, *, to_change: bool = True
) -> Row[Any]:
    """The record, locked for this transaction; the feed counter is locked first (one lock order).

    A record the operation changes must be writable by the caller; one it only needs
    (`to_change=False`) must be visible to them.
    """
    lock_feed(session)
    codec = CODECS[kind]
    statement = codec.select().where(codec.table.c.id == record_id)
    condition = writable(principal, kind) if to_change else visible(principal, kind)
    if condition is not None:
        statement = statement.where(condition)
    row = session.execute(statement.with_for_update()).first()
    if row is None:
        label = _LABEL.get(kind, kind.value)
        if not to_change:
            raise RejectedError(f"No {label} with id {record_id} that you can see")
        where = "" if principal.is_district_admin else " in your schools"
        raise RejectedError(f"No {label} with id {record_id}{where}")
    return row


def _check_version(row: Row[Any], op: Operation) -> None:
    """The record must be at the version the user saw (None: created by an earlier operation)."""
    if op.target.version is not None and row.version != op.target.version:
        raise ConflictError(
            f"The record changed on the server (version {row.version}, you had {op.target.version}). "
            "Refresh and try again."
        )


def _write(session: Session, kind: EntityType, row: Row[Any], values: dict[str, Any]) -> dict[str, Any]:
    """Update `row` with `values`, a new version and seq; return its new wire change."""
    codec = CODECS[kind]
    table = codec.table
    (seq,) = allocate_seqs(session, 1)
    result = session.execute(
        update(table)
        .where(table.c.id == row.id, table.c.version == row.version)
        .values(**values, version=row.version + 1, seq=seq)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError("The record changed on the server while applying. Refresh and try again.")
    return codec.change(session.execute(codec.select().where(table.c.id == row.id)).one())


def _set_field(session: Session, principal: Principal, op: Operation, kind: OperationKind) -> Applied:
    target = TARGET_TYPE[kind]
    name, value = STATUS_CHANGE[kind]
    row = _load(session, principal, target, op.target.id)
    _check_version(row, op)
    label = _LABEL[target].capitalize()
    old = getattr(row, name)
    if old == value:
        current = CODECS[target].change(row)
        return Applied(f"{label} was already {_DONE[kind]}; nothing changed", [current], changed=False)
    change = _write(session, target, row, {name: value})
    return Applied(f"{label} {_DONE[kind]}", [change], before={name: old}, after={name: value})


def _delete_student(session: Session, principal: Principal, op: Operation) -> Applied:
    row = _load(session, principal, EntityType.STUDENT, op.target.id)
    _check_version(row, op)
    links_table = TABLES[EntityType.STUDENT_CONTACT]
    enrollments_table = TABLES[EntityType.ENROLLMENT]
    links = session.execute(
        select(links_table.c.id, links_table.c.version, links_table.c.school_id, links_table.c.contact_id)
        .where(links_table.c.student_id == row.id)
        .order_by(links_table.c.id)
    ).all()
    enrollments = session.execute(
        select(enrollments_table.c.id, enrollments_table.c.version, enrollments_table.c.school_id)
        .where(
            enrollments_table.c.person_id == row.id, enrollments_table.c.role == EnrollmentRole.STUDENT.value
        )
        .order_by(enrollments_table.c.id)
    ).all()
    doomed = [(EntityType.STUDENT_CONTACT, link) for link in links]
    doomed += [(EntityType.ENROLLMENT, enrollment) for enrollment in enrollments]
    doomed.append((EntityType.STUDENT, row))
    seqs = allocate_seqs(session, len(doomed))
    tombstones = [
        {
            "seq": seq,
            "type": kind.value,
            "id": record.id,
            "version": record.version,
            "school_id": record.school_id or row.school_id,
        }
        for seq, (kind, record) in zip(seqs, doomed, strict=True)
    ]
    session.execute(insert(TOMBSTONE), tombstones)
    scope = scope_changes(session)
    for link in links:
        scope.link_gone(link.contact_id, link.school_id or row.school_id)
    if links:
        session.execute(delete(links_table).where(links_table.c.id.in_([link.id for link in links])))
    if enrollments:
        session.execute(
            delete(enrollments_table).where(enrollments_table.c.id.in_([e.id for e in enrollments]))
        )
    session.execute(delete(TABLES[EntityType.STUDENT]).where(TABLES[EntityType.STUDENT].c.id == row.id))
    before = CODECS[EntityType.STUDENT].change(row)["data"]
    before["version"] = row.version
    before["student_contact_ids"] = [link.id for link in links]
    before["enrollment_ids"] = [e.id for e in enrollments]
    records = [tombstone_change(t["seq"], t["type"], t["id"], t["version"]) for t in tombstones]
    message = f"Student deleted with {len(links)} family link(s) and {len(enrollments)} enrollment(s)"
    return Applied(message, records, before=before, after=None)


def _update_sync_settings(session: Session, principal: Principal, op: Operation) -> Applied:
    if not principal.is_district_admin:
        raise RejectedError("Only a district admin can change sync settings")
    row = _load(session, principal, EntityType.SYNC_SETTINGS, op.target.id)
    try:
        values = parse_settings_change(op.params, dict(row.thresholds or {}))
    except InvalidSettingsError as error:
        raise RejectedError(str(error)) from None
    _check_version(row, op)
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        current = CODECS[EntityType.SYNC_SETTINGS].change(row)
        return Applied("Sync settings already had these values; nothing changed", [current], changed=False)
    change = _write(session, EntityType.SYNC_SETTINGS, row, changed)
    before = encode_fields({name: getattr(row, name) for name in changed})
    return Applied("Sync settings updated", [change], before=before, after=encode_fields(changed))


def _update_fields(session: Session, principal: Principal, op: Operation, params: dict[str, Any]) -> Applied:
    """Set named fields; a record that moved on still takes them if those fields did not change.

    `was` holds the values the user saw. When the version differs but every named field
    still has its `was` value, someone changed other fields only: the update applies.
    """
    target = TARGET_TYPE[OperationKind(op.kind)]
    row = _load(session, principal, target, op.target.id)
    fields: dict[str, Any] = params["fields"]
    was: dict[str, Any] = params["was"]
    current = {name: encode_value(getattr(row, name)) for name in fields}
    if op.target.version is not None and row.version != op.target.version:
        moved = [name for name in fields if name not in was or current[name] != was[name]]
        if moved:
            raise ConflictError(
                f"The {_LABEL[target]}'s {', '.join(n.replace('_', ' ') for n in moved)} changed on the "
                f"server since you saw it (version {row.version}, you had {op.target.version}). "
                "Refresh and try again."
            )
    changed = {name: value for name, value in fields.items() if current[name] != value}
    label = _LABEL[target].capitalize()
    if not changed:
        return Applied(
            f"{label} already had these values; nothing changed", [CODECS[target].change(row)], changed=False
        )
    values = {name: _stored_value(target, name, value) for name, value in changed.items()}
    change = _write(session, target, row, values)
    before = {name: current[name] for name in changed}
    return Applied(f"{label} updated", [change], before=before, after=dict(changed))


def _stored_value(kind: EntityType, name: str, value: Any) -> Any:
    """A wire value as the column stores it (dates come as ISO text)."""
    column = TABLES[kind].c[name]
    if value is not None and column.type.python_type is dt.date:
        return dt.date.fromisoformat(value)
    return value


def _check_absent(session: Session, kind: EntityType, record_id: str) -> None:
    table = TABLES[kind]
    if session.execute(select(table.c.id).where(table.c.id == record_id)).first() is not None:
        raise RejectedError(f"A {_LABEL[kind]} with id {record_id} exists already; create it with a new id")


def _insert(session: Session, kind: EntityType, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a new record (version 1) and return its wire change."""
    codec = CODECS[kind]
    (seq,) = allocate_seqs(session, 1)
    session.execute(insert(codec.table).values(**values, version=1, seq=seq, origin="manual"))
    return codec.change(session.execute(codec.select().where(codec.table.c.id == values["id"])).one())


def _create_contact(session: Session, principal: Principal, op: Operation, params: dict[str, Any]) -> Applied:
    lock_feed(session)
    school = params.get("school_id")
    if not principal.is_district_admin and school not in principal.school_ids:
        raise RejectedError("A new family contact must belong to one of your schools")
    if school is not None:
        schools = TABLES[EntityType.SCHOOL]
        if session.execute(select(schools.c.id).where(schools.c.id == school)).first() is None:
            raise RejectedError(f"No school with id {school}")
    _check_absent(session, EntityType.CONTACT, op.target.id)
    change = _insert(session, EntityType.CONTACT, {"id": op.target.id, **params})
    return Applied("Family contact created", [change], before=None, after=dict(params))


def _link_contact(session: Session, principal: Principal, op: Operation, params: dict[str, Any]) -> Applied:
    """Link a family contact to a student, in the student's school (one link per pair)."""
    student = _load(session, principal, EntityType.STUDENT, params["student_id"])
    _load(session, principal, EntityType.CONTACT, params["contact_id"], to_change=False)
    links = TABLES[EntityType.STUDENT_CONTACT]
    twin = select(links.c.id).where(
        links.c.student_id == student.id, links.c.contact_id == params["contact_id"]
    )
    if session.execute(twin).first() is not None:
        raise RejectedError("This family contact is already linked to this student")
    _check_absent(session, EntityType.STUDENT_CONTACT, op.target.id)
    values = {"id": op.target.id, **params, "school_id": student.school_id}
    change = _insert(session, EntityType.STUDENT_CONTACT, values)
    scope_changes(session).link_added(params["contact_id"])
    return Applied("Family contact linked", [change], before=None, after=encode_fields(values))


def _lock_related(
    session: Session, principal: Principal, op: Operation, kind: OperationKind, params: dict[str, Any]
) -> None:
    """Lock and check every other record the operation names, before anything is written.

    Each must be one the kind changes or needs (`domain.changes`); a changed record must be
    writable by the caller and at the version the user saw (None: any), a needed one
    visible; a record the operation creates (version 0) must not exist yet.
    """
    changed = {(c.entity, c.record_id): c.action for c in changes(kind, op.target.id, params)}
    needed = {(r.entity, r.record_id) for r in references(kind, params)}
    for extra in sorted(op.also, key=lambda t: (t.type.value, t.id)):
        key = (extra.type, extra.id)
        if key == (op.target.type, op.target.id) or (key not in changed and key not in needed):
            raise RejectedError(
                f"{kind.value} does not touch the {_LABEL.get(extra.type, extra.type.value)} {extra.id}"
            )
        if changed.get(key) is Action.CREATE:
            if extra.version != 0:
                raise RejectedError(f"{kind.value} creates {extra.id}: its version must be 0")
            _check_absent(session, extra.type, extra.id)
            continue
        row = _load(session, principal, extra.type, extra.id, to_change=key in changed)
        if extra.version is not None and row.version != extra.version:
            raise ConflictError(
                f"{_called(extra.type, row)} changed on the server "
                f"(version {row.version}, you had {extra.version}). Refresh and try again."
            )

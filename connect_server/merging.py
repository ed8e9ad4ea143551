"""`merge_students` and `unmerge_students`: two records of one child joined, and split again.

The target of both is the survivor (the record kept). A merge moves the other record's
family links and enrollments to the survivor (dropping a link to a contact, or an
enrollment in a classroom, the survivor already has), writes the chosen fields on the
survivor, deletes the other record and keeps a `student_merge` row with everything an
undo needs. An undo within `UNMERGE_DAYS` puts the merged record back under its own id
with its own links and enrollments, and the survivor's fields back.

Both run inside the caller's one transaction (`handlers.apply`): every check comes first
and raises before anything is written, so a refusal or conflict changes nothing. There
is no message history to move: `message_stat` counts messages per staff member and
classroom, never per student.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, insert, select, update
from sqlalchemy.orm import Session

from connect_desktop.api.schema import Operation, encode_value
from connect_desktop.domain.entities import EnrollmentRole, EntityType
from connect_desktop.domain.merging import merge_refusal
from connect_desktop.domain.operations import UNMERGE_DAYS
from connect_desktop.syncadmin.text import long_date
from connect_server.clock import utc_now
from connect_server.handlers import (
    Applied,
    ConflictError,
    RejectedError,
    _load,
    _stored_value,
    _update_fields,
    _write,
)
from connect_server.models import AppliedOperation, FeedCounter, StudentMerge
from connect_server.scope import TABLES, TOMBSTONE, Principal
from connect_server.sequence import allocate_seqs, lock_feed
from connect_server.visibility import scope_changes
from connect_server.wire import CODECS, tombstone_change

STUDENT = EntityType.STUDENT
LINK = EntityType.STUDENT_CONTACT
ENROLLMENT = EntityType.ENROLLMENT
_STUDENTS, _LINKS, _ENROLLMENTS = TABLES[STUDENT], TABLES[LINK], TABLES[ENROLLMENT]
_MERGES = StudentMerge.__table__

NOT_FOUND = "This merge was not found or was already undone"


def merge_students(session: Session, principal: Principal, op: Operation, params: dict[str, Any]) -> Applied:
    """Merge `params["merged_id"]` into the target student (the survivor)."""
    survivor_id, merged_id = op.target.id, str(params["merged_id"])
    if survivor_id == merged_id:
        raise RejectedError("A student record cannot be merged with itself; choose two different records")
    survivor = _student(session, principal, survivor_id, "The record to keep")
    merged = _student(session, principal, merged_id, "The duplicate record")
    refusal = merge_refusal(
        survivor_from_sis=survivor.origin == "sync",
        merged_from_sis=merged.origin == "sync",
        survivor_name=_name(survivor),
        merged_name=_name(merged),
    )
    if refusal:
        raise RejectedError(refusal)
    links = _rows(session, LINK, _LINKS.c.student_id == merged.id)
    enrollments = _rows(
        session,
        ENROLLMENT,
        (_ENROLLMENTS.c.person_id == merged.id) & (_ENROLLMENTS.c.role == EnrollmentRole.STUDENT.value),
    )
    schools = [link.school_id or merged.school_id for link in links] + [e.school_id for e in enrollments]
    _check_schools(principal, schools, f"{_name(merged)} has family links or classes")
    first_seq = _next_seq(session)
    # The field-level conflict check, then the survivor's one write; nothing was written before.
    fields = _update_fields(session, principal, op, params)
    kept, dropped = _split(
        links, "contact_id", _values_of(session, _LINKS.c.contact_id, _LINKS.c.student_id, survivor.id)
    )
    taken = _values_of(
        session,
        _ENROLLMENTS.c.classroom_id,
        _ENROLLMENTS.c.person_id,
        survivor.id,
        _ENROLLMENTS.c.role == EnrollmentRole.STUDENT.value,
    )
    kept_enrollments, dropped_enrollments = _split(enrollments, "classroom_id", taken)
    _move_links(session, kept, survivor.id, lambda _link: survivor.school_id)
    for enrollment in kept_enrollments:
        _write(session, ENROLLMENT, enrollment, {"person_id": survivor.id})
    scope = scope_changes(session)
    for link in dropped:
        scope.link_gone(link.contact_id, link.school_id or merged.school_id)
    gone = [(LINK, link, link.school_id or merged.school_id) for link in dropped]
    gone += [(ENROLLMENT, e, e.school_id) for e in dropped_enrollments]
    gone.append((STUDENT, merged, merged.school_id))
    tombstones = _remove(session, gone)
    if not fields.changed:
        _touch(session, survivor.id)  # re-announced to whom sees it now (teachers of its new classes)
    now = _operation_time(session, op)
    session.execute(
        insert(_MERGES).values(
            op_id=op.op_id,
            survivor_id=survivor.id,
            merged_id=merged.id,
            merged_at=now,
            user_id=principal.user_id,
            first_seq=first_seq,
            merged_student=_stored(STUDENT, merged),
            moved_links=[_stored(LINK, link) for link in kept],
            moved_enrollments=[_stored(ENROLLMENT, e) for e in kept_enrollments],
            dropped_links=[_stored(LINK, link) for link in dropped],
            dropped_enrollments=[_stored(ENROLLMENT, e) for e in dropped_enrollments],
            survivor_before=dict(fields.before or {}),
            survivor_written=dict(fields.after or {}),
        )
    )
    records = _records(
        session,
        [
            (STUDENT, [survivor.id]),
            (LINK, [r.id for r in kept]),
            (ENROLLMENT, [r.id for r in kept_enrollments]),
        ],
        tombstones,
    )
    kept_name, merged_name = _name(survivor), _name(merged)
    message = (
        f"{merged_name} merged into {kept_name}: {len(kept)} family link(s) and "
        f"{len(kept_enrollments)} enrollment(s) moved"
    )
    if dropped or dropped_enrollments:
        message += (
            f"; {len(dropped)} family link(s) and {len(dropped_enrollments)} enrollment(s) that "
            f"{kept_name} already had were removed"
        )
    before = {
        "kept": kept_name,
        "merged": merged_name,
        "fields": dict(fields.before or {}),
        "merged_record": _stored(STUDENT, merged),
    }
    after = {
        "kept": kept_name,
        "fields": dict(fields.after or {}),
        "family_links_moved": len(kept),
        "family_links_removed": len(dropped),
        "enrollments_moved": len(kept_enrollments),
        "enrollments_removed": len(dropped_enrollments),
    }
    return Applied(message, records, before=before, after=after)


def unmerge_students(
    session: Session, principal: Principal, op: Operation, params: dict[str, Any]
) -> Applied:
    """Split the latest merge of `params["merged_id"]` into the target student, within UNMERGE_DAYS.

    What is put back comes from the merge record (what the merge really changed); the
    survivor's fields follow the field-level rule: a field that no longer holds what the
    merge wrote is a conflict, any other change of the survivor is kept.
    """
    lock_feed(session)
    merge = session.execute(
        select(_MERGES)
        .where(
            _MERGES.c.survivor_id == op.target.id,
            _MERGES.c.merged_id == str(params["merged_id"]),
            _MERGES.c.undone_at.is_(None),
        )
        .order_by(_MERGES.c.merged_at.desc(), _MERGES.c.id.desc())
        .limit(1)
    ).first()
    if merge is None:
        raise RejectedError(NOT_FOUND)
    now = _operation_time(session, op)
    if now - merge.merged_at > dt.timedelta(days=UNMERGE_DAYS):
        raise RejectedError(
            f"These records were merged on {long_date(merge.merged_at)}; a merge can be undone for "
            f"{UNMERGE_DAYS} days only, so this one can no longer be undone. If they are two different "
            "children, add the second one again as a new student."
        )
    survivor = _student(session, principal, op.target.id, "The record this merge kept")
    stored = dict(merge.merged_student)
    merged_name = _name_of(stored)
    if session.execute(select(_STUDENTS.c.id).where(_STUDENTS.c.id == stored["id"])).first() is not None:
        raise RejectedError(f"{merged_name} is already back on the server; there is nothing to undo")
    links = [*merge.moved_links, *merge.dropped_links]
    schools = [stored["school_id"]] + [row["school_id"] or stored["school_id"] for row in links]
    schools += [row["school_id"] for row in [*merge.moved_enrollments, *merge.dropped_enrollments]]
    _check_schools(principal, schools, f"{merged_name}'s record, family links or classes are")
    moved = [
        name
        for name, written in merge.survivor_written.items()
        if encode_value(getattr(survivor, name)) != written
    ]
    if moved:
        names = ", ".join(n.replace("_", " ") for n in moved)
        raise ConflictError(
            f"{_name(survivor)}'s {names} changed after the merge; undoing it would overwrite that "
            "change. Check the record, then try again."
        )
    # -- writes ---------------------------------------------------------------------
    (seq,) = allocate_seqs(session, 1)
    session.execute(insert(_STUDENTS).values(**_row_values(STUDENT, stored), seq=seq))
    back_links = _rows(
        session,
        LINK,
        _LINKS.c.id.in_([row["id"] for row in merge.moved_links]) & (_LINKS.c.student_id == survivor.id),
    )
    old_school = {row["id"]: row["school_id"] for row in merge.moved_links}
    _move_links(session, back_links, stored["id"], lambda link: old_school[link.id])
    back_enrollments = _rows(
        session,
        ENROLLMENT,
        _ENROLLMENTS.c.id.in_([row["id"] for row in merge.moved_enrollments])
        & (_ENROLLMENTS.c.person_id == survivor.id),
    )
    for enrollment in back_enrollments:
        _write(session, ENROLLMENT, enrollment, {"person_id": stored["id"]})
    new_links = _recreate(session, LINK, merge.dropped_links, "contact_id", EntityType.CONTACT, "student_id")
    new_enrollments = _recreate(
        session, ENROLLMENT, merge.dropped_enrollments, "classroom_id", EntityType.CLASSROOM, "person_id"
    )
    scope = scope_changes(session)
    for row in new_links:
        scope.link_added(row["contact_id"])
    _forget_tombstones(
        session,
        merge.first_seq,
        [
            (STUDENT, [stored["id"]]),
            (LINK, [r["id"] for r in new_links]),
            (ENROLLMENT, [r["id"] for r in new_enrollments]),
        ],
    )
    restore = {
        name: value
        for name, value in merge.survivor_before.items()
        if encode_value(getattr(survivor, name)) != value
    }
    if restore:
        values = {name: _stored_value(STUDENT, name, value) for name, value in restore.items()}
        _write(session, STUDENT, survivor, values)
    session.execute(
        update(_MERGES).where(_MERGES.c.id == merge.id).values(undone_at=now, undo_op_id=op.op_id)
    )
    records = _records(
        session,
        [
            (STUDENT, [survivor.id, stored["id"]]),
            (LINK, [r.id for r in back_links] + [r["id"] for r in new_links]),
            (ENROLLMENT, [r.id for r in back_enrollments] + [r["id"] for r in new_enrollments]),
        ],
        [],
    )
    links_back, classes_back = len(back_links) + len(new_links), len(back_enrollments) + len(new_enrollments)
    message = (
        f"Merge undone: {merged_name} is back with {links_back} family link(s) and {classes_back} "
        f"enrollment(s)"
    )
    if restore:
        message += f"; {_name(survivor)}'s {', '.join(n.replace('_', ' ') for n in restore)} put back"
    before = {"kept": _name(survivor), "fields": {name: merge.survivor_written[name] for name in restore}}
    after = {
        "kept": _name(survivor),
        "restored": merged_name,
        "fields": restore,
        "merged_on": merge.merged_at.date().isoformat(),
        "family_links_moved_back": len(back_links),
        "family_links_recreated": len(new_links),
        "enrollments_moved_back": len(back_enrollments),
        "enrollments_recreated": len(new_enrollments),
    }
    return Applied(message, records, before=before, after=after)


# -- checks ----------------------------------------------------------------------------


def _student(session: Session, principal: Principal, record_id: str, what: str) -> Row[Any]:
    """The student, locked and writable by `principal`, or a refusal in plain words."""
    try:
        return _load(session, principal, STUDENT, record_id)
    except RejectedError:
        where = "" if principal.is_district_admin else " or is not in one of your schools"
        raise RejectedError(
            f"{what} is no longer on the server{where}; refresh and check the pair again"
        ) from None


def _check_schools(principal: Principal, schools: Iterable[str | None], what: str) -> None:
    """A school admin changes records of their own schools only."""
    if principal.is_district_admin:
        return
    if any(school not in principal.school_ids for school in schools):
        raise RejectedError(f"{what} in a school you do not manage; a district admin can do this for you")


def _operation_time(session: Session, op: Operation) -> dt.datetime:
    """When the operation is applied: the time `run_operation` recorded for its op_id (the server clock)."""
    at = session.scalar(select(AppliedOperation.at).where(AppliedOperation.op_id == op.op_id))
    return at if at is not None else utc_now()


# -- reading and writing rows -------------------------------------------------------------


def _rows(session: Session, kind: EntityType, condition: ColumnElement[bool]) -> list[Row[Any]]:
    codec = CODECS[kind]
    return list(session.execute(codec.select().where(condition).order_by(codec.table.c.id)).all())


def _values_of(
    session: Session, column: Any, key: Any, value: str, *conditions: ColumnElement[bool]
) -> set[str]:
    return set(session.scalars(select(column).where(key == value, *conditions)))


def _split(rows: list[Row[Any]], name: str, taken: set[str]) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """Rows to move, and rows whose `name` the survivor already has (or an earlier row took)."""
    moving: list[Row[Any]] = []
    dropping: list[Row[Any]] = []
    for row in rows:
        value = getattr(row, name)
        (dropping if value in taken else moving).append(row)
        taken.add(value)
    return moving, dropping


def _move_links(session: Session, links: list[Row[Any]], student_id: str, school: Any) -> None:
    """Give each link a new student (and that student's school), keeping contact visibility right."""
    scope = scope_changes(session)
    for link in links:
        new_school = school(link)
        _write(session, LINK, link, {"student_id": student_id, "school_id": new_school})
        if new_school != link.school_id:
            scope.moved(LINK, link.id, link.school_id)
            scope.link_gone(link.contact_id, link.school_id)
            scope.link_added(link.contact_id)


def _remove(session: Session, gone: list[tuple[EntityType, Row[Any], str | None]]) -> list[dict[str, Any]]:
    """Delete the rows (the merged student last) with a tombstone each; their wire changes."""
    seqs = allocate_seqs(session, len(gone))
    tombstones = [
        {"seq": seq, "type": kind.value, "id": row.id, "version": row.version, "school_id": school}
        for seq, (kind, row, school) in zip(seqs, gone, strict=True)
    ]
    session.execute(insert(TOMBSTONE), tombstones)
    for kind, row, _school in gone:
        session.execute(delete(TABLES[kind]).where(TABLES[kind].c.id == row.id))
    return [tombstone_change(t["seq"], t["type"], t["id"], t["version"]) for t in tombstones]


def _touch(session: Session, student_id: str) -> None:
    (seq,) = allocate_seqs(session, 1)
    session.execute(update(_STUDENTS).where(_STUDENTS.c.id == student_id).values(seq=seq))


def _recreate(
    session: Session,
    kind: EntityType,
    rows: list[dict[str, Any]],
    needs: str,
    needed: EntityType,
    owner: str,
) -> list[dict[str, Any]]:
    """Insert the stored rows again under their ids, skipping any whose `needs` record is gone.

    A row whose id is taken, or whose owner already has one for the same `needs` record,
    is skipped too, so nothing is doubled.
    """
    table = TABLES[kind]
    made: list[dict[str, Any]] = []
    for row in rows:
        other = TABLES[needed]
        if session.execute(select(other.c.id).where(other.c.id == row[needs])).first() is None:
            continue
        twin = select(table.c.id).where(
            (table.c.id == row["id"]) | ((table.c[owner] == row[owner]) & (table.c[needs] == row[needs]))
        )
        if session.execute(twin).first() is not None:
            continue
        (seq,) = allocate_seqs(session, 1)
        session.execute(insert(table).values(**_row_values(kind, row), seq=seq))
        made.append(row)
    return made


def _forget_tombstones(session: Session, since: int, records: list[tuple[EntityType, list[str]]]) -> None:
    """Drop the merge's tombstones of records that are back, so no client is told to delete them."""
    for kind, ids in records:
        if ids:
            session.execute(
                delete(TOMBSTONE).where(
                    TOMBSTONE.c.seq >= since, TOMBSTONE.c.type == kind.value, TOMBSTONE.c.id.in_(ids)
                )
            )


def _records(
    session: Session, kinds: list[tuple[EntityType, list[str]]], tombstones: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every changed record as the feed now has it, in feed order.

    The transaction's visibility changes are written first, since they may give a
    record a new seq; the commit then has nothing left to write.
    """
    scope_changes(session).flush(session)
    records = list(tombstones)
    for kind, ids in kinds:
        if ids:
            codec = CODECS[kind]
            rows = session.execute(codec.select().where(codec.table.c.id.in_(ids))).all()
            records += [codec.change(row) for row in rows]
    return sorted(records, key=lambda change: change["seq"])


def _next_seq(session: Session) -> int:
    return int(session.scalar(select(FeedCounter.value).where(FeedCounter.id == 1)) or 0) + 1


def _stored(kind: EntityType, row: Row[Any]) -> dict[str, Any]:
    """A row as JSON: its wire data plus id and version."""
    change = CODECS[kind].change(row)
    return {"id": change["id"], "version": change["version"], **change["data"]}


def _row_values(kind: EntityType, stored: dict[str, Any]) -> dict[str, Any]:
    """Column values to insert a stored row again, with the next version."""
    codec = CODECS[kind]
    values = {name: stored.get(name) for name in codec.names}
    for name in codec.dates:
        if values[name] is not None:
            values[name] = dt.date.fromisoformat(values[name])
    for name in codec.datetimes:
        if values[name] is not None:
            values[name] = dt.datetime.fromisoformat(values[name])
    return {"id": stored["id"], "version": int(stored["version"]) + 1, **values}


def _name(row: Row[Any]) -> str:
    return f"{row.first_name} {row.last_name}".strip()


def _name_of(stored: dict[str, Any]) -> str:
    return f"{stored.get('first_name', '')} {stored.get('last_name', '')}".strip()

"""Undo sent year-end changes by staging their inverse operations.

A merge of two students is undone by `unmerge_students` with the merge's own parameters
inverted (`domain.changes.inverse_merge`), within `UNMERGE_DAYS` of its sending; since
one survivor may take several merges, a merge counts as undone only by an unmerge of
the same merged record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from connect_desktop.domain.changes import inverse_merge
from connect_desktop.domain.operations import (
    INVERSE,
    STAGED,
    UNMERGE_DAYS,
    OperationKind,
    OutboxState,
    unmerge_deadline,
)
from connect_desktop.rollover.plan import PlanError, PlannedOperation, operation
from connect_desktop.store.models import PendingOperation

UNDOABLE: frozenset[OperationKind] = frozenset(
    {
        OperationKind.ARCHIVE_CLASSROOM,
        OperationKind.REVOKE_STAFF_ACCESS,
        OperationKind.ARCHIVE_STUDENT,
        OperationKind.MERGE_STUDENTS,
    }
)
"""Year-end kinds that can be undone after sending (deleting a student cannot)."""

_UNDO: dict[OperationKind, OperationKind] = {
    **INVERSE,
    OperationKind.MERGE_STUDENTS: OperationKind.UNMERGE_STUDENTS,
}

_LIVE_STATES = sorted(STAGED | {OutboxState.APPLIED})
"""States of an operation that has taken, or will take, effect."""


def inverse_operation(
    kind: str, target_id: str, step: str, params: Mapping[str, Any] | None = None
) -> PlannedOperation:
    """The operation undoing one sent `kind` on `target_id` (sent with `params`)."""
    try:
        year_end_kind = OperationKind(kind)
    except ValueError:
        year_end_kind = None
    if year_end_kind not in UNDOABLE:
        raise PlanError(f"A {kind.replace('_', ' ')} cannot be undone.")
    if year_end_kind is OperationKind.MERGE_STUDENTS:
        if not params or not params.get("merged_id"):
            raise PlanError("This merge cannot be undone here: what it merged is not known.")
        return operation(_UNDO[year_end_kind], target_id, step, **inverse_merge(params))
    return operation(_UNDO[year_end_kind], target_id, step)


def undo_until(kind: str, sent_at: dt.datetime | None) -> dt.date | None:
    """The last day a sent change can be undone (None: no limit, or not sent)."""
    if kind != OperationKind.MERGE_STUDENTS or sent_at is None:
        return None
    return unmerge_deadline(sent_at)


_SENT = PendingOperation.__table__.c


def _merged_id(params: Any) -> Any:
    return func.json_extract(params, "$.merged_id")


def _undoable(now: dt.datetime | None = None) -> Select[Any]:
    """Applied year-end operations not undone yet (no later live inverse on the same target;
    for a merge, on the same merged record too) and, for a merge, still within its days."""
    later = aliased(PendingOperation)
    inverse_kind = or_(
        *(
            and_(_SENT.kind == kind, later.kind == _UNDO[kind])
            for kind in sorted(UNDOABLE - {OperationKind.MERGE_STUDENTS})
        ),
        and_(
            _SENT.kind == OperationKind.MERGE_STUDENTS,
            later.kind == OperationKind.UNMERGE_STUDENTS,
            _merged_id(later.params) == _merged_id(_SENT.params),
        ),
    )
    undone = exists().where(
        later.target_type == _SENT.target_type,
        later.target_id == _SENT.target_id,
        later.state.in_(_LIVE_STATES),
        later.created_at > _SENT.created_at,
        inverse_kind,
    )
    moment = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    in_time = or_(
        _SENT.kind != OperationKind.MERGE_STUDENTS,
        _SENT.sent_at >= moment - dt.timedelta(days=UNMERGE_DAYS),
    )
    return select(_SENT.op_id).where(
        _SENT.state == OutboxState.APPLIED, _SENT.kind.in_(sorted(UNDOABLE)), ~undone, in_time
    )


@dataclass(frozen=True)
class UndoableChange:
    """One applied year-end change that can still be undone."""

    op_id: str
    kind: str
    target_type: str
    target_id: str
    step: str
    batch: str | None
    sent_at: dt.datetime | None
    merged_id: str | None = None
    """For a merge: the record it removed (undoing puts it back)."""
    undo_until: dt.date | None = None
    """The last day it can be undone (None: no limit)."""
    params: dict[str, Any] = field(default_factory=dict)
    """The parameters it was sent with (a merge's fields and the values they replaced)."""


def count_undoable(connection: Connection, *, now: dt.datetime | None = None) -> int:
    """How many sent year-end changes can still be undone (the rule of `undo_operations`)."""
    query = select(func.count()).select_from(_undoable(now).subquery())
    return int(connection.execute(query).scalar_one())


def list_undoable(
    connection: Connection, *, offset: int = 0, limit: int = 100, now: dt.datetime | None = None
) -> list[UndoableChange]:
    """Sent year-end changes that can still be undone, newest first (paged)."""
    query = (
        _undoable(now)
        .with_only_columns(
            _SENT.op_id,
            _SENT.kind,
            _SENT.target_type,
            _SENT.target_id,
            _SENT.step,
            _SENT.batch,
            _SENT.sent_at,
            _merged_id(_SENT.params),
            _SENT.params,
        )
        .order_by(_SENT.created_at.desc(), _SENT.op_id)
        .offset(offset)
        .limit(limit)
    )
    return [
        UndoableChange(
            *row[:7], merged_id=row[7], undo_until=undo_until(row[1], row[6]), params=dict(row[8] or {})
        )
        for row in connection.execute(query)
    ]


def undo_operations(
    connection: Connection,
    *,
    op_ids: Collection[str] | None = None,
    step: str | None = None,
    batch: str | None = None,
    merged_id: str | None = None,
    now: dt.datetime | None = None,
) -> Iterator[PlannedOperation]:
    """Inverse operations for applied year-end operations, oldest first.

    Narrow by operation ids, wizard step, batch and/or the merged record of a merge. An
    operation already undone (a later live operation of the inverse kind on the same
    target) is left out, and so is a merge sent more than `UNMERGE_DAYS` ago.
    """
    query = _undoable(now).with_only_columns(_SENT.kind, _SENT.target_id, _SENT.step, _SENT.params)
    query = query.order_by(_SENT.created_at, _SENT.op_id)
    if op_ids is not None:
        query = query.where(_SENT.op_id.in_(sorted(op_ids)))
    if step is not None:
        query = query.where(_SENT.step == step)
    if batch is not None:
        query = query.where(_SENT.batch == batch)
    if merged_id is not None:
        query = query.where(_merged_id(_SENT.params) == merged_id)
    result = connection.execute(query)
    try:
        for kind, target_id, original_step, params in result:
            yield inverse_operation(kind, target_id, original_step, params)
    finally:
        result.close()

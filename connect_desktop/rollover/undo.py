"""Undo sent year-end changes by staging their inverse operations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from connect_desktop.domain.operations import INVERSE, STAGED, OperationKind, OutboxState
from connect_desktop.rollover.plan import PlanError, PlannedOperation, operation
from connect_desktop.store.models import PendingOperation

UNDOABLE: frozenset[OperationKind] = frozenset(
    {OperationKind.ARCHIVE_CLASSROOM, OperationKind.REVOKE_STAFF_ACCESS, OperationKind.ARCHIVE_STUDENT}
)
"""Year-end kinds that can be undone after sending (deleting a student cannot)."""

_LIVE_STATES = sorted(STAGED | {OutboxState.APPLIED})
"""States of an operation that has taken, or will take, effect."""


def inverse_operation(kind: str, target_id: str, step: str) -> PlannedOperation:
    """The operation undoing one sent `kind` on `target_id`."""
    try:
        year_end_kind = OperationKind(kind)
    except ValueError:
        year_end_kind = None
    if year_end_kind not in UNDOABLE:
        raise PlanError(f"A {kind.replace('_', ' ')} cannot be undone.")
    return operation(INVERSE[year_end_kind], target_id, step)


_SENT = PendingOperation.__table__.c


def _undoable() -> Select[Any]:
    """Applied year-end operations not undone yet (no later live inverse on the same target)."""
    later = aliased(PendingOperation)
    inverse_kind = or_(*(and_(_SENT.kind == kind, later.kind == INVERSE[kind]) for kind in sorted(UNDOABLE)))
    undone = exists().where(
        later.target_type == _SENT.target_type,
        later.target_id == _SENT.target_id,
        later.state.in_(_LIVE_STATES),
        later.created_at > _SENT.created_at,
        inverse_kind,
    )
    return select(_SENT.op_id).where(
        _SENT.state == OutboxState.APPLIED, _SENT.kind.in_(sorted(UNDOABLE)), ~undone
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


def count_undoable(connection: Connection) -> int:
    """How many sent year-end changes can still be undone (the rule of `undo_operations`)."""
    return int(connection.execute(select(func.count()).select_from(_undoable().subquery())).scalar_one())


def list_undoable(connection: Connection, *, offset: int = 0, limit: int = 100) -> list[UndoableChange]:
    """Sent year-end changes that can still be undone, newest first (paged)."""
    query = (
        _undoable()
        .with_only_columns(
            _SENT.op_id,
            _SENT.kind,
            _SENT.target_type,
            _SENT.target_id,
            _SENT.step,
            _SENT.batch,
            _SENT.sent_at,
        )
        .order_by(_SENT.created_at.desc(), _SENT.op_id)
        .offset(offset)
        .limit(limit)
    )
    return [UndoableChange(*row) for row in connection.execute(query)]


def undo_operations(
    connection: Connection,
    *,
    op_ids: Collection[str] | None = None,
    step: str | None = None,
    batch: str | None = None,
) -> Iterator[PlannedOperation]:
    """Inverse operations for applied year-end operations, oldest first.

    Narrow by operation ids, wizard step and/or batch. An operation already undone (a
    later live operation of the inverse kind on the same target) is left out.
    """
    query = _undoable().with_only_columns(_SENT.kind, _SENT.target_id, _SENT.step)
    query = query.order_by(_SENT.created_at, _SENT.op_id)
    if op_ids is not None:
        query = query.where(_SENT.op_id.in_(sorted(op_ids)))
    if step is not None:
        query = query.where(_SENT.step == step)
    if batch is not None:
        query = query.where(_SENT.batch == batch)
    result = connection.execute(query)
    try:
        for kind, target_id, original_step in result:
            yield inverse_operation(kind, target_id, original_step)
    finally:
        result.close()

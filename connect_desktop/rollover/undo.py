"""Undo sent year-end changes by staging their inverse operations."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import Connection, and_, exists, or_, select
from sqlalchemy.orm import aliased

from connect_desktop.domain.operations import INVERSE, OperationKind
from connect_desktop.rollover.plan import PlanError, PlannedOperation, operation
from connect_desktop.store.models import PendingOperation

UNDOABLE: frozenset[OperationKind] = frozenset(
    {OperationKind.ARCHIVE_CLASSROOM, OperationKind.REVOKE_STAFF_ACCESS, OperationKind.ARCHIVE_STUDENT}
)
"""Year-end kinds that can be undone after sending (deleting a student cannot)."""

_LIVE_STATES = ("pending", "sending", "applied")
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
    sent = PendingOperation.__table__.c
    later = aliased(PendingOperation)
    inverse_kind = or_(*(and_(sent.kind == kind, later.kind == INVERSE[kind]) for kind in sorted(UNDOABLE)))
    undone = exists().where(
        later.target_type == sent.target_type,
        later.target_id == sent.target_id,
        later.state.in_(_LIVE_STATES),
        later.created_at > sent.created_at,
        inverse_kind,
    )
    query = (
        select(sent.kind, sent.target_id, sent.step)
        .where(sent.state == "applied", sent.kind.in_(sorted(UNDOABLE)), ~undone)
        .order_by(sent.created_at, sent.op_id)
    )
    if op_ids is not None:
        query = query.where(sent.op_id.in_(sorted(op_ids)))
    if step is not None:
        query = query.where(sent.step == step)
    if batch is not None:
        query = query.where(sent.batch == batch)
    result = connection.execute(query)
    try:
        for kind, target_id, original_step in result:
            yield inverse_operation(kind, target_id, original_step)
    finally:
        result.close()

"""Push: send staged operations in batches and record each result.

Before a batch goes out its rows are marked `sending` in a committed transaction. If
the program dies after that, the next push sends those rows again with the SAME
op_ids, and the server answers a known op_id with its first result: an operation is
never applied twice. When the request fails in a known way (server unreachable,
signed out...) the rows go back to `pending`, again keeping their op_ids.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal_column, select, update
from sqlalchemy.orm import Session

from connect_desktop.api.client import ApiClient
from connect_desktop.api.errors import ApiError
from connect_desktop.api.limits import MAX_OPERATIONS_PER_REQUEST
from connect_desktop.api.schema import Operation, OperationResult, OperationsResponse, OperationTarget
from connect_desktop.domain.changes import MERGE_KINDS, Action, references
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import SENDABLE as SENDABLE_STATES
from connect_desktop.domain.operations import OperationKind, OperationStatus, OutboxState
from connect_desktop.store.db import Cache
from connect_desktop.store.models import PendingOperation, StagedChange, SyncState
from connect_desktop.store.writer import apply_newer
from connect_desktop.sync.outbox import now
from connect_desktop.sync.progress import CancelToken, NeverCancel, NoProgress, ProgressSink, RateMeter

log = logging.getLogger(__name__)

DEFAULT_BATCH = MAX_OPERATIONS_PER_REQUEST
SENDABLE = tuple(sorted(state.value for state in SENDABLE_STATES))


@dataclass
class PushResult:
    sent: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    cancelled: bool = False

    @property
    def failed(self) -> int:
        return self.conflicts + self.rejected


def _take_batch(session: Session, size: int, seen: set[str]) -> list[PendingOperation]:
    """The next operations to send: interrupted ones first, then oldest; one per record.

    Never one the user kept for later (unchecked in Review)."""
    rows = session.scalars(
        select(PendingOperation)
        .where(PendingOperation.state.in_(SENDABLE), PendingOperation.kept.is_(False))
        .order_by(
            case((PendingOperation.state == OutboxState.SENDING, 0), else_=1),
            PendingOperation.created_at,
            literal_column("pending_operation.rowid"),  # staged together: in the order staged
        )
        .limit(size * 2 + len(seen))
    ).all()
    batch: list[PendingOperation] = []
    targets: set[tuple[str, str]] = set()
    for op in rows:
        keys = {(op.target_type, op.target_id)}
        if op.kind in MERGE_KINDS:  # it changes the merged student too
            keys.add((EntityType.STUDENT.value, str((op.params or {}).get("merged_id"))))
        if op.op_id in seen or keys & targets:
            continue  # the next batch sends it, on top of this one's result
        targets |= keys
        batch.append(op)
        if len(batch) == size:
            break
    return batch


def _wire(op: PendingOperation, records: list[StagedChange]) -> Operation:
    """The operation as sent: its target, and every other record it changes or needs."""
    primary = (op.target_type, op.target_id)
    also = {
        (r.entity_type, r.entity_id): r.base_version
        for r in records
        if (r.entity_type, r.entity_id) != primary
    }
    params = dict(op.params or {})
    for ref in references(OperationKind(op.kind), params):
        also.setdefault((ref.entity.value, ref.record_id), None)
    return Operation(
        op_id=op.op_id,
        kind=op.kind,
        target=OperationTarget(type=EntityType(op.target_type), id=op.target_id, version=op.base_version),
        params=params,
        also=[
            OperationTarget(type=EntityType(entity), id=record_id, version=version)
            for (entity, record_id), version in sorted(also.items())
        ],
    )


def _records_of(session: Session, batch: list[PendingOperation]) -> dict[str, list[StagedChange]]:
    rows = session.scalars(select(StagedChange).where(StagedChange.op_id.in_([op.op_id for op in batch])))
    by_op: dict[str, list[StagedChange]] = {}
    for row in rows:
        by_op.setdefault(row.op_id, []).append(row)
    return by_op


def _store_results(session: Session, response: OperationsResponse, result: PushResult) -> None:
    """Record each result; apply returned records; rebase later ops on the same record."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    for item in response.results:
        op = session.get(PendingOperation, item.op_id)
        if op is None or op.state != OutboxState.SENDING:
            continue
        op.state = item.status.value
        op.result_message = item.message or None
        if item.status is OperationStatus.APPLIED:
            result.applied += 1
            apply_newer(raw, [c.model_dump(mode="json") for c in item.records])
            _rebase(session, op, item)
        elif item.status is OperationStatus.CONFLICT:
            result.conflicts += 1
        else:
            result.rejected += 1


def _rebase(session: Session, op: PendingOperation, item: OperationResult) -> None:
    """Later staged ops saw the versions this op started from: move them on to the new ones.

    For every record the server returned, operations still pending on it that carry the
    version this op had (or none, when this op created the record) get the new version,
    both as their target's base version and in their `staged_change` rows.
    """
    records = session.scalars(select(StagedChange).where(StagedChange.op_id == op.op_id))
    seen = {(c.entity_type, c.entity_id): c.base_version for c in records}
    seen.setdefault((op.target_type, op.target_id), op.base_version)
    pending = select(PendingOperation.op_id).where(PendingOperation.state == OutboxState.PENDING)
    for record in item.records:
        key = (record.type.value, record.id)
        if key not in seen or record.deleted:
            continue
        before = seen[key]
        session.execute(
            update(PendingOperation)
            .where(
                PendingOperation.state == OutboxState.PENDING,
                PendingOperation.target_type == key[0],
                PendingOperation.target_id == key[1],
                _saw(PendingOperation.base_version, before),
            )
            .values(base_version=record.version)
        )
        session.execute(
            update(StagedChange)
            .where(
                StagedChange.entity_type == key[0],
                StagedChange.entity_id == key[1],
                StagedChange.op_id.in_(pending),
                StagedChange.action != Action.CREATE.value,
                _saw(StagedChange.base_version, before),
            )
            .values(base_version=record.version)
        )


def _saw(base_version: Any, before: int | None) -> Any:
    """SQL: a later op saw `before` (a record this op created: later ops saw no version)."""
    return base_version.is_(None) if before in (None, 0) else base_version == before


def _count_sendable(cache: Cache) -> int:
    with cache.sessions() as session:
        statement = (
            select(func.count())
            .select_from(PendingOperation)
            .where(PendingOperation.state.in_(SENDABLE), PendingOperation.kept.is_(False))
        )
        return int(session.scalar(statement) or 0)


def push(
    cache: Cache,
    client: ApiClient,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> PushResult:
    """Send every pending (and interrupted) operation the user did not keep for later.

    Raises `ApiError` when the server cannot take the batch; its operations go back to
    `pending` (same op_ids) and the next push sends them.
    """
    sink, stop = progress or NoProgress(), cancel or NeverCancel()
    batch_size = min(batch_size, MAX_OPERATIONS_PER_REQUEST)  # the server refuses longer batches
    total = _count_sendable(cache)
    meter = RateMeter()
    result = PushResult()
    seen: set[str] = set()  # sent in this push: a row the server did not answer is not re-sent now
    while True:
        if stop.is_set():
            result.cancelled = True
            break
        with cache.sessions.begin() as session:
            batch = _take_batch(session, batch_size, seen)
            if not batch:
                break
            for op in batch:
                op.state = OutboxState.SENDING.value
                op.sent_at = now()
            records = _records_of(session, batch)
            operations = [_wire(op, records.get(op.op_id, [])) for op in batch]
        op_ids = [o.op_id for o in operations]
        seen.update(op_ids)
        try:
            response = client.operations(operations)
        except ApiError:
            with cache.sessions.begin() as session:
                session.execute(
                    update(PendingOperation)
                    .where(PendingOperation.op_id.in_(op_ids), PendingOperation.state == OutboxState.SENDING)
                    .values(state=OutboxState.PENDING.value)
                )
            log.warning("push stopped: %d operation(s) back to pending", len(op_ids))
            raise
        with cache.sessions.begin() as session:
            _store_results(session, response, result)
            state = session.get(SyncState, 1)
            if state is None:
                session.add(SyncState(id=1, cursor=0, last_push_at=now(), full_pull_done=False))
            else:
                state.last_push_at = now()
        result.sent += len(operations)
        log.info("push batch: %d sent, %d applied so far", len(operations), result.applied)
        meter.report(sink, result.sent, max(total, result.sent))
    return result

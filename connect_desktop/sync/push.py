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
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from connect_desktop.api.client import ApiClient
from connect_desktop.api.errors import ApiError
from connect_desktop.api.limits import MAX_OPERATIONS_PER_REQUEST
from connect_desktop.api.schema import Operation, OperationResult, OperationsResponse, OperationTarget
from connect_desktop.store.db import Cache
from connect_desktop.store.models import PendingOperation, SyncState
from connect_desktop.store.writer import apply_newer
from connect_desktop.sync.outbox import now
from connect_desktop.sync.progress import CancelToken, NeverCancel, NoProgress, ProgressSink, RateMeter

log = logging.getLogger(__name__)

DEFAULT_BATCH = MAX_OPERATIONS_PER_REQUEST
SENDABLE = ("sending", "pending")


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
    """The next operations to send: interrupted ones first, then oldest; one per record."""
    rows = session.scalars(
        select(PendingOperation)
        .where(PendingOperation.state.in_(SENDABLE))
        .order_by(case((PendingOperation.state == "sending", 0), else_=1), PendingOperation.created_at)
        .limit(size * 2 + len(seen))
    ).all()
    batch: list[PendingOperation] = []
    targets: set[tuple[str, str]] = set()
    for op in rows:
        key = (op.target_type, op.target_id)
        if op.op_id in seen or key in targets:
            continue  # the next batch sends it, on top of this one's result
        targets.add(key)
        batch.append(op)
        if len(batch) == size:
            break
    return batch


def _wire(op: PendingOperation) -> Operation:
    return Operation(
        op_id=op.op_id,
        kind=op.kind,
        target=OperationTarget(type=op.target_type, id=op.target_id, version=op.base_version),  # type: ignore[arg-type]
        params=dict(op.params or {}),
    )


def _store_results(session: Session, response: OperationsResponse, result: PushResult) -> None:
    """Record each result; apply returned records; rebase later ops on the same record."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    for item in response.results:
        op = session.get(PendingOperation, item.op_id)
        if op is None or op.state != "sending":
            continue
        op.state = item.status.value
        op.result_message = item.message or None
        if item.status.value == "applied":
            result.applied += 1
            apply_newer(raw, [c.model_dump(mode="json") for c in item.records])
            _rebase(session, op, item)
        elif item.status.value == "conflict":
            result.conflicts += 1
        else:
            result.rejected += 1


def _rebase(session: Session, op: PendingOperation, item: OperationResult) -> None:
    """Later staged ops on the same record saw the version this op started from: move them on."""
    new_version = next(
        (c.version for c in item.records if c.type == op.target_type and c.id == op.target_id), None
    )
    if new_version is None:
        return
    session.execute(
        update(PendingOperation)
        .where(
            PendingOperation.state == "pending",
            PendingOperation.target_type == op.target_type,
            PendingOperation.target_id == op.target_id,
            PendingOperation.base_version == op.base_version,
        )
        .values(base_version=new_version)
    )


def _count_sendable(cache: Cache) -> int:
    with cache.sessions() as session:
        statement = (
            select(func.count()).select_from(PendingOperation).where(PendingOperation.state.in_(SENDABLE))
        )
        return int(session.scalar(statement) or 0)


def push(
    cache: Cache,
    client: ApiClient,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
    exclude: Collection[str] = (),
) -> PushResult:
    """Send every pending (and interrupted) operation except `exclude` (op_ids left unchecked).

    Raises `ApiError` when the server cannot take the batch; its operations go back to
    `pending` (same op_ids) and the next push sends them.
    """
    sink, stop = progress or NoProgress(), cancel or NeverCancel()
    batch_size = min(batch_size, MAX_OPERATIONS_PER_REQUEST)  # the server refuses longer batches
    total = max(_count_sendable(cache) - len(exclude), 0)
    meter = RateMeter()
    result = PushResult()
    seen: set[str] = set(exclude)  # and sent in this push: a row the server did not answer is not re-sent now
    while True:
        if stop.is_set():
            result.cancelled = True
            break
        with cache.sessions.begin() as session:
            batch = _take_batch(session, batch_size, seen)
            if not batch:
                break
            for op in batch:
                op.state = "sending"
                op.sent_at = now()
            operations = [_wire(op) for op in batch]
        op_ids = [o.op_id for o in operations]
        seen.update(op_ids)
        try:
            response = client.operations(operations)
        except ApiError:
            with cache.sessions.begin() as session:
                session.execute(
                    update(PendingOperation)
                    .where(PendingOperation.op_id.in_(op_ids), PendingOperation.state == "sending")
                    .values(state="pending")
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

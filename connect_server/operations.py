"""`POST /operations`: apply year-end operations, each atomic and idempotent by op_id.

Every operation runs in its own short transaction that first claims its `op_id` in
`applied_operation`, then applies the change (taking the feed counter's lock before
the record's: the one lock order of docs/server-locking.md), writes the audit row and
stores the result. A repeated `op_id` gets the stored result back and changes
nothing. An unexpected database problem is logged without the data it quotes and
answered with a plain message (503 when sending again may work).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from connect_desktop.api.schema import Operation, OperationsRequest, OperationsResponse
from connect_desktop.domain.operations import OperationStatus
from connect_server import handlers
from connect_server.auth import CurrentPrincipal, require_admin
from connect_server.context import ServerContext, get_context
from connect_server.models import AppliedOperation, AuditLog
from connect_server.problems import report_problem
from connect_server.scope import Principal

log = logging.getLogger(__name__)
router = APIRouter()


def _result(
    op: Operation, status: OperationStatus, message: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"op_id": op.op_id, "status": status.value, "message": message, "records": records}


def _stored(context: ServerContext, principal: Principal, op_id: str) -> dict[str, Any] | None:
    with context.sessions() as session:
        row = session.execute(
            select(AppliedOperation.user_id, AppliedOperation.result).where(AppliedOperation.op_id == op_id)
        ).first()
    if row is None:
        return None
    if row.user_id != principal.user_id:
        return {
            "op_id": op_id,
            "status": OperationStatus.REJECTED.value,
            "message": "This operation id was already used by someone else; send it with a new id",
            "records": [],
        }
    return dict(row.result)


def run_operation(context: ServerContext, principal: Principal, op: Operation) -> dict[str, Any]:
    """Apply `op` once (or return its first result) and return an `OperationResult` dict."""
    stored = _stored(context, principal, op.op_id)
    if stored is not None:
        return stored
    now = context.clock()
    try:
        with context.sessions.begin() as session:
            session.execute(
                insert(AppliedOperation).values(op_id=op.op_id, user_id=principal.user_id, at=now, result={})
            )
            try:
                applied = handlers.apply(session, principal, op)
            except handlers.ConflictError as conflict:
                result = _result(op, OperationStatus.CONFLICT, str(conflict), [])
            except handlers.RejectedError as rejection:
                result = _result(op, OperationStatus.REJECTED, str(rejection), [])
            else:
                result = _result(op, OperationStatus.APPLIED, applied.message, applied.records)
                if applied.changed:
                    session.execute(
                        insert(AuditLog).values(
                            at=now,
                            user_id=principal.user_id,
                            op_id=op.op_id,
                            kind=op.kind,
                            target_type=op.target.type.value,
                            target_id=op.target.id,
                            before=applied.before,
                            after=applied.after,
                        )
                    )
            session.execute(
                update(AppliedOperation).where(AppliedOperation.op_id == op.op_id).values(result=result)
            )
    except IntegrityError:
        # The same op_id was claimed concurrently; its first result wins.
        stored = _stored(context, principal, op.op_id)
        if stored is None:
            raise
        return stored
    log.info(
        "operation %s (%s on %s %s): %s",
        op.op_id,
        op.kind,
        op.target.type.value,
        op.target.id,
        result["status"],
    )
    return result


@router.post("/operations", response_model=OperationsResponse, responses={403: {"description": "Teachers"}})
def post_operations(
    body: OperationsRequest,
    principal: CurrentPrincipal,
    context: Annotated[ServerContext, Depends(get_context)],
) -> dict[str, Any]:
    """Apply a batch of operations; each one is atomic, so a batch may partly apply."""
    require_admin(principal)
    results: list[dict[str, Any]] = []
    for op in body.operations:
        try:
            results.append(run_operation(context, principal, op))
        except SQLAlchemyError as error:
            raise _problem(error, len(results)) from None
    return {"results": results}


def _problem(error: SQLAlchemyError, done: int) -> HTTPException:
    reference = report_problem(log, "POST /operations", error)
    sent = f"the first {done} operation(s) of the batch were recorded, the rest not. " if done else ""
    if isinstance(error, OperationalError):  # busy, restarting or unreachable: worth sending again
        return HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"The server's database is busy or unavailable; {sent or 'nothing was changed. '}Send the "
            f"batch again: recorded operations are never applied twice (reference {reference}).",
        )
    return HTTPException(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        f"The server stopped on an unexpected problem; {sent or 'nothing was changed. '}The server's "
        f"log has the details (reference {reference}).",
    )

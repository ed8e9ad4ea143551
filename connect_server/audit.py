"""`GET /audit`: the record of every applied operation, for district admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from connect_desktop.api.limits import MAX_VERSION
from connect_desktop.api.schema import AuditPage
from connect_server.auth import CurrentPrincipal, require_district_admin
from connect_server.context import ServerContext, get_context
from connect_server.models import AuditLog

router = APIRouter()

DEFAULT_AUDIT_PAGE = 500
MAX_AUDIT_PAGE = 5_000


@router.get("/audit", response_model=AuditPage)
def audit(
    principal: CurrentPrincipal,
    context: Annotated[ServerContext, Depends(get_context)],
    after: Annotated[int, Query(ge=0, le=MAX_VERSION, description="Last audit id the client has")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = DEFAULT_AUDIT_PAGE,
) -> dict[str, Any]:
    """Audit entries with id > `after`, oldest first."""
    require_district_admin(principal)
    columns = [
        AuditLog.id,
        AuditLog.at,
        AuditLog.user_id,
        AuditLog.op_id,
        AuditLog.kind,
        AuditLog.target_type,
        AuditLog.target_id,
        AuditLog.before,
        AuditLog.after,
    ]
    with context.sessions() as session:
        rows = session.execute(
            select(*columns).where(AuditLog.id > after).order_by(AuditLog.id).limit(limit + 1)
        ).all()
    entries = [row._asdict() for row in rows[:limit]]
    return {
        "entries": entries,
        "next_after": entries[-1]["id"] if entries else after,
        "has_more": len(rows) > limit,
    }

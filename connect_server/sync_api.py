"""Read-only sync endpoints: the settings record and the history of runs (narrowed by `sync_scope`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from connect_desktop.api.schema import Change
from connect_desktop.domain.entities import EntityType
from connect_server.auth import CurrentPrincipal, require_admin
from connect_server.context import ServerContext, get_context
from connect_server.sync_scope import ScopedSync
from connect_server.wire import CODECS

router = APIRouter(prefix="/sync")


@router.get("/settings", response_model=Change)
def sync_settings(
    principal: CurrentPrincipal, context: Annotated[ServerContext, Depends(get_context)]
) -> dict[str, Any]:
    """The account's sync settings record (as in the changes feed)."""
    require_admin(principal)
    codec = CODECS[EntityType.SYNC_SETTINGS]
    with context.sessions() as session:
        row = session.execute(codec.select().order_by(codec.table.c.seq).limit(1)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "This account has no sync settings yet")
    return codec.change(row)


@router.get("/runs", response_model=list[Change])
def sync_runs(sync: ScopedSync, limit: Annotated[int, Query(ge=1, le=1_000)] = 100) -> list[dict[str, Any]]:
    """The most recent sync runs, newest first (a school admin's: their schools' counts)."""
    return sync.runs(limit)

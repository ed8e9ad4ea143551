"""Sync endpoints that run, preview and explain runs (`/sync/...`).

Running and approving are for district admins; every admin may read. The listing of
runs and the settings record are served by `sync_api`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from connect_desktop.api.schema import (
    Change,
    SyncArchiveItem,
    SyncArchivePage,
    SyncDiagnostic,
    SyncPreview,
    SyncRunRequest,
    SyncRunResult,
    SyncTypePreview,
)
from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.diagnostics import Diagnostic
from connect_desktop.rostering.snapshot import TYPES
from connect_server.auth import CurrentPrincipal, require_admin, require_district_admin
from connect_server.context import ServerContext, get_context
from connect_server.sync_runner import preview_sync, run_archives, run_sync
from connect_server.wire import CODECS

router = APIRouter(prefix="/sync", tags=["sync"])
Context = Annotated[ServerContext, Depends(get_context)]


def _run_change(context: ServerContext, run_id: str) -> dict[str, Any] | None:
    codec = CODECS[EntityType.SYNC_RUN]
    with context.sessions() as session:
        row = session.execute(codec.select().where(codec.table.c.id == run_id)).first()
    return codec.change(row) if row is not None else None


def _diagnostics(items: list[Diagnostic]) -> list[SyncDiagnostic]:
    return [SyncDiagnostic(**asdict(d)) for d in items[:200]]


@router.post("/runs", response_model=SyncRunResult, responses={403: {"description": "Not a district admin"}})
def post_run(body: SyncRunRequest, principal: CurrentPrincipal, context: Context) -> SyncRunResult:
    """Run the sync now; `approve_archives` releases a held run's archives for this run only."""
    require_district_admin(principal)
    outcome = run_sync(context.sessions, approve_archives=body.approve_archives, clock=context.clock)
    change = _run_change(context, outcome.run.id)
    assert change is not None
    return SyncRunResult(run=Change(**change), diagnostics=_diagnostics(outcome.diagnostics))


@router.get("/runs/{run_id}", response_model=Change, responses={404: {"description": "No such run"}})
def get_run(run_id: str, principal: CurrentPrincipal, context: Context) -> dict[str, Any]:
    """One sync run (as on the changes feed)."""
    require_admin(principal)
    change = _run_change(context, run_id)
    if change is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No sync run with this id")
    return change


@router.get(
    "/runs/{run_id}/archives", response_model=SyncArchivePage, responses={404: {"description": "No such run"}}
)
def get_archives(
    run_id: str,
    principal: CurrentPrincipal,
    context: Context,
    type_: Annotated[str | None, Query(alias="type", description="one entity type, e.g. student")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 100,
) -> SyncArchivePage:
    """What a run archived, or (when held) tried to archive, a page at a time."""
    require_admin(principal)
    if type_ is not None and type_ not in TYPES:
        raise HTTPException(
            422,
            f"Unknown type {type_!r}; expected one of {', '.join(TYPES)}",
        )
    page = run_archives(context.sessions, run_id, type_=type_, offset=offset, limit=limit)
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No sync run with this id")
    return SyncArchivePage(
        run_id=page.run_id,
        archived=page.archived,
        total=page.total,
        offset=offset,
        limit=limit,
        has_more=offset + len(page.items) < page.total,
        items=[SyncArchiveItem(**asdict(item)) for item in page.items],
    )


@router.post("/preview", response_model=SyncPreview)
def post_preview(principal: CurrentPrincipal, context: Context) -> SyncPreview:
    """A dry run against the configured source: counts per type and whether it would be held."""
    require_admin(principal)
    preview = preview_sync(context.sessions, clock=context.clock)
    return SyncPreview(
        ok=preview.ok,
        message=preview.message,
        held=preview.held,
        held_types=preview.held_types,
        paused_all=preview.paused_all,
        types={
            t: SyncTypePreview(**{k: v for k, v in asdict(p).items() if k != "type"})
            for t, p in preview.types.items()
        },
        diagnostics=_diagnostics(preview.diagnostics),
    )

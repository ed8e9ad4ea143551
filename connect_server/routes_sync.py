"""Sync endpoints that run, preview and explain runs (`/sync/...`).

Running and approving are for district admins; every admin may read, within their
scope (`sync_scope`: a school admin reads their schools' counts and list items only).
The listing of runs and the settings record are served by `sync_api`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from connect_desktop.api.schema import (
    Change,
    SyncArchivePage,
    SyncDiagnostic,
    SyncPreview,
    SyncRunRequest,
    SyncRunResult,
)
from connect_desktop.rostering.diagnostics import Diagnostic
from connect_desktop.rostering.snapshot import TYPES
from connect_server.auth import require_district_admin
from connect_server.sync_runner import run_sync
from connect_server.sync_scope import ScopedSync

router = APIRouter(prefix="/sync", tags=["sync"])


def _diagnostics(items: list[Diagnostic]) -> list[SyncDiagnostic]:
    return [SyncDiagnostic(**asdict(d)) for d in items[:200]]


@router.post("/runs", response_model=SyncRunResult, responses={403: {"description": "Not a district admin"}})
def post_run(body: SyncRunRequest, sync: ScopedSync) -> SyncRunResult:
    """Run the sync now; `approve_archives` releases a held run's archives for this run only."""
    require_district_admin(sync.principal)
    context = sync.context
    outcome = run_sync(context.sessions, approve_archives=body.approve_archives, clock=context.clock)
    change = sync.run(outcome.run.id)
    assert change is not None
    return SyncRunResult(run=Change(**change), diagnostics=_diagnostics(outcome.diagnostics))


@router.get("/runs/{run_id}", response_model=Change, responses={404: {"description": "No such run"}})
def get_run(run_id: str, sync: ScopedSync) -> dict[str, Any]:
    """One sync run (as on the changes feed)."""
    change = sync.run(run_id)
    if change is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No sync run with this id")
    return change


@router.get(
    "/runs/{run_id}/archives", response_model=SyncArchivePage, responses={404: {"description": "No such run"}}
)
def get_archives(
    run_id: str,
    sync: ScopedSync,
    type_: Annotated[str | None, Query(alias="type", description="one entity type, e.g. student")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 100,
) -> SyncArchivePage:
    """What a run archived, or (when held) tried to archive, a page at a time (the caller's part)."""
    if type_ is not None and type_ not in TYPES:
        raise HTTPException(
            422,
            f"Unknown type {type_!r}; expected one of {', '.join(TYPES)}",
        )
    page = sync.archives(run_id, type_, offset, limit)
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No sync run with this id")
    return page


@router.post("/preview", response_model=SyncPreview)
def post_preview(sync: ScopedSync) -> SyncPreview:
    """A dry run against the configured source: counts per type (the caller's schools') and whether
    it would be held."""
    preview = sync.preview()
    return SyncPreview(
        ok=preview.ok,
        message=preview.message,
        held=preview.held,
        held_types=preview.held_types,
        paused_all=preview.paused_all,
        types=preview.types,
        diagnostics=_diagnostics(preview.diagnostics),
    )

"""The account's sync history and sync settings, as the cache holds them (read-only).

`list_runs` gives the runs newest first; `sync_settings` gives the settings record
with any staged (pending, not yet sent) `update_sync_settings` operations applied, so
an editor shows what the user already asked for. The server narrows what a school
admin receives (a run's counts are their schools', summed); `counts_scope` names those
schools so the UI can say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connect_desktop.domain.entities import Role
from connect_desktop.domain.operations import STAGED
from connect_desktop.store.models import Account, PendingOperation, School, SyncRun, SyncSettings

__all__ = ["SyncRunRow", "SyncSettingsRow", "counts_scope", "list_runs", "run_count", "sync_settings"]


@dataclass(frozen=True, slots=True)
class SyncRunRow:
    id: str
    version: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    trigger: str
    approved_archives: bool
    counts: dict[str, dict[str, Any]]
    """type → {"created", "updated", "archived", "tried_to_archive", ["skipped"], ["planned"]}: a
    `SyncRunTypeCounts` as JSON (read it with `syncadmin.explain.type_counts`)."""
    message: str | None

    def total(self, key: str) -> int:
        return sum(int(c.get(key, 0)) for c in self.counts.values())


@dataclass(frozen=True, slots=True)
class SyncSettingsRow:
    id: str
    version: int
    source_kind: str | None
    source_label: str | None
    daily_sync: bool
    pauses: list[dict[str, Any]]
    thresholds: dict[str, float]
    staged: bool = False
    """True when staged changes (not sent yet) are applied to the values above."""
    server_values: dict[str, Any] = field(default_factory=dict)
    """The values as downloaded (before staged changes): daily_sync, pauses, thresholds."""


def _run(row: SyncRun) -> SyncRunRow:
    return SyncRunRow(
        row.id,
        row.version,
        row.started_at,
        row.finished_at,
        row.status,
        row.trigger,
        bool(row.approved_archives),
        {str(k): dict(v) for k, v in (row.counts or {}).items()},
        row.message,
    )


def list_runs(session: Session, *, offset: int = 0, limit: int = 100) -> list[SyncRunRow]:
    """Sync runs, newest first."""
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id).offset(offset).limit(limit)
    return [_run(row) for row in session.scalars(query)]


def counts_scope(session: Session) -> list[str] | None:
    """The names of the schools whose records a run's counts and lists cover (None: the district's).

    Anyone but a district admin is served their schools' part only.
    """
    account = session.scalars(select(Account).limit(1)).first()
    if account is None or account.role == Role.DISTRICT_ADMIN.value:
        return None
    ids = list(account.school_ids or [])
    rows = session.execute(select(School.id, School.name).where(School.id.in_(ids)))
    names = {school_id: name for school_id, name in rows}
    return sorted(names.get(i, "a school not downloaded yet") for i in ids)


def run_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SyncRun)) or 0)


def sync_settings(session: Session) -> SyncSettingsRow | None:
    """The settings record with staged `update_sync_settings` changes applied (None if none)."""
    row = session.scalars(select(SyncSettings).order_by(SyncSettings.id).limit(1)).first()
    if row is None:
        return None
    daily = bool(row.daily_sync)
    pauses = [dict(p) for p in (row.pauses or [])]
    thresholds = {str(k): float(v) for k, v in (row.thresholds or {}).items()}
    server = {"daily_sync": daily, "pauses": list(pauses), "thresholds": dict(thresholds)}
    staged_ops = session.scalars(
        select(PendingOperation)
        .where(
            PendingOperation.kind == "update_sync_settings",
            PendingOperation.target_id == row.id,
            PendingOperation.state.in_(sorted(STAGED)),
        )
        .order_by(PendingOperation.created_at)
    ).all()
    for op in staged_ops:
        params = op.params or {}
        if "daily_sync" in params:
            daily = bool(params["daily_sync"])
        if "pauses" in params:
            pauses = [dict(p) for p in params["pauses"] or []]
        for portion, pct in (params.get("thresholds") or {}).items():
            if pct is None:
                thresholds.pop(portion, None)
            else:
                thresholds[portion] = float(pct)
    return SyncSettingsRow(
        row.id,
        row.version,
        row.source_kind,
        row.source_label,
        daily,
        pauses,
        thresholds,
        bool(staged_ops),
        server,
    )

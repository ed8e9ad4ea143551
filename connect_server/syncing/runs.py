"""The `sync_run` record: started, then finished with a status, counts and a message.

A run is itself an entity on the changes feed, so every write gives it a new `seq`.
A run writes its changes and its final status in one transaction, so a run left
`running` by a process that died changed nothing; `close_interrupted` ends it.

`counts` holds, per type, a `SyncRunTypeCounts` (`connect_desktop.api.schema`): what the
run did and the plan it applied (`planned`: managed, archive, threshold, archive_percent,
held), so a client reads a run's numbers from fields, never from its English `message`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from connect_desktop.api.schema import SyncRunTypeCounts
from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.rostering.plan import RolloverPlan
from connect_desktop.rostering.preview import type_preview
from connect_server.models import SyncRun
from connect_server.sequence import allocate_seqs, lock_feed
from connect_server.syncing.schools import Counts

RunCounts = dict[str, dict[str, Any]]
"""type -> a `SyncRunTypeCounts` as JSON."""
MESSAGE_LIMIT = 1000
INTERRUPTED = "Interrupted: the server stopped during the run; nothing was changed. Run the sync again."


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A sync run as the CLI and the API report it."""

    id: str
    version: int
    status: str
    trigger: str
    approved_archives: bool
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: RunCounts
    message: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "trigger": self.trigger,
            "approved_archives": self.approved_archives,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "counts": self.counts,
            "message": self.message,
        }


def run_counts(applied: dict[str, dict[str, int]], plan: RolloverPlan) -> RunCounts:
    """What a run stores in `counts`: per type the `applied` counts and the `plan`'s numbers."""
    counts: RunCounts = {}
    for type_, numbers in applied.items():
        planned = plan.types.get(type_)
        entry = SyncRunTypeCounts(**numbers, planned=type_preview(planned) if planned else None)
        counts[type_] = entry.model_dump(exclude_none=True)
    return counts


def start_run(session: Session, now: dt.datetime, trigger: str, approve_archives: bool) -> str:
    """Insert a `running` run and return its id."""
    run_id = str(uuid.uuid4())
    (seq,) = allocate_seqs(session, 1)
    session.execute(
        insert(SyncRun).values(
            id=run_id,
            version=1,
            seq=seq,
            origin="sync",
            started_at=now,
            status=SyncRunStatus.RUNNING.value,
            trigger=trigger,
            approved_archives=approve_archives,
            counts={},
            counts_by_school={},
        )
    )
    return run_id


def finish_run(
    session: Session,
    run_id: str,
    now: dt.datetime,
    status: SyncRunStatus,
    message: str,
    counts: RunCounts | None = None,
    counts_by_school: Counts | None = None,
) -> None:
    """Finish the run; `counts_by_school` splits `counts` by school key (`syncing.schools`)."""
    (seq,) = allocate_seqs(session, 1)
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            status=status.value,
            finished_at=now,
            message=_cut(message),
            counts=counts or {},
            counts_by_school=counts_by_school or {},
            version=SyncRun.version + 1,
            seq=seq,
        )
    )


def close_interrupted(session: Session, now: dt.datetime) -> list[str]:
    """Mark every `running` run `failed` (interrupted); the caller knows none is live. Their ids."""
    lock_feed(session)
    running = SyncRun.status == SyncRunStatus.RUNNING.value
    ids = list(session.scalars(select(SyncRun.id).where(running).order_by(SyncRun.started_at, SyncRun.id)))
    for run_id, seq in zip(ids, allocate_seqs(session, len(ids)) if ids else (), strict=True):
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, running)
            .values(
                status=SyncRunStatus.FAILED.value,
                finished_at=now,
                message=INTERRUPTED,
                version=SyncRun.version + 1,
                seq=seq,
            )
        )
    return ids


def get_run(session: Session, run_id: str) -> RunRecord | None:
    row = session.get(SyncRun, run_id, populate_existing=True)
    return _record(row) if row is not None else None


def list_runs(session: Session, limit: int = 100) -> list[RunRecord]:
    rows = session.scalars(
        select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.seq.desc()).limit(limit)
    )
    return [_record(row) for row in rows]


def _record(row: SyncRun) -> RunRecord:
    return RunRecord(
        row.id,
        row.version,
        row.status,
        row.trigger,
        bool(row.approved_archives),
        row.started_at,
        row.finished_at,
        dict(row.counts or {}),
        row.message,
    )


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"

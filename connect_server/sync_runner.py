"""The server's SIS sync runner: run, preview, and list what a run tried to archive.

A run reads the configured source with the rostering engine (the same code the
desktop previews with), plans against the sync-managed records and applies the plan
in one transaction together with the run's final status. A held run (a type over its
deletion threshold) applies creates and updates but archives nothing, and lists what
it tried to archive; `approve_archives` lifts that for the one run only.

A run always ends in a final state: a source that cannot be read or an unexpected
error ends it `failed` with a plain message (the detail goes to the log, see
`problems`), and a run whose process died is closed as interrupted by the next run or
at the server's start-up (`close_interrupted_runs`), under the run lock (`run_lock`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import SyncArchiveItem, SyncArchivePage, SyncTypePreview
from connect_desktop.domain import words
from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics, SourceError
from connect_desktop.rostering.follow_on import plan_sync
from connect_desktop.rostering.plan import ChangeKind, RolloverPlan
from connect_desktop.rostering.preview import type_preview
from connect_desktop.rostering.snapshot import TYPES, Snapshot
from connect_server.clock import Clock, utc_now
from connect_server.models import SyncRunArchive
from connect_server.problems import report_problem
from connect_server.sequence import lock_feed
from connect_server.syncing import messages
from connect_server.syncing.apply import PlanApplier
from connect_server.syncing.config import SourceConfig, load_config, load_source
from connect_server.syncing.run_lock import run_lock
from connect_server.syncing.runs import (
    RunRecord,
    close_interrupted,
    finish_run,
    get_run,
    run_counts,
    start_run,
)
from connect_server.syncing.schools import (
    DISTRICT_TYPES,
    KINDS,
    add_follow_on,
    base_counts,
    plan_counts,
    sum_for,
)
from connect_server.syncing.source import SourceUnavailableError, read_source

__all__ = [
    "Preview",
    "RunOutcome",
    "close_interrupted_runs",
    "preview_sync",
    "run_archives",
    "run_sync",
]

log = logging.getLogger(__name__)
_RUN_LOCK = threading.Lock()  # one run at a time in this process; `run_lock` across processes
UNEXPECTED = (
    "The sync stopped on an unexpected problem on the server; nothing was changed. "
    "The server's log has the details (reference {reference})."
)
UNREADABLE = (
    "The sync source could not be read ({reason}); nothing was changed. Fix that and run the sync again."
)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run: RunRecord
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Preview:
    """A dry run: what the next run would do, and whether it would be held."""

    ok: bool
    message: str
    held: bool
    held_types: list[str]
    paused_all: bool
    types: dict[str, SyncTypePreview]
    diagnostics: list[Diagnostic]


def run_sync(
    sessions: sessionmaker[Session],
    *,
    approve_archives: bool = False,
    trigger: str = "manual",
    clock: Clock = utc_now,
    today: dt.date | None = None,
    work_dir: Path | None = None,
) -> RunOutcome:
    """Run the sync now and return the finished run (after closing runs left by a dead process).

    Every run started ends in a final state: a source that cannot be read or an
    unexpected error ends it `failed` with a plain message, nothing changed. Only a
    database that fails before the run is recorded raises.
    """
    with _RUN_LOCK, run_lock(_engine(sessions)) as alone:
        day = today or clock().date()
        with sessions.begin() as session:
            if alone:
                _note_closed(close_interrupted(session, clock()))
            config = load_config(session)
            source = load_source(session)
            run_id = start_run(session, clock(), trigger, approve_archives)
            settings = config.plan_settings()
            paused = settings.paused_types(day).issuperset(TYPES)
            if paused:
                message = messages.paused_all(settings, day)
                finish_run(session, run_id, clock(), SyncRunStatus.SKIPPED_PAUSED, message)
        if paused:
            return RunOutcome(_run(sessions, run_id))
        diags = Diagnostics()
        try:
            return _read_and_apply(sessions, source, diags, run_id, approve_archives, clock, day, work_dir)
        except Exception as error:
            reference = report_problem(log, f"sync run {run_id}", error)
            return _failed(sessions, run_id, clock, UNEXPECTED.format(reference=reference), diags)


def close_interrupted_runs(sessions: sessionmaker[Session], clock: Clock = utc_now) -> list[str]:
    """End as `failed` every run a dead process left `running`; their ids (none while a run is live).

    For the server's start-up; `run_sync` does the same before each run.
    """
    if not _RUN_LOCK.acquire(blocking=False):
        return []  # this process is running one
    try:
        with run_lock(_engine(sessions), wait=False) as alone:
            if not alone:
                return []
            with sessions.begin() as session:
                closed = close_interrupted(session, clock())
    finally:
        _RUN_LOCK.release()
    _note_closed(closed)
    return closed


def _note_closed(run_ids: list[str]) -> None:
    for run_id in run_ids:
        log.warning("sync run %s was interrupted (its process stopped); closed it as failed", run_id)


def _engine(sessions: sessionmaker[Session]) -> Engine:
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def _read_and_apply(
    sessions: sessionmaker[Session],
    source: SourceConfig | None,
    diags: Diagnostics,
    run_id: str,
    approve: bool,
    clock: Clock,
    day: dt.date,
    work_dir: Path | None,
) -> RunOutcome:
    try:
        snapshot = read_source(source, diags, work_dir)
    except (SourceUnavailableError, SourceError) as error:
        return _failed(sessions, run_id, clock, str(error), diags)
    except (OSError, sqlite3.Error) as error:
        reason = _unreadable(error)
        if reason is None:
            raise
        return _failed(sessions, run_id, clock, UNREADABLE.format(reason=reason), diags)
    with snapshot:
        if diags.errors:
            return _failed(sessions, run_id, clock, messages.failed_source(diags), diags)
        _apply(sessions, snapshot, run_id, approve, clock, day)
    return RunOutcome(_run(sessions, run_id), diags.items)


def _unreadable(error: OSError | sqlite3.Error) -> str | None:
    """Why the source could not be read, when the system says it plainly (a full disk, no access)."""
    if isinstance(error, OSError):
        return error.strerror or None
    if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL":  # the working copy's disk
        return "the server's disk is full"
    return None


def _apply(
    sessions: sessionmaker[Session],
    snapshot: Snapshot,
    run_id: str,
    approve: bool,
    clock: Clock,
    day: dt.date,
) -> None:
    with sessions.begin() as session:
        _lock_writers(session)
        settings = load_config(session).plan_settings()
        plan = plan_sync(snapshot, session.connection(), settings, today=day)
        if plan.paused_all:  # paused since the run started
            finish_run(
                session, run_id, clock(), SyncRunStatus.SKIPPED_PAUSED, messages.paused_all(settings, day)
            )
            return
        allow = approve or not plan.held
        result = PlanApplier(session, plan, run_id).apply(allow_archives=allow)
        names: dict[ChangeKind, str] = {"create": "created", "update": "updated"}
        names["archive"] = "archived" if allow else "tried_to_archive"
        by_school = add_follow_on(
            plan_counts(session, plan, names, run_id), plan, "updated", names["archive"]
        )
        if allow:
            status, message = SyncRunStatus.SUCCEEDED, messages.done(result, plan, approve, settings, day)
        else:
            status, message = SyncRunStatus.FAILED_THRESHOLD, messages.held(result, plan, settings, day)
        counts = run_counts(result.counts(), plan)
        finish_run(session, run_id, clock(), status, message, counts, by_school)
        log.info("sync run %s: %s (%d records written)", run_id, status.value, result.changed)


def _lock_writers(session: Session) -> None:
    """Take the feed counter's lock first (the one lock order), so no write lands between plan and apply."""
    lock_feed(session)


def _failed(
    sessions: sessionmaker[Session], run_id: str, clock: Clock, message: str, diags: Diagnostics | None = None
) -> RunOutcome:
    with sessions.begin() as session:
        finish_run(session, run_id, clock(), SyncRunStatus.FAILED, message)
    return RunOutcome(_run(sessions, run_id), diags.items if diags else [])


def _run(sessions: sessionmaker[Session], run_id: str) -> RunRecord:
    with sessions() as session:
        run = get_run(session, run_id)
    assert run is not None
    return run


def preview_sync(
    sessions: sessionmaker[Session],
    *,
    clock: Clock = utc_now,
    today: dt.date | None = None,
    work_dir: Path | None = None,
    schools: Sequence[str] | None = None,
) -> Preview:
    """Plan a run against the configured source without writing anything.

    With `schools`, the counts are those schools' only (`syncing.schools`; schools and
    terms left out); the verdict (held or not) stays the district's.
    """
    day = today or clock().date()
    with sessions() as session:
        settings = load_config(session).plan_settings()
        source = load_source(session)
    diags = Diagnostics()
    try:
        snapshot = read_source(source, diags, work_dir)
    except (SourceUnavailableError, SourceError) as error:
        return Preview(False, str(error), False, [], False, {}, diags.items)
    with snapshot:
        if diags.errors:
            return Preview(False, messages.failed_source(diags), False, [], False, {}, diags.items)
        with sessions() as session:
            plan = plan_sync(snapshot, session.connection(), settings, today=day)
            if schools is not None:
                return _school_preview(session, plan, diags, schools)
        return _preview(plan, diags)


def _preview(plan: RolloverPlan, diags: Diagnostics) -> Preview:
    types = {t: type_preview(p) for t, p in plan.types.items()}
    if plan.paused_all:
        message = "The sync is paused: a run now would change nothing."
    elif plan.held:
        message = (
            "The next run would be held: "
            + ", ".join(f"{words.noun(t)} over the threshold" for t in plan.held_types)
            + ". New and changed records would still be applied; nothing would be archived."
        )
    else:
        message = "The next run would apply all of these changes."
    return Preview(True, message, plan.held, plan.held_types, plan.paused_all, types, diags.items)


def _school_preview(
    session: Session, plan: RolloverPlan, diags: Diagnostics, schools: Sequence[str]
) -> Preview:
    counts = plan_counts(session, plan, {k: k for k in KINDS})
    found = sum_for(add_follow_on(counts, plan, "moved_with_parent", "removed_with_parent"), schools)
    for type_, numbers in sum_for(base_counts(session, plan), schools).items():
        found.setdefault(type_, {}).update(numbers)
    types: dict[str, SyncTypePreview] = {}
    for t, p in plan.types.items():
        if t in DISTRICT_TYPES:
            continue
        n = found.get(t, {})
        managed, archive = n.get("managed", 0), n.get("archive", 0)
        # the schools' numbers; the threshold and the verdict stay the district's
        types[t] = type_preview(p).model_copy(
            update={
                "create": n.get("create", 0),
                "update": n.get("update", 0),
                "archive": archive,
                "unchanged": n.get("unchanged", 0),
                "managed": managed,
                "archive_percent": round(100 * archive / managed, 2) if managed else 0.0,
                "moved_with_parent": n.get("moved_with_parent", 0),
                "removed_with_parent": n.get("removed_with_parent", 0),
            }
        )
    message = messages.preview_for_schools(plan)
    return Preview(True, message, plan.held, plan.held_types, plan.paused_all, types, diags.items)


def run_archives(
    sessions: sessionmaker[Session],
    run_id: str,
    *,
    type_: str | None = None,
    offset: int = 0,
    limit: int = 100,
    visible: ColumnElement[bool] | None = None,
) -> SyncArchivePage | None:
    """One page of what a run archived (or, when it was held, tried to archive); None: no such run.

    `visible` narrows the list to what the caller may see (`scope.archive_visible`).
    """
    with sessions() as session:
        run = get_run(session, run_id)
        if run is None:
            return None
        condition = [SyncRunArchive.run_id == run_id]
        if type_:
            condition.append(SyncRunArchive.type == type_)
        if visible is not None:
            condition.append(visible)
        total = session.scalar(select(func.count()).select_from(SyncRunArchive).where(*condition)) or 0
        rows = session.execute(
            select(
                SyncRunArchive.type, SyncRunArchive.record_id, SyncRunArchive.source_id, SyncRunArchive.label
            )
            .where(*condition)
            .order_by(SyncRunArchive.id)
            .offset(offset)
            .limit(limit)
        ).all()
    items = [SyncArchiveItem(type=t, id=i, source_id=sid, label=label) for t, i, sid, label in rows]
    return SyncArchivePage(
        run_id=run_id,
        archived=run.status != SyncRunStatus.FAILED_THRESHOLD.value,
        total=total,
        offset=offset,
        limit=limit,
        has_more=offset + len(items) < total,
        items=items,
    )

"""What the runner changed on the server and staged on desktops, and the check after a clean sync.

Lost: a staged operation the server never applied (no audit row, not `applied` in the
cache, or its effect missing), or a server record missing or different in the cache.
Doubled: an op_id with more than one audit row, or a target whose version moved on
more often than operations were staged for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.store.db import open_cache
from connect_desktop.store.models import ENTITY_MODELS
from connect_desktop.sync.outbox import Outbox, StageItem
from connect_server import models as server_models
from connect_server.db import open_database
from connect_server.sequence import allocate_seqs
from tests.desktop.serverdata import add_students, audit_counts, cache_snapshot, server_snapshot
from tests.faults.desktop import Desktop

TOGGLE = {"active": OperationKind.ARCHIVE_STUDENT, "archived": OperationKind.UNARCHIVE_STUDENT}
AFTER = {OperationKind.ARCHIVE_STUDENT: "archived", OperationKind.UNARCHIVE_STUDENT: "active"}
ADDED_PREFIX = "Fault"
Snapshot = dict[str, dict[str, tuple[Any, ...]]]
"""Rows of every entity table by id (see tests/desktop/serverdata.py)."""


@dataclass
class Findings:
    lost: int = 0
    doubled: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Staged:
    """Operations staged on one desktop since its last check."""

    op_ids: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    """Target student → the status its operations end in."""
    deleted: set[str] = field(default_factory=set)
    ops_per_target: dict[str, int] = field(default_factory=dict)
    base_versions: dict[str, int] = field(default_factory=dict)
    """Server versions of the targets when they were staged."""


class Ledger:
    def __init__(self, db_url: str, rng: random.Random) -> None:
        self.sessions: sessionmaker[Session] = open_database(db_url)
        self.rng = rng
        self._staged: dict[Path, _Staged] = {}
        self._batches = 0

    def close(self) -> None:
        self.sessions.kw["bind"].dispose()

    # -- changes on the server, as other clients and the SIS sync make them -------------

    def change_server(self, touches: int, adds: int) -> int:
        """Change `touches` students and contacts and add `adds` students; returns the feed entries made."""
        self._batches += 1
        tables = [server_models.Student.__table__, server_models.Contact.__table__]
        with self.sessions() as session:
            ids = [(t, i) for t in tables for i in session.scalars(select(t.c.id))]
        chosen = self.rng.sample(ids, min(touches, len(ids)))
        with self.sessions.begin() as session:
            seqs = allocate_seqs(session, len(chosen)) if chosen else range(0)
            for (table, row_id), seq in zip(chosen, seqs, strict=True):
                session.execute(
                    update(table)
                    .where(table.c.id == row_id)
                    .values(first_name=f"Changed{self._batches}", version=table.c.version + 1, seq=seq)
                )
        if adds:
            school = self._any_school()
            add_students(self.sessions, school, adds, prefix=f"{ADDED_PREFIX}{self._batches:04d}-")
        return len(chosen) + adds

    def feed_end(self) -> int:
        """The server's last feed number: a cursor this high has seen every change."""
        with self.sessions() as session:
            return int(session.execute(text("SELECT value FROM feed_counter WHERE id = 1")).scalar_one())

    def _any_school(self) -> str:
        with self.sessions() as session:
            school = session.scalar(select(server_models.School.id).order_by(server_models.School.id))
        assert school is not None
        return str(school)

    # -- operations staged on a desktop -------------------------------------------------

    def stage(self, desktop: Desktop, count: int, deletes: int = 0, twice: int = 0) -> int:
        """Stage `count` archive/unarchive operations (`twice` of their targets get the inverse
        as well, sent after the first) and `deletes` deletions of added students."""
        staged = self._staged.setdefault(desktop.home, _Staged())
        with open_cache(desktop.cache_path) as cache:
            with cache.sessions() as session:
                rows = session.execute(
                    text(
                        "SELECT id, status, last_name FROM student WHERE status IN ('active', 'archived') "
                        "AND id NOT IN (SELECT target_id FROM pending_operation "
                        "WHERE state IN ('pending', 'sending'))"
                    )
                ).all()
            added = [r.id for r in rows if r.last_name.startswith(ADDED_PREFIX)]
            doomed = set(self.rng.sample(added, min(deletes, len(added))))
            candidates = [r for r in rows if r.id not in doomed]
            toggled = self.rng.sample(candidates, min(count, len(candidates)))
            items = [StageItem(TOGGLE[r.status].value, r.id) for r in toggled]
            items += [StageItem(OperationKind.DELETE_STUDENT.value, d) for d in doomed]
            again = [
                StageItem((TOGGLE[AFTER[TOGGLE[r.status]]]).value, r.id) for r in toggled[: max(twice, 0)]
            ]
            outbox = Outbox(cache)
            op_ids = outbox.stage_many(items, step="faults")
            if again:
                op_ids += outbox.stage_many(again, step="faults-again")
        staged.op_ids += op_ids
        for row in toggled:
            staged.status[row.id] = AFTER[TOGGLE[row.status]]
            staged.ops_per_target[row.id] = 1
        for row in toggled[: max(twice, 0)]:
            staged.status[row.id] = row.status
            staged.ops_per_target[row.id] = 2
        staged.deleted |= doomed
        staged.base_versions.update(self._server_versions(list(staged.status)))
        return len(op_ids)

    def _server_versions(self, ids: list[str]) -> dict[str, int]:
        table = server_models.Student.__table__
        found: dict[str, int] = {}
        with self.sessions() as session:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                rows = session.execute(select(table.c.id, table.c.version).where(table.c.id.in_(part)))
                found.update({row_id: version for row_id, version in rows})
        return found

    def applied(self, desktop: Desktop) -> int:
        """How many of the operations staged on `desktop` since its last check the server applied."""
        staged = self._staged.get(desktop.home, _Staged())
        audit = audit_counts(self.sessions)
        return sum(1 for op in staged.op_ids if audit.get(op, 0) > 0)

    # -- the check ----------------------------------------------------------------------

    def check(self, desktop: Desktop) -> Findings:
        """Compare `desktop` (just synced cleanly) with the server; resolves what it staged."""
        findings = Findings()
        staged = self._staged.pop(desktop.home, _Staged())
        with open_cache(desktop.cache_path) as cache:
            cached = cache_snapshot(cache)
            with cache.sessions() as session:
                rows = session.execute(text("SELECT op_id, state FROM pending_operation"))
                states = {op_id: state for op_id, state in rows}
        served = server_snapshot(self.sessions)
        audit = audit_counts(self.sessions)
        _compare(cached, served, findings)
        lost_ops = [op for op in staged.op_ids if audit.get(op, 0) == 0 or states.get(op) != "applied"]
        if lost_ops:
            findings.lost += len(lost_ops)
            shown = ", ".join(f"{op} ({states.get(op)}, audit {audit.get(op, 0)})" for op in lost_ops[:3])
            findings.notes.append(f"{len(lost_ops)} staged operation(s) not applied: {shown}")
        doubled_ops = [op for op, n in audit.items() if n > 1]
        if doubled_ops:
            findings.doubled += len(doubled_ops)
            findings.notes.append(f"op_ids with more than one audit row: {doubled_ops[:3]}")
        self._check_targets(staged, served, findings, set(lost_ops))
        return findings

    def _check_targets(
        self,
        staged: _Staged,
        served: Snapshot,
        findings: Findings,
        lost: set[str],
    ) -> None:
        students = served["student"]
        status_at = _column_index("status")
        wrong = [
            sid
            for sid, want in staged.status.items()
            if sid not in students or students[sid][status_at] != want
        ]
        survivors = [sid for sid in staged.deleted if sid in students]
        if (wrong or survivors) and not lost:
            findings.lost += len(wrong) + len(survivors)
            findings.notes.append(f"effects missing: {len(wrong)} status(es), {len(survivors)} deletion(s)")
        versions = self._server_versions(list(staged.status))
        jumped = [
            sid
            for sid, ops in staged.ops_per_target.items()
            if versions.get(sid, 0) - staged.base_versions.get(sid, versions.get(sid, 0)) > ops
        ]
        if jumped:
            findings.doubled += len(jumped)
            findings.notes.append(f"targets changed more often than staged: {jumped[:3]}")


def _column_index(name: str) -> int:
    names = [c.name for c in ENTITY_MODELS[EntityType.STUDENT].__table__.columns if c.name != "id"]
    return 1 + names.index(name)


def _compare(cached: Snapshot, served: Snapshot, findings: Findings) -> None:
    for kind, rows in served.items():
        mine = cached.get(kind, {})
        missing = [i for i, row in rows.items() if mine.get(i) != row]
        extra = [i for i in mine if i not in rows]
        if missing or extra:
            findings.lost += len(missing) + len(extra)
            findings.notes.append(
                f"cache differs from the server in {kind}: {len(missing)} missing or stale, "
                f"{len(extra)} deleted on the server but still cached"
            )

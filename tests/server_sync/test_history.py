"""Enrollments of archived classrooms and family links of archived students are history:
flagged archived, never archived (again) by a run, and matched rather than duplicated."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.current import current_records
from connect_server.scope import TABLES
from connect_server.sync_runner import run_sync
from tests.server_sync.conftest import rows
from tests.server_sync.package import District

TODAY = dt.date(2025, 6, 20)


def archive(sessions, kind: str, source_id: str) -> None:  # type: ignore[no-untyped-def]
    table = TABLES[EntityType(kind)]
    with sessions.begin() as session:
        session.execute(update(table).where(table.c.source_id == source_id).values(status="archived"))


def test_history_is_flagged_and_left_alone(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District())
    assert run_sync(sessions, today=TODAY).run.status == "succeeded"
    archive(sessions, "classroom", "cls-a")
    archive(sessions, "student", "s-4")
    with sessions() as session:
        flagged = {(r.type, r.source_id) for r in current_records(session.connection()) if r.archived}
    enrolled_a = {sid for sid in rows(sessions, "enrollment") if sid.startswith("cls-a:")}
    assert {("classroom", "cls-a"), ("student", "s-4"), ("student_contact", "s-4:g-4")} <= flagged
    assert {("enrollment", sid) for sid in enrolled_a} <= flagged
    assert ("enrollment", "cls-b:s-4") in flagged or not any(
        sid == "cls-b:s-4" for sid in rows(sessions, "enrollment")
    )
    # the source no longer has cls-a nor s-4: nothing of the history is archived again
    use_district(District(students=[i for i in range(10) if i != 4], classes=("cls-b",)))
    result = run_sync(sessions, today=TODAY, approve_archives=True).run  # cls-a's teacher goes
    assert result.status == "succeeded", result.message
    assert result.counts["enrollment"]["archived"] == 0
    # the link was not archived as such; it went with its contact g-4, who left the source too
    assert result.counts["contact"]["archived"] == result.counts["student_contact"]["archived"] == 1
    assert result.counts["student_contact"]["tried_to_archive"] == 0
    assert enrolled_a <= set(rows(sessions, "enrollment"))


def test_a_reappearing_classroom_finds_its_enrollments(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District())
    run_sync(sessions, today=TODAY)
    archive(sessions, "classroom", "cls-a")
    before = len(rows(sessions, "enrollment"))
    result = run_sync(sessions, today=TODAY).run  # the same source: cls-a is back
    assert result.counts["classroom"]["updated"] == 1 and result.counts["enrollment"]["created"] == 0
    assert rows(sessions, "classroom")["cls-a"].status == "active"
    assert len(rows(sessions, "enrollment")) == before

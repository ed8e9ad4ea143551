"""The read-only aggregates of `store.overview` and the paged undoable listing, on a real cache."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from connect_desktop.rollover.undo import count_undoable, list_undoable, undo_operations
from connect_desktop.store.db import Cache
from connect_desktop.store.models import PendingOperation
from connect_desktop.store.overview import (
    FilterChoices,
    GradeCount,
    account_overview,
    filter_choices,
    full_pull_done,
    target_labels,
    target_names,
)
from connect_desktop.store.queries import list_pending
from connect_desktop.sync.outbox import Outbox
from tests.desktop.test_queries import cache  # noqa: F401 - the shared small-cache fixture

AS_OF = dt.date(2026, 1, 10)


def test_overview_of_an_untouched_cache(cache: Cache) -> None:  # noqa: F811
    with cache.sessions() as db:
        overview = account_overview(db, as_of=AS_OF)
        assert full_pull_done(db) is False
    assert overview.counts["student"] == 10 and overview.counts["classroom"] == 1
    assert overview.origins == {"staff": (1, 0), "student": (0, 10), "contact": (0, 0), "classroom": (0, 1)}
    assert overview.account_kind == "mixed"
    assert overview.synced_records == 1 and overview.manual_records == 11
    assert overview.sync_source is None and overview.last_sync_run is None
    assert overview.steps == {} and overview.waiting == 0
    assert overview.grades == [GradeCount("1", 4, 0), GradeCount("2", 3, 0), GradeCount("3", 3, 0)]
    assert overview.current_school_year == 2026


def test_overview_applies_staged_changes(cache: Cache) -> None:  # noqa: F811
    outbox = Outbox(cache)
    outbox.stage("archive_student", "student", "stu-001", step="students")  # grade 2
    outbox.stage("delete_student", "student", "stu-002", step="students")  # grade 3
    outbox.stage("revoke_staff_access", "staff", "stf-1", step="staff")
    with cache.sessions() as db:
        overview = account_overview(db, as_of=AS_OF)
    assert overview.counts["student"] == 9  # the staged delete is left out
    assert overview.steps == {"students": {"pending": 2}, "staff": {"pending": 1}}
    assert overview.pending_states == {"pending": 3} and overview.waiting == 3
    assert GradeCount("2", 2, 1) in overview.grades


def test_current_school_year_is_the_newest_begun(cache: Cache) -> None:  # noqa: F811
    """The cache's only school year (2026) begins 2025-08-20."""
    with cache.sessions() as db:
        year = {day: account_overview(db, as_of=day).current_school_year for day in _DAYS}
    assert year == {
        dt.date(2025, 8, 19): 2025,  # not begun yet: the year before
        dt.date(2025, 8, 20): 2026,
        dt.date(2026, 6, 1): 2026,
        dt.date(2027, 1, 1): 2026,  # no newer year is known
    }


_DAYS = (dt.date(2025, 8, 19), dt.date(2025, 8, 20), dt.date(2026, 6, 1), dt.date(2027, 1, 1))


def test_filter_choices(cache: Cache) -> None:  # noqa: F811
    with cache.sessions() as db:
        choices = filter_choices(db)
    assert choices == FilterChoices(
        schools=[("sch-2", "Adams"), ("sch-1", "Lincoln")],
        grades=["1", "2", "3"],
        school_years=[2026],
        year_starts={2026: dt.date(2025, 8, 20)},
    )


def test_target_names_and_labels(cache: Cache) -> None:  # noqa: F811
    outbox = Outbox(cache)
    outbox.stage("archive_student", "student", "stu-001", step="students")
    outbox.stage("revoke_staff_access", "staff", "stf-1", step="staff")
    outbox.stage("archive_classroom", "classroom", "cls-1", step="classrooms")
    with cache.sessions() as db:
        rows = list_pending(db).rows
        labels = target_labels(db, rows)
        names = target_names(db, [("student", "stu-404"), ("term", "term-1"), ("student", "stu-003")])
    by_target = {row.target_id: labels[row.op_id] for row in rows}
    assert by_target == {"stu-001": "Last001, Kid1 (N001)", "stf-1": "Zed, Ann", "cls-1": "Math 6"}
    assert names == {("student", "stu-003"): "Last003, Kid3 (N003)"}  # unknown ids and types left out


def test_undoable_listing_follows_the_undo_rule(cache: Cache) -> None:  # noqa: F811
    outbox = Outbox(cache)
    first = outbox.stage("archive_student", "student", "stu-003", step="students", batch="year-end-2026")
    second = outbox.stage("archive_classroom", "classroom", "cls-1", step="classrooms", batch="year-end-2026")
    deleted = outbox.stage("delete_student", "student", "stu-004", step="students")
    with cache.sessions.begin() as db:
        db.execute(
            update(PendingOperation)
            .where(PendingOperation.op_id.in_([first, second, deleted]))
            .values(state="applied", sent_at=dt.datetime(2026, 6, 20, 12))
        )
    with cache.engine.connect() as connection:
        assert count_undoable(connection) == 2  # a delete cannot be undone
        page = list_undoable(connection, offset=0, limit=10)
        assert [c.op_id for c in page] == [second, first]  # newest first
        assert page[0].batch == "year-end-2026" and page[0].sent_at == dt.datetime(2026, 6, 20, 12)
        assert [c.op_id for c in list_undoable(connection, offset=1, limit=10)] == [first]
    outbox.stage("unarchive_student", "student", "stu-003", step="students")  # restored: no longer undoable
    with cache.engine.connect() as connection:
        assert count_undoable(connection) == 1
        assert [c.target_id for c in list_undoable(connection)] == ["cls-1"]
        assert [op.target_id for op in undo_operations(connection)] == ["cls-1"]

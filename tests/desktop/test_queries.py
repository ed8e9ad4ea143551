"""Effective state (cache + staged operations), paged listings and the outbox's validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connect_desktop.store.db import Cache, open_cache
from connect_desktop.store.queries import (
    ListFilter,
    effective_counts,
    list_pending,
    list_records,
    pending_by_step,
)
from connect_desktop.store.writer import apply_changes
from connect_desktop.sync.outbox import (
    NotDiscardableError,
    Outbox,
    RecordNotFoundError,
    UnknownKindError,
    WrongTargetError,
)


def change(kind: str, record_id: str, version: int = 1, **data: Any) -> dict[str, Any]:
    return {"seq": 0, "type": kind, "id": record_id, "version": version, "deleted": False, "data": data}


def student(n: int, school: str = "sch-1", **extra: Any) -> dict[str, Any]:
    data = {
        "school_id": school,
        "student_number": f"N{n:03d}",
        "first_name": f"Kid{n}",
        "last_name": f"Last{n:03d}",
        "birth_date": "2015-01-02",
        "grade": str(n % 3 + 1),
        "status": "active",
        "withdrawn_on": None,
        "source_id": None,
        "origin": "manual",
        **extra,
    }
    return change("student", f"stu-{n:03d}", **data)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        rows = [
            change(
                "school",
                "sch-1",
                name="Lincoln",
                level="elementary",
                grade_low="K",
                grade_high="5",
                source_id=None,
                origin="manual",
            ),
            change(
                "school",
                "sch-2",
                name="Adams",
                level="middle",
                grade_low="6",
                grade_high="8",
                source_id=None,
                origin="manual",
            ),
            change(
                "term",
                "term-1",
                name="2025-26",
                school_year=2026,
                start_date="2025-08-20",
                end_date="2026-06-12",
                school_id=None,
                source_id=None,
                origin="manual",
            ),
            change(
                "staff",
                "stf-1",
                first_name="Ann",
                last_name="Zed",
                email="a@x.org",
                role="teacher",
                school_id="sch-1",
                access="active",
                last_sign_in_at="2026-05-01T10:00:00",
                left_on=None,
                source_id=None,
                origin="sync",
            ),
            change(
                "classroom",
                "cls-1",
                school_id="sch-2",
                term_id="term-1",
                name="Math 6",
                course_code="M6",
                grade="6",
                status="active",
                source_id=None,
                origin="manual",
            ),
            *[student(n, "sch-1" if n < 7 else "sch-2") for n in range(10)],
        ]
        with cache.raw() as connection:
            apply_changes(connection, rows)
            connection.commit()
        yield cache


def test_counts_and_listings_show_staged_changes(cache: Cache) -> None:
    outbox = Outbox(cache)
    outbox.stage("archive_student", "student", "stu-001", step="students")
    outbox.stage("delete_student", "student", "stu-002", step="students")
    outbox.stage("revoke_staff_access", "staff", "stf-1", step="staff")
    outbox.stage("archive_classroom", None, "cls-1", step="classrooms")
    with cache.sessions() as session:
        counts = effective_counts(session)
        assert (counts["student"], counts["school"], counts["staff"]) == (9, 2, 1)
        page = list_records(session, "student", limit=100)
        assert page.total == 9
        by_id = {row.id: row for row in page.rows}
        assert "stu-002" not in by_id
        assert by_id["stu-001"].status == "archived" and by_id["stu-001"].staged
        assert by_id["stu-003"].status == "active" and not by_id["stu-003"].staged
        assert by_id["stu-001"].school_name == "Lincoln"
        archived = list_records(session, "student", ListFilter(status="archived"))
        assert [r.id for r in archived.rows] == ["stu-001"] and archived.total == 1
        assert list_records(session, "staff").rows[0].access == "revoked"
        (classroom,) = list_records(session, "classroom").rows
        assert (classroom.status, classroom.term_name, classroom.school_name) == (
            "archived",
            "2025-26",
            "Adams",
        )
        groups = {g.step: g.counts for g in pending_by_step(session)}
        assert groups == {"students": {"pending": 2}, "staff": {"pending": 1}, "classrooms": {"pending": 1}}
        assert list_pending(session, step="students").total == 2


def test_the_newest_staged_change_wins_and_discard_undoes(cache: Cache) -> None:
    outbox = Outbox(cache)
    first = outbox.stage("archive_student", "student", "stu-004", step="students")
    second = outbox.stage("unarchive_student", "student", "stu-004", step="students")
    with cache.sessions() as session:
        assert list_records(session, "student", ListFilter(search="Last004")).rows[0].status == "active"
    outbox.discard([second])
    with cache.sessions() as session:
        assert list_records(session, "student", ListFilter(search="Last004")).rows[0].status == "archived"
    assert outbox.discard_all() == 1
    with cache.sessions() as session:
        row = list_records(session, "student", ListFilter(search="Last004")).rows[0]
        assert (row.status, row.staged) == ("active", False)
        assert list_pending(session).total == 0
    with pytest.raises(NotDiscardableError):
        outbox.discard([first, "no-such-op"])


def test_paging_is_stable_and_filters_combine(cache: Cache) -> None:
    with cache.sessions() as session:
        pages = [list_records(session, "student", offset=o, limit=4) for o in (0, 4, 8)]
        ids = [r.id for p in pages for r in p.rows]
        assert ids == [f"stu-{n:03d}" for n in range(10)]
        assert {p.total for p in pages} == {10}
        keyset, after = [], None
        while True:
            page = list_records(session, "student", limit=3, after=after, count=False)
            if not page.rows:
                break
            keyset += [r.id for r in page.rows]
            after = page.next_after
        assert keyset == ids and page.total is None
        school = list_records(session, "student", ListFilter(school_id="sch-2"))
        assert [r.id for r in school.rows] == ["stu-007", "stu-008", "stu-009"]
        both = list_records(session, "student", ListFilter(school_id="sch-1", grade="1"))
        assert [r.id for r in both.rows] == ["stu-000", "stu-003", "stu-006"]
        assert list_records(session, "student", ListFilter(search="N005")).total == 1
        assert list_records(session, "student", ListFilter(search="kid%")).total == 0  # wildcards are literal


@pytest.mark.parametrize("kind", ["student", "staff", "classroom"])
def test_keyset_pages_follow_the_listing_order_of_every_type(cache: Cache, kind: str) -> None:
    """Names that repeat (sorted by the id after them): the keyset must carry the whole sort key."""
    rows = [
        change("classroom", f"cls-{n:02d}", school_id="sch-1", term_id="term-1", name=f"Room {n % 3}",
               course_code=None, grade="1", status="active", source_id=None, origin="manual")
        for n in range(2, 9)
    ] + [
        change("staff", f"stf-{n:02d}", first_name=f"Pat{n % 2}", last_name=f"Lee{n % 3}", email=None,
               role="teacher", school_id="sch-1", access="active", last_sign_in_at=None, left_on=None,
               source_id=None, origin="manual")
        for n in range(2, 9)
    ]  # fmt: skip
    with cache.raw() as connection:
        apply_changes(connection, rows)
        connection.commit()
    with cache.sessions() as session:
        expected = [r.id for r in list_records(session, kind, limit=1000).rows]
        keyset: list[str] = []
        page = list_records(session, kind, limit=2, count=False)
        while page.rows:
            keyset += [r.id for r in page.rows]
            page = list_records(session, kind, limit=2, after=page.next_after, count=False)
    assert len(expected) >= 7 and keyset == expected


def test_staging_is_validated(cache: Cache) -> None:
    outbox = Outbox(cache)
    with pytest.raises(UnknownKindError):
        outbox.stage("explode_school", "school", "sch-1", step="x")
    with pytest.raises(WrongTargetError):
        outbox.stage("archive_student", "staff", "stf-1", step="x")
    with pytest.raises(RecordNotFoundError) as caught:
        outbox.stage("archive_student", "student", "stu-999", step="x")
    assert "not in the local copy" in caught.value.user_message
    op_id = outbox.stage("archive_student", "student", "stu-001", step="x")
    assert outbox.stage("archive_student", "student", "stu-001", step="x") == op_id  # staged once
    with cache.sessions() as session:
        (row,) = list_pending(session).rows
    assert (row.base_version, row.state, row.target_type) == (1, "pending", "student")


def test_listing_queries_use_indexes(cache: Cache) -> None:
    from sqlalchemy import text

    with cache.sessions() as session:
        plan = " ".join(
            str(r[-1])
            for r in session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM student s "
                    "ORDER BY s.last_name, s.first_name, s.id LIMIT 50"
                )
            )
        )
        assert "USING COVERING INDEX ix_student_name" in plan or "USING INDEX ix_student_name" in plan
        assert "TEMP B-TREE" not in plan
        plan = " ".join(
            str(r[-1])
            for r in session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM student s WHERE s.school_id = 'x' "
                    "ORDER BY s.last_name, s.first_name, s.id LIMIT 50"
                )
            )
        )
        assert "ix_student_school_name" in plan and "TEMP B-TREE" not in plan

"""The sync runner against a real database: creates, idempotence, threshold, approval, pauses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import FeedCounter, SyncRun
from connect_server.sync_runner import preview_sync, run_archives, run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.rostering.district import oneroster_files, write_zip
from tests.rostering.providers import CLIENT_ID, CLIENT_SECRET, OneRosterProvider
from tests.server_sync.conftest import rows, set_settings, state, use_source
from tests.server_sync.package import District

TODAY = dt.date(2025, 6, 20)
FIRST = District()  # s-0..s-9 with guardians g-0..g-9, classes cls-a and cls-b
NEXT_YEAR = District(students=[*range(3, 10), 10, 11], grade=4, renamed={5: "Kiddo"})  # 3 of 10 gone
GONE = {"s-0", "s-1", "s-2"}


def counter(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(FeedCounter.value)) or 0)


def run(sessions: sessionmaker[Session], **kw: object):  # type: ignore[no-untyped-def]
    return run_sync(sessions, today=TODAY, **kw).run  # type: ignore[arg-type]


def applied(counts: dict[str, Any]) -> dict[str, Any]:
    """A type's run counts without the plan recorded beside them."""
    return {k: v for k, v in counts.items() if k != "planned"}


def test_first_run_creates_everything_with_origin_sync(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    result = run(sessions)
    assert result.status == "succeeded" and result.version == 2
    assert {t: c["created"] for t, c in result.counts.items()} == {
        "school": 1, "term": 1, "staff": 2, "student": 10, "contact": 10,
        "student_contact": 10, "classroom": 2, "enrollment": 12,
    }  # fmt: skip
    students, classes = rows(sessions, "student"), rows(sessions, "classroom")
    school, term = rows(sessions, "school")["sch-1"], rows(sessions, "term")["sy-2025"]
    assert {s.origin for s in students.values()} == {"sync"} and students["s-4"].student_number == "1004"
    assert students["s-4"].school_id == school.id and students["s-4"].grade == "3"
    assert classes["cls-a"].term_id == term.id and classes["cls-a"].status == "active"
    enrollment = rows(sessions, "enrollment")["cls-a:s-4"]
    assert (enrollment.person_id, enrollment.classroom_id) == (students["s-4"].id, classes["cls-a"].id)
    assert enrollment.school_id == school.id
    teacher = rows(sessions, "enrollment")["cls-a:t-cls-a"]
    assert teacher.person_id == rows(sessions, "staff")["t-cls-a"].id and teacher.role == "teacher"
    link = rows(sessions, "student_contact")["s-4:g-4"]
    assert link.contact_id == rows(sessions, "contact")["g-4"].id and link.school_id == school.id
    # every written row has its own seq
    seqs = [seq for table in state(sessions).values() for _, seq in table.values()]
    assert len(seqs) == len(set(seqs)) == 48


def test_second_run_on_the_same_source_changes_nothing(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    before, seq = state(sessions), counter(sessions)
    again = run(sessions)
    assert again.status == "succeeded"
    assert all(
        applied(c) == {"created": 0, "updated": 0, "archived": 0, "tried_to_archive": 0}
        for c in again.counts.values()
    )
    assert state(sessions) == before
    assert counter(sessions) == seq + 2  # only the run record itself: started, finished


def test_held_run_applies_creates_and_updates_but_archives_nothing(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    use_district(NEXT_YEAR)
    held = run(sessions)
    assert held.status == "failed_threshold"
    student = held.counts["student"]
    assert applied(student) == {"created": 2, "updated": 7, "archived": 0, "tried_to_archive": 3}
    # the numbers behind the verdict are fields of the run, not only words in its message
    assert student["planned"] == {
        "create": 2, "update": 7, "archive": 3, "unchanged": 0, "managed": 10, "threshold": 10.0,
        "archive_percent": 30.0, "paused": False, "in_source": True, "held": True,
        "moved_with_parent": 0, "removed_with_parent": 0,
    }  # fmt: skip
    assert held.counts["enrollment"]["planned"]["held"] and not held.counts["school"]["planned"]["held"]
    assert held.counts["contact"]["tried_to_archive"] == 3
    assert held.counts["student_contact"]["tried_to_archive"] == 3
    assert held.counts["enrollment"]["tried_to_archive"] == 3  # 3 of 12: 25%
    assert sum(c["archived"] for c in held.counts.values()) == 0
    assert "3 of 10 students" in (held.message or "")
    students = rows(sessions, "student")
    assert students["s-10"].origin == "sync" and students["s-5"].first_name == "Kiddo"
    assert {students[s].status for s in GONE} == {"active"}  # nothing archived
    assert students["s-5"].grade == "4" and students["s-5"].version == 2
    assert set(rows(sessions, "student")) >= GONE and "g-0" in rows(sessions, "contact")
    page = run_archives(sessions, held.id, type_="student")
    assert page is not None and not page.archived and page.total == 3
    assert [(i.source_id, i.label) for i in page.items] == [  # who, with grade and school
        ("s-0", "Kid0 Family0 (1000), grade 3, Oak Elementary"),
        ("s-1", "Kid1 Family1 (1001), grade 3, Oak Elementary"),
        ("s-2", "Kid2 Family2 (1002), grade 3, Oak Elementary"),
    ]
    assert page.items[0].id == students["s-0"].id
    everything = run_archives(sessions, held.id, limit=100)
    assert everything is not None and everything.total == 12
    assert {i.source_id for i in everything.items if i.type == "enrollment"} == {
        "cls-a:s-0",
        "cls-b:s-1",
        "cls-a:s-2",
    }
    # an enrollment reads "student in classroom", by name, never by the SIS's ids
    enrollments = sorted(i.label for i in everything.items if i.type == "enrollment")
    assert enrollments == [  # the classrooms' own names here are "Reading cls-a" and "Reading cls-b"
        "Kid0 Family0 in Reading cls-a (student)",
        "Kid1 Family1 in Reading cls-b (student)",
        "Kid2 Family2 in Reading cls-a (student)",
    ]
    links = [i.label for i in everything.items if i.type == "student_contact"]
    assert all(" of Kid" in text for text in links), links


def test_approval_archives_exactly_those_once_and_the_next_held_run_is_held_again(
    sessions, use_district
) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    use_district(NEXT_YEAR)
    held = run(sessions)
    tried = run_archives(sessions, held.id, limit=100)
    before = state(sessions)
    approved = run(sessions, approve_archives=True)
    assert approved.status == "succeeded" and approved.approved_archives
    assert {t: c["archived"] for t, c in approved.counts.items() if c["archived"]} == {
        "student": 3, "contact": 3, "student_contact": 3, "enrollment": 3,
    }  # fmt: skip
    done = run_archives(sessions, approved.id, limit=100)
    assert done is not None and tried is not None and done.archived
    assert sorted((i.type, i.id) for i in done.items) == sorted((i.type, i.id) for i in tried.items)
    students = rows(sessions, "student")
    assert {students[s].status for s in GONE} == {"archived"}  # archived, never deleted
    assert {s.status for k, s in students.items() if k not in GONE} == {"active"}
    expected = {f"{i.type}:{i.id}" for i in tried.items if i.type != "student"}
    assert set(state(sessions)["tombstone"]) == expected and len(expected) == 9
    assert all(
        before[i.type][i.id][0] == state(sessions)["tombstone"][f"{i.type}:{i.id}"][0]
        for i in tried.items
        if i.type != "student"
    )
    assert "g-0" not in rows(sessions, "contact") and "cls-a:s-0" not in rows(sessions, "enrollment")
    # the threshold setting is untouched: another such drop is held again
    use_district(District(students=range(3, 7), grade=4, renamed={5: "Kiddo"}))
    again = run(sessions)
    assert again.status == "failed_threshold" and again.counts["student"]["tried_to_archive"] == 5


def test_staff_revoked_and_classroom_archived_when_they_vanish(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    set_settings(sessions, thresholds={"staff": 100, "classrooms": 100, "enrollments": 100})
    use_district(District(classes=("cls-a",)))
    result = run(sessions)
    assert result.status == "succeeded"
    assert result.counts["staff"]["archived"] == 1 and result.counts["classroom"]["archived"] == 1
    assert rows(sessions, "staff")["t-cls-b"].access == "revoked"
    assert rows(sessions, "classroom")["cls-b"].status == "archived"
    # the students of cls-b moved to cls-a: new enrollments, old ones deleted
    assert applied(result.counts["enrollment"]) == {
        "created": 5, "updated": 0, "archived": 6, "tried_to_archive": 0,
    }  # fmt: skip


def test_paused_portion_is_untouched_and_resumes_after_its_until_date(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    set_settings(
        sessions,
        pauses=[{"portion": "classrooms", "from": None, "until": "2025-08-01"}],
        thresholds={"staff": 100, "enrollments": 100, "classrooms": 100},
    )
    use_district(District(grade=4, classes=("cls-a", "cls-c")))
    paused = run(sessions)
    assert paused.status == "succeeded"
    assert applied(paused.counts["classroom"]) == {
        "created": 0, "updated": 0, "archived": 0, "tried_to_archive": 0,
    }  # fmt: skip
    assert paused.counts["classroom"]["planned"]["paused"]
    assert set(rows(sessions, "classroom")) == {"cls-a", "cls-b"}
    assert rows(sessions, "classroom")["cls-a"].grade == "3"  # not updated either
    assert paused.counts["student"]["updated"] == 10  # other portions synced
    # enrollments into the paused, not yet created cls-c cannot apply: counted, not guessed
    assert paused.counts["enrollment"]["skipped"] == 6 and "classrooms" in (paused.message or "")
    resumed = run_sync(sessions, today=dt.date(2025, 8, 2)).run
    assert resumed.status == "succeeded"
    assert resumed.counts["classroom"]["created"] == 1 and resumed.counts["classroom"]["updated"] == 1
    assert rows(sessions, "classroom")["cls-b"].status == "archived"
    assert rows(sessions, "classroom")["cls-a"].grade == "4"


def test_whole_sync_paused_is_recorded_and_changes_nothing(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    set_settings(sessions, pauses=[{"portion": "all", "from": "2025-06-01", "until": None}])
    before = state(sessions)
    skipped = run(sessions)
    assert skipped.status == "skipped_paused" and skipped.counts == {}
    assert state(sessions) == before
    assert run_sync(sessions, today=dt.date(2025, 5, 31)).run.status == "succeeded"  # before the pause


def test_malformed_package_fails_with_the_diagnostic_and_changes_nothing(sessions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = oneroster_files()
    files["users.csv"] = files["users.csv"].replace("s-fay", "s-cal", 1)  # a duplicate sourcedId
    use_source(sessions, write_zip(tmp_path / "bad.zip", files))  # type: ignore[arg-type]
    before = state(sessions)
    outcome = run_sync(sessions, today=TODAY)
    assert outcome.run.status == "failed"
    assert "nothing was changed" in (outcome.run.message or "")
    assert "users.csv" in (outcome.run.message or "") and "s-cal" in (outcome.run.message or "")
    assert any(d.code == "duplicate_id" for d in outcome.diagnostics)
    assert state(sessions) == before


def test_missing_source_and_unsupported_kind_fail_plainly(sessions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = run_sync(sessions, today=TODAY).run
    assert first.status == "failed" and "No sync source is set up" in (first.message or "")
    use_source(sessions, tmp_path / "nowhere.zip")
    missing = run_sync(sessions, today=TODAY).run
    assert missing.status == "failed" and "does not exist" in (missing.message or "")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 2


def test_preview_counts_without_writing(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    run(sessions)
    use_district(NEXT_YEAR)
    before, seq = state(sessions), counter(sessions)
    preview = preview_sync(sessions, today=TODAY)
    assert preview.ok and preview.held and "student" in preview.held_types
    student = preview.types["student"]
    assert (student.create, student.update, student.archive, student.managed) == (2, 7, 3, 10)
    assert student.archive_percent == 30.0 and student.threshold == 10.0
    assert state(sessions) == before and counter(sessions) == seq


def test_rest_source_syncs_the_same_records_as_the_csv_package(sessions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The district synced from its CSV package, then from a OneRoster 1.2 REST server: nothing changes."""
    use_source(sessions, write_zip(tmp_path / "district.zip", oneroster_files()))
    first = run(sessions)
    assert first.status == "succeeded" and first.counts["enrollment"]["created"] == 8
    before = state(sessions)
    with OneRosterProvider("1.2") as provider:
        config = {"url": provider.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        with sessions.begin() as session:
            save_source(session, SourceConfig("oneroster-rest", config))
        again = run(sessions)
    assert again.status == "succeeded", again
    assert all(
        applied(c) == {"created": 0, "updated": 0, "archived": 0, "tried_to_archive": 0}
        for c in again.counts.values()
    )
    assert state(sessions) == before

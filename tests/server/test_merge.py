"""merge_students / unmerge_students on the real server (SQLite and PostgreSQL), over HTTP.

The pair used throughout: John Smith, kept (from the SIS, school A: linked to parent A,
in class A) and Jon Smith, his manual duplicate (linked to parent A and parent AB, in
class A and class A2). Merging moves the AB link and the A2 enrollment, drops the doubled
parent-A link and class-A enrollment, and removes Jon; undoing it brings every row back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.operations import UNMERGE_DAYS
from connect_server.models import (
    AppliedOperation,
    AuditLog,
    Enrollment,
    Student,
    StudentContact,
    StudentMerge,
)
from tests.server.conftest import ADMIN_A, DISTRICT, PASSWORD, TEACHER_A, Api, District, Held, hold
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user

Connect = Callable[..., Api]
ADMIN_B = "admin.b@example.org"


@dataclass
class Pair:
    kept: dict[str, Any]
    duplicate: dict[str, Any]
    own_link: dict[str, Any]
    doubled_link: dict[str, Any]
    moving_link: dict[str, Any]
    own_enrollment: dict[str, Any]
    doubled_enrollment: dict[str, Any]
    moving_enrollment: dict[str, Any]


@pytest.fixture
def pair(live_server: LiveServer, district: District) -> Pair:
    build = RecordBuilder(live_server.sessions)
    a = district.school_a["id"]
    kept = build.student(a, origin="sync", source_id="sis-41", first_name="John", last_name="Smith")
    duplicate = build.student(
        a, first_name="Jon", last_name="Smith", student_number="OLD-7", birth_date=dt.date(2017, 1, 3)
    )
    own_link = build.link(kept, district.contact_a)
    doubled_link = build.link(duplicate, district.contact_a, relationship="mother")
    moving_link = build.link(duplicate, district.contact_ab, relationship="guardian")
    own_enrollment = build.enroll(district.class_a, kept["id"])
    doubled_enrollment = build.enroll(district.class_a, duplicate["id"])
    moving_enrollment = build.enroll(district.class_a2, duplicate["id"])
    return Pair(
        kept, duplicate, own_link, doubled_link, moving_link, own_enrollment, doubled_enrollment,
        moving_enrollment,
    )  # fmt: skip


def merge(
    kept: dict[str, Any],
    duplicate: dict[str, Any],
    fields: dict[str, Any] | None = None,
    was: dict[str, Any] | None = None,
    *,
    version: int | None = None,
    duplicate_version: int | None = None,
    kind: str = "merge_students",
) -> dict[str, Any]:
    """A merge (or unmerge) as the desktop sends it: the duplicate in `also` for a merge."""
    also = []
    if kind == "merge_students":
        also = [
            {"type": "student", "id": duplicate["id"], "version": duplicate_version or duplicate["version"]}
        ]
    return {
        "op_id": str(uuid.uuid4()),
        "kind": kind,
        "target": {"type": "student", "id": kept["id"], "version": version or kept["version"]},
        "params": {"merged_id": duplicate["id"], "fields": fields or {}, "was": was or {}},
        "also": also,
    }


def unmerge(
    kept: dict[str, Any], duplicate: dict[str, Any], merge_op: dict[str, Any], version: int | None = None
) -> dict[str, Any]:
    params = merge_op["params"]
    was = {name: params["fields"][name] for name in params["was"]}
    return merge(kept, duplicate, params["was"], was, version=version, kind="unmerge_students")


TAKE = {"birth_date": "2017-01-03", "student_number": "OLD-7"}
SAW = {"birth_date": "2017-03-01", "student_number": None}


def taking(pair: Pair) -> dict[str, Any]:
    """The merge of the pair taking Jon's birth date and student number (John's as seen)."""
    return merge(pair.kept, pair.duplicate, TAKE, {**SAW, "student_number": pair.kept["student_number"]})


Rows = dict[str, dict[str, dict[str, Any]]]


def rows(sessions: sessionmaker[Session], *student_ids: str) -> Rows:
    """Every field of the students, their family links and their enrollments (not version or seq)."""

    def plain(record: Any) -> dict[str, Any]:
        values = {c.name: getattr(record, c.name) for c in record.__table__.columns}
        return {k: v for k, v in values.items() if k not in ("version", "seq")}

    with sessions() as session:
        students = session.scalars(select(Student).where(Student.id.in_(student_ids))).all()
        links = session.scalars(
            select(StudentContact).where(StudentContact.student_id.in_(student_ids))
        ).all()
        enrollments = session.scalars(select(Enrollment).where(Enrollment.person_id.in_(student_ids))).all()
        return {
            "student": {s.id: plain(s) for s in students},
            "student_contact": {link.id: plain(link) for link in links},
            "enrollment": {e.id: plain(e) for e in enrollments},
        }


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def pulled(client: Api) -> tuple[Held, int]:
    changes, cursor = client.all_changes()
    return hold({}, changes), cursor


def test_merge_moves_links_and_enrollments_without_doubles_and_writes_the_chosen_fields(
    live_server: LiveServer, connect: Connect, pair: Pair
) -> None:
    admin = connect(DISTRICT)
    cache, cursor = pulled(admin)
    sent = taking(pair)
    [result] = admin.operate(sent)
    assert result["status"] == "applied", result
    assert result["message"] == (
        "Jon Smith merged into John Smith: 1 family link(s) and 1 enrollment(s) moved; "
        "1 family link(s) and 1 enrollment(s) that John Smith already had were removed"
    )

    after = rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"])
    assert list(after["student"]) == [pair.kept["id"]]
    john = after["student"][pair.kept["id"]]
    assert (john["birth_date"], john["student_number"], john["first_name"]) == (
        dt.date(2017, 1, 3),
        "OLD-7",
        "John",
    )
    links = {link["contact_id"]: link for link in after["student_contact"].values()}
    assert set(links) == {pair.own_link["contact_id"], pair.moving_link["contact_id"]}  # no double
    assert links[pair.moving_link["contact_id"]]["id"] == pair.moving_link["id"]
    assert links[pair.moving_link["contact_id"]]["relationship"] == "guardian"
    assert links[pair.own_link["contact_id"]]["id"] == pair.own_link["id"]
    enrollments = {e["classroom_id"]: e["id"] for e in after["enrollment"].values()}
    assert enrollments == {
        pair.own_enrollment["classroom_id"]: pair.own_enrollment["id"],
        pair.moving_enrollment["classroom_id"]: pair.moving_enrollment["id"],
    }

    # The answer carries every changed record: a cache applying it is the server's state.
    changed = {(r["type"], r["id"], r["deleted"]) for r in result["records"]}
    assert changed == {
        ("student", pair.kept["id"], False),
        ("student_contact", pair.moving_link["id"], False),
        ("enrollment", pair.moving_enrollment["id"], False),
        ("student_contact", pair.doubled_link["id"], True),
        ("enrollment", pair.doubled_enrollment["id"], True),
        ("student", pair.duplicate["id"], True),
    }
    assert hold(dict(cache), result["records"]) == pulled(admin)[0]

    # The feed tells every client to drop Jon.
    feed, _ = admin.all_changes(since=cursor)
    assert {"seq", "type", "id", "version", "deleted", "data"} <= feed[0].keys()
    gone = {(c["type"], c["id"]) for c in feed if c["deleted"]}
    assert ("student", pair.duplicate["id"]) in gone
    assert hold(dict(cache), feed) == pulled(admin)[0]

    [entry] = admin.http.get("/audit").json()["entries"]
    assert (entry["kind"], entry["target_id"], entry["op_id"]) == (
        "merge_students",
        pair.kept["id"],
        sent["op_id"],
    )
    assert entry["before"]["merged"] == "Jon Smith" and entry["before"]["kept"] == "John Smith"
    assert entry["before"]["fields"] == {
        "birth_date": "2017-03-01",
        "student_number": pair.kept["student_number"],
    }
    assert entry["before"]["merged_record"]["student_number"] == "OLD-7"
    assert entry["after"] == {
        "kept": "John Smith",
        "fields": TAKE,
        "family_links_moved": 1,
        "family_links_removed": 1,
        "enrollments_moved": 1,
        "enrollments_removed": 1,
    }


def test_unmerge_brings_every_field_link_and_enrollment_back_exactly(
    live_server: LiveServer, connect: Connect, pair: Pair
) -> None:
    admin = connect(DISTRICT)
    before = rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"])
    cache, cursor = pulled(admin)
    sent = taking(pair)
    [merged] = admin.operate(sent)
    assert merged["status"] == "applied", merged
    between = hold(dict(cache), merged["records"])
    _, between_cursor = admin.all_changes(since=cursor)
    kept_now = next(r for r in merged["records"] if r["id"] == pair.kept["id"])

    [undone] = admin.operate(unmerge(pair.kept, pair.duplicate, sent, version=kept_now["version"]))
    assert undone["status"] == "applied", undone
    assert undone["message"] == (
        "Merge undone: Jon Smith is back with 2 family link(s) and 2 enrollment(s); "
        "John Smith's birth date, student number put back"
    )
    assert rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"]) == before

    now = pulled(admin)[0]
    assert hold(dict(between), undone["records"]) == now  # the answer alone brings a cache up to date
    assert hold(dict(between), admin.all_changes(since=between_cursor)[0]) == now
    from_before, _ = admin.all_changes(since=cursor)
    assert ("student", pair.duplicate["id"]) not in {
        (c["type"], c["id"]) for c in from_before if c["deleted"]
    }
    assert hold(dict(cache), from_before) == now

    with live_server.sessions() as session:
        record = session.scalars(select(StudentMerge)).one()
        assert record.undone_at is not None and record.op_id == sent["op_id"]
    [again] = admin.operate(unmerge(pair.kept, pair.duplicate, sent))
    assert (again["status"], again["message"]) == (
        "rejected",
        "This merge was not found or was already undone",
    )
    entries = admin.http.get("/audit").json()["entries"]
    assert [e["kind"] for e in entries] == ["merge_students", "unmerge_students"]
    assert entries[1]["after"]["restored"] == "Jon Smith"
    assert entries[1]["after"]["fields"] == {
        "birth_date": "2017-03-01",
        "student_number": pair.kept["student_number"],
    }


def test_a_merge_without_fields_keeps_the_survivors_version_and_undoes_cleanly(
    live_server: LiveServer, connect: Connect, district: District, pair: Pair
) -> None:
    teacher_email = "teacher.a2@example.org"
    add_user(live_server.sessions, teacher_email, "teacher", PASSWORD, [district.school_a["id"]],
             staff_id=district.teacher_a2["id"])  # fmt: skip
    admin, teacher = connect(DISTRICT), connect(teacher_email)
    before = rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"])
    cache, cursor = pulled(teacher)
    assert ("student", pair.kept["id"]) not in cache
    sent = merge(pair.kept, pair.duplicate)
    [result] = admin.operate(sent)
    assert result["status"] == "applied", result
    kept_now = next(r for r in result["records"] if r["id"] == pair.kept["id"])
    assert kept_now["version"] == pair.kept["version"] and kept_now["seq"] > pair.kept["seq"]
    # John's new class is taught by this teacher: the feed brings John to them.
    seen = hold(cache, teacher.all_changes(since=cursor)[0])
    assert seen == pulled(teacher)[0] and ("student", pair.kept["id"]) in seen
    [undone] = admin.operate(unmerge(pair.kept, pair.duplicate, sent))
    assert undone["status"] == "applied", undone
    assert rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"]) == before


def test_sending_a_merge_or_its_undo_twice_applies_it_once(
    live_server: LiveServer, connect: Connect, pair: Pair
) -> None:
    admin = connect(DISTRICT)
    sent = taking(pair)
    first, second = admin.operate(sent), admin.operate(sent)
    assert first == second and first[0]["status"] == "applied"
    undo = unmerge(pair.kept, pair.duplicate, sent)
    first_undo, second_undo = admin.operate(undo), admin.operate(undo)
    assert first_undo == second_undo and first_undo[0]["status"] == "applied"
    assert count(live_server.sessions, StudentMerge) == 1
    assert count(live_server.sessions, AuditLog) == 2
    with live_server.sessions() as session:
        assert session.get(Student, pair.duplicate["id"]).version == 2  # type: ignore[union-attr]


def test_a_stale_version_of_either_record_is_a_conflict_that_changes_nothing(
    live_server: LiveServer, connect: Connect, pair: Pair
) -> None:
    admin = connect(DISTRICT)
    renamed = {"first_name": "Jonathan"}
    [update] = admin.operate(
        {
            "op_id": str(uuid.uuid4()),
            "kind": "update_student",
            "target": {"type": "student", "id": pair.duplicate["id"], "version": 1},
            "params": {"fields": renamed, "was": {"first_name": "Jon"}},
        }
    )
    assert update["status"] == "applied"
    [update] = admin.operate(
        {
            "op_id": str(uuid.uuid4()),
            "kind": "update_student",
            "target": {"type": "student", "id": pair.kept["id"], "version": 1},
            "params": {"fields": {"birth_date": "2017-04-04"}, "was": {"birth_date": "2017-03-01"}},
        }
    )
    assert update["status"] == "applied"
    before = rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"])
    _, cursor = admin.all_changes()

    [stale_duplicate] = admin.operate(merge({**pair.kept, "version": 2}, pair.duplicate))
    assert stale_duplicate["status"] == "conflict"
    assert stale_duplicate["message"] == (
        f"The student Jonathan {pair.duplicate['last_name']} changed on the server (version 2, you had 1). "
        "Refresh and try again."
    )
    assert pair.duplicate["id"] not in stale_duplicate["message"]
    [stale_field] = admin.operate(taking(pair) | {"also": []})
    assert stale_field["status"] == "conflict"
    assert stale_field["message"] == (
        "The student's birth date changed on the server since you saw it (version 2, you had 1). "
        "Refresh and try again."
    )
    for result in (stale_duplicate, stale_field):
        assert result["records"] == []
    assert rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"]) == before
    assert admin.all_changes(since=cursor)[0] == []
    assert count(live_server.sessions, StudentMerge) == 0
    assert count(live_server.sessions, AuditLog) == 2

    # Field-level: the kept record moved on in other fields only, so the merge applies.
    other = merge(pair.kept, {**pair.duplicate, "version": 2}, {"grade": "4"}, {"grade": "3"})
    [applied] = admin.operate(other)
    assert applied["status"] == "applied", applied


def test_an_undo_is_a_conflict_when_a_field_the_merge_wrote_changed_since(
    live_server: LiveServer, connect: Connect, pair: Pair
) -> None:
    admin = connect(DISTRICT)
    sent = taking(pair)
    [merged] = admin.operate(sent)
    kept_now = next(r for r in merged["records"] if r["id"] == pair.kept["id"])
    [update] = admin.operate(
        {
            "op_id": str(uuid.uuid4()),
            "kind": "update_student",
            "target": {"type": "student", "id": pair.kept["id"], "version": kept_now["version"]},
            "params": {"fields": {"student_number": "S-NEW"}, "was": {"student_number": "OLD-7"}},
        }
    )
    assert update["status"] == "applied"
    [result] = admin.operate(unmerge(pair.kept, pair.duplicate, sent))
    assert (result["status"], result["message"]) == (
        "conflict",
        "John Smith's student number changed after the merge; undoing it would overwrite that change. "
        "Check the record, then try again.",
    )
    with live_server.sessions() as session:
        assert session.get(Student, pair.duplicate["id"]) is None
        assert session.scalars(select(StudentMerge.undone_at)).one() is None


def test_records_from_the_sis_are_never_merged_away(
    live_server: LiveServer, connect: Connect, district: District, pair: Pair
) -> None:
    build = RecordBuilder(live_server.sessions)
    synced = build.student(district.school_a["id"], origin="sync", source_id="sis-42")
    admin = connect(DISTRICT)
    [both] = admin.operate(merge(pair.kept, synced))
    assert (both["status"], both["message"]) == (
        "rejected",
        "Both records come from your SIS; fix the duplicate there and the next sync will correct Connect.",
    )
    [into_manual] = admin.operate(merge(pair.duplicate, pair.kept))
    assert (into_manual["status"], into_manual["message"]) == (
        "rejected",
        f"{_full(pair.kept)} comes from your SIS and {_full(pair.duplicate)} does not: "
        f"keep {_full(pair.kept)} and merge {_full(pair.duplicate)} into it.",
    )
    [itself] = admin.operate(merge(pair.kept, pair.kept) | {"also": []})
    assert (itself["status"], itself["message"]) == (
        "rejected",
        "A student record cannot be merged with itself; choose two different records",
    )
    [missing] = admin.operate(merge(pair.kept, {"id": str(uuid.uuid4()), "version": 1}) | {"also": []})
    assert (missing["status"], missing["message"]) == (
        "rejected",
        "The duplicate record is no longer on the server; refresh and check the pair again",
    )
    [never] = admin.operate(unmerge(pair.kept, pair.duplicate, merge(pair.kept, pair.duplicate)))
    assert (never["status"], never["message"]) == (
        "rejected",
        "This merge was not found or was already undone",
    )
    assert count(live_server.sessions, StudentMerge) == 0 and count(live_server.sessions, AuditLog) == 0


def test_a_school_admin_merges_only_within_their_schools(
    live_server: LiveServer, connect: Connect, district: District, pair: Pair
) -> None:
    build = RecordBuilder(live_server.sessions)
    in_b = build.student(district.school_b["id"], first_name="Jon", last_name="Smith")
    class_in_b = build.enroll(district.class_b, pair.duplicate["id"])
    admin_a = connect(ADMIN_A)
    before = rows(live_server.sessions, pair.kept["id"], in_b["id"], district.student_b1["id"])
    [across] = admin_a.operate(merge(pair.kept, in_b) | {"also": []})
    assert (across["status"], across["message"]) == (
        "rejected",
        "The duplicate record is no longer on the server or is not in one of your schools; "
        "refresh and check the pair again",
    )
    [as_kept] = admin_a.operate(merge(district.student_b1, pair.duplicate))
    assert as_kept["status"] == "rejected"
    assert as_kept["message"].startswith("The record to keep is no longer on the server or is not in one")
    # Jon's class in school B keeps a school A admin from moving it.
    [in_class_b] = admin_a.operate(merge(pair.kept, pair.duplicate))
    assert (in_class_b["status"], in_class_b["message"]) == (
        "rejected",
        "Jon Smith has family links or classes in a school you do not manage; a district admin can do this "
        "for you",
    )
    assert rows(live_server.sessions, pair.kept["id"], in_b["id"], district.student_b1["id"]) == before
    teacher = connect(TEACHER_A)
    response = teacher.http.post("/operations", json={"operations": [merge(pair.kept, pair.duplicate)]})
    assert response.status_code == 403
    assert count(live_server.sessions, StudentMerge) == 0 and count(live_server.sessions, AuditLog) == 0

    # Within school A (once the class in B is gone) the school admin merges and undoes.
    with live_server.sessions.begin() as session:
        session.execute(text("DELETE FROM enrollment WHERE id = :id"), {"id": class_in_b["id"]})
    sent = merge(pair.kept, pair.duplicate)
    assert admin_a.operate(sent)[0]["status"] == "applied"
    assert admin_a.operate(unmerge(pair.kept, pair.duplicate, sent))[0]["status"] == "applied"


def test_school_admins_feeds_follow_links_that_change_school(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    """Jon (school B) merged into John (school A): parent B moves from B's view into A's."""
    add_user(live_server.sessions, ADMIN_B, "school_admin", PASSWORD, [district.school_b["id"]])
    build = RecordBuilder(live_server.sessions)
    john = build.student(district.school_a["id"], origin="sync", source_id="sis-9", first_name="John")
    jon = build.student(district.school_b["id"], first_name="Jon", last_name="Smith")
    build.link(jon, district.contact_b)
    only_jons = build.contact(first_name="Only", last_name="Jons")
    build.link(jon, only_jons)
    build.enroll(district.class_b, jon["id"])
    admin, admin_a, admin_b = connect(DISTRICT), connect(ADMIN_A), connect(ADMIN_B)
    caches = {client: pulled(client) for client in (admin_a, admin_b)}
    assert ("contact", district.contact_b["id"]) not in caches[admin_a][0]
    sent = merge(john, jon)
    [result] = admin.operate(sent)
    assert result["status"] == "applied", result
    for client, (cache, cursor) in caches.items():
        feed, cursor = client.all_changes(since=cursor)
        caches[client] = (hold(cache, feed), cursor)
        assert caches[client][0] == pulled(client)[0]
    assert ("contact", district.contact_b["id"]) in caches[admin_a][0]
    # Parent B is still in school B through Jon's old classmate student_b1's link: it stays there.
    assert ("contact", district.contact_b["id"]) in caches[admin_b][0]
    assert ("student", jon["id"]) not in caches[admin_b][0]
    assert ("contact", only_jons["id"]) not in caches[admin_b][0]
    assert ("contact", only_jons["id"]) in caches[admin_a][0]

    [refused] = admin_a.operate(unmerge(john, jon, sent))
    assert (refused["status"], refused["message"]) == (
        "rejected",
        "Jon Smith's record, family links or classes are in a school you do not manage; a district admin "
        "can do this for you",
    )
    assert admin.operate(unmerge(john, jon, sent))[0]["status"] == "applied"
    for client, (cache, cursor) in caches.items():
        assert hold(cache, client.all_changes(since=cursor)[0]) == pulled(client)[0]
    assert {("student", jon["id"]), ("contact", only_jons["id"])} <= pulled(admin_b)[0].keys()
    assert ("contact", only_jons["id"]) not in pulled(admin_a)[0]


@pytest.fixture
def trap(live_server: LiveServer, pair: Pair) -> Iterator[None]:
    """A database trigger that fails the delete of Jon's row: the last step of a merge."""
    engine = live_server.sessions.kw["bind"]
    jon = pair.duplicate["id"]
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text(
                f"CREATE TRIGGER trap BEFORE DELETE ON student WHEN old.id = '{jon}' "
                "BEGIN SELECT RAISE(ABORT, 'trapped'); END"
            ))  # fmt: skip
        else:
            connection.execute(text(
                "CREATE FUNCTION trap() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'trapped'; END $$ "
                "LANGUAGE plpgsql"
            ))  # fmt: skip
            connection.execute(text(
                f"CREATE TRIGGER trap BEFORE DELETE ON student FOR EACH ROW WHEN (OLD.id = '{jon}') "
                "EXECUTE FUNCTION trap()"
            ))  # fmt: skip
    yield
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER IF EXISTS trap"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS trap ON student"))
            connection.execute(text("DROP FUNCTION IF EXISTS trap()"))


def test_a_failure_in_the_middle_of_a_merge_leaves_nothing_half_moved(
    live_server: LiveServer, connect: Connect, pair: Pair, trap: None
) -> None:
    admin = connect(DISTRICT)
    before = rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"])
    _, cursor = admin.all_changes()
    sent = taking(pair)
    response = admin.http.post("/operations", json={"operations": [sent]})
    assert response.status_code == 500, response.text
    assert "nothing was changed" in response.json()["detail"]
    assert rows(live_server.sessions, pair.kept["id"], pair.duplicate["id"]) == before
    assert admin.all_changes(since=cursor)[0] == []
    with live_server.sessions() as session:
        assert session.get(AppliedOperation, sent["op_id"]) is None  # not recorded: sending again applies it
    assert count(live_server.sessions, StudentMerge) == 0 and count(live_server.sessions, AuditLog) == 0

    engine = live_server.sessions.kw["bind"]
    with engine.begin() as connection:
        connection.execute(
            text("DROP TRIGGER trap" + ("" if engine.dialect.name == "sqlite" else " ON student"))
        )
    [result] = admin.operate(sent)
    assert result["status"] == "applied", result
    assert count(live_server.sessions, StudentMerge) == 1


def test_an_undo_after_180_days_is_refused_in_plain_words(live_server: LiveServer, pair: Pair) -> None:
    now = [dt.datetime(2026, 6, 1, 9, 30)]
    with (
        LiveServer(live_server.sessions, clock=lambda: now[0]) as server,
        httpx.Client(base_url=server.api, timeout=30) as http,
    ):

        def operate(operation: dict[str, Any]) -> dict[str, Any]:
            token = http.post("/auth/token", json={"username": DISTRICT, "password": PASSWORD})
            headers = {"Authorization": "Bearer " + token.json()["access_token"]}
            response = http.post("/operations", json={"operations": [operation]}, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()["results"][0]  # type: ignore[no-any-return]

        sent = taking(pair)
        assert operate(sent)["status"] == "applied"
        with live_server.sessions() as session:
            assert session.scalars(select(StudentMerge.merged_at)).one() == now[0]
        now[0] += dt.timedelta(days=UNMERGE_DAYS, minutes=1)
        late = operate(unmerge(pair.kept, pair.duplicate, sent))
        assert (late["status"], late["message"]) == (
            "rejected",
            "These records were merged on June 1, 2026; a merge can be undone for 180 days only, so this "
            "one can no longer be undone. If they are two different children, add the second one again as "
            "a new student.",
        )
        with live_server.sessions() as session:
            assert session.get(Student, pair.duplicate["id"]) is None
        now[0] -= dt.timedelta(minutes=2)  # still within the 180 days
        assert operate(unmerge(pair.kept, pair.duplicate, sent))["status"] == "applied"


def _full(student: dict[str, Any]) -> str:
    return f"{student['first_name']} {student['last_name']}"

"""The operation model beyond status flips, end to end against the real server.

Field updates that remember what the user saw, records created under client ids and
referred to before they are sent, the effective state of every record an operation
touches, and a plan staged in one streamed transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import select, text

from connect_desktop import session as accounts
from connect_desktop.api.schema import Operation, OperationTarget
from connect_desktop.domain.changes import inverse_update
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover.plan import Plan, Selection
from connect_desktop.store.effective import effective_record
from connect_desktop.store.models import Student
from connect_desktop.sync.outbox import Outbox, RecordNotFoundError, StageItem, StagingError, new_record_id
from connect_desktop.sync.pull import pull
from connect_desktop.sync.push import push
from connect_desktop.yearend.steps import Step
from tests.desktop.conftest import Desk, District
from tests.desktop.serverdata import (
    audit_counts,
    cache_snapshot,
    server_snapshot,
    student_versions,
    touch_student,
)
from tests.support.server import LiveServer, add_user


def _effective(desk: Desk, entity: EntityType, record_id: str) -> dict[str, Any] | None:
    with desk.cache.sessions() as session:
        return effective_record(session, entity, record_id)


def _states(desk: Desk, op_ids: list[str]) -> list[tuple[str, str | None]]:
    with desk.cache.sessions() as session:
        rows = session.execute(
            text("SELECT op_id, state, result_message FROM pending_operation"),
        ).all()
    by_id = {op_id: (state, message) for op_id, state, message in rows}
    return [by_id[op_id] for op_id in op_ids]


def _update(student_id: str, **fields: Any) -> StageItem:
    return StageItem("update_student", student_id, {"fields": fields})


def test_a_staged_update_shows_at_once_remembers_what_was_seen_and_applies(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[0]
    [op_id] = Outbox(desk.cache).stage_many([_update(kid["id"], first_name="Annabel", grade="K")], step="fix")
    with desk.cache.sessions() as session:
        (params,) = session.execute(text("SELECT params FROM pending_operation")).one()
    assert '"was"' in params and kid["first_name"] in params
    seen = _effective(desk, EntityType.STUDENT, kid["id"])
    assert seen is not None and (seen["first_name"], seen["grade"]) == ("Annabel", "K")

    result = push(desk.cache, desk.client)
    assert (result.applied, result.conflicts, result.rejected) == (1, 0, 0)
    assert audit_counts(live_server.sessions) == {op_id: 1}
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)
    server_kid = server_snapshot(live_server.sessions)["student"][kid["id"]]
    assert "Annabel" in server_kid and "K" in server_kid


def test_an_update_applies_over_other_fields_changes_and_conflicts_on_its_own(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[1]
    outbox = Outbox(desk.cache)
    [merged] = outbox.stage_many([_update(kid["id"], first_name="Bea")], step="fix")
    touch_student(live_server.sessions, kid["id"], grade="6")  # someone else, another field
    assert push(desk.cache, desk.client).applied == 1
    snapshot = server_snapshot(live_server.sessions)["student"][kid["id"]]
    assert "Bea" in snapshot and "6" in snapshot  # both changes kept

    [clash] = outbox.stage_many([_update(kid["id"], last_name="Stone")], step="fix")
    touch_student(live_server.sessions, kid["id"], last_name="Rivers")  # the same field
    result = push(desk.cache, desk.client)
    assert (result.applied, result.conflicts) == (0, 1)
    [(state, message)] = _states(desk, [clash])
    assert state == "conflict" and message is not None and "last name changed on the server" in message
    assert audit_counts(live_server.sessions) == {merged: 1}

    pull(desk.cache, desk.client)
    retried = outbox.retry(clash)
    assert push(desk.cache, desk.client).applied == 1
    assert "Stone" in server_snapshot(live_server.sessions)["student"][kid["id"]]
    assert audit_counts(live_server.sessions) == {merged: 1, retried: 1}


def test_two_updates_of_one_student_both_apply_in_order(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[2]
    Outbox(desk.cache).stage_many(
        [_update(kid["id"], first_name="Cy"), _update(kid["id"], first_name="Cyrus")], step="fix"
    )
    result = push(desk.cache, desk.client)
    assert (result.applied, result.conflicts) == (2, 0)
    assert "Cyrus" in server_snapshot(live_server.sessions)["student"][kid["id"]]
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)


def test_undoing_an_update_puts_back_the_values_seen() -> None:
    params = {"fields": {"first_name": "Cyrus", "grade": "3"}, "was": {"first_name": "Cy", "grade": "2"}}
    assert inverse_update(params) == {
        "fields": {"first_name": "Cy", "grade": "2"},
        "was": {"first_name": "Cyrus", "grade": "3"},
    }


def test_bad_updates_are_refused_when_staged_and_stage_nothing(desk: Desk, district: District) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[0]["id"]
    outbox = Outbox(desk.cache)
    cases = [
        (_update(kid, grade="13"), "Grade must be one of K, 1"),
        (_update(kid, first_name="  "), "First name must be filled in."),
        (_update(kid, school_id="x"), "School id cannot be set here"),
        (_update(kid), "must change at least one field"),
        (_update(kid, birth_date="30/09/2014"), "Birth date must be a date like 2014-09-30."),
    ]
    for item, message in cases:
        with pytest.raises(StagingError, match=message):
            outbox.stage_many([_update(district.students[1]["id"], first_name="Ok"), item], step="fix")
    with desk.cache.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM pending_operation")).scalar_one() == 0
        assert session.execute(text("SELECT count(*) FROM staged_change")).scalar_one() == 0


def _new_contact(contact_id: str, school_id: str, **extra: Any) -> StageItem:
    fields = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "maria@example.org",
        "school_id": school_id,
    }
    return StageItem("create_contact", contact_id, {**fields, **extra})


def _link(link_id: str, student_id: str, contact_id: str) -> StageItem:
    return StageItem(
        "link_contact",
        link_id,
        {"student_id": student_id, "contact_id": contact_id, "relationship": "mother"},
    )


def test_a_new_contact_and_its_link_are_staged_together_and_created_on_the_server(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[5]
    contact_id, link_id = new_record_id(), new_record_id()
    op_ids = Outbox(desk.cache).stage_many(
        [_new_contact(contact_id, kid["school_id"]), _link(link_id, kid["id"], contact_id)], step="back"
    )
    contact = _effective(desk, EntityType.CONTACT, contact_id)
    link = _effective(desk, EntityType.STUDENT_CONTACT, link_id)
    assert contact is not None and (contact["first_name"], contact["email"]) == ("Maria", "maria@example.org")
    assert link is not None and (link["student_id"], link["contact_id"]) == (kid["id"], contact_id)

    result = push(desk.cache, desk.client)
    assert (result.applied, result.rejected) == (2, 0), _states(desk, op_ids)
    server = server_snapshot(live_server.sessions)
    assert contact_id in server["contact"] and link_id in server["student_contact"]
    assert (
        kid["school_id"] in server["student_contact"][link_id]
    )  # the link is filed under the student's school
    assert cache_snapshot(desk.cache) == server
    assert audit_counts(live_server.sessions) == dict.fromkeys(op_ids, 1)


def test_a_create_sent_twice_is_applied_once(desk: Desk, district: District, live_server: LiveServer) -> None:
    pull(desk.cache, desk.client)
    contact_id = new_record_id()
    [op_id] = Outbox(desk.cache).stage_many(
        [_new_contact(contact_id, district.schools[0]["id"])], step="back"
    )
    assert push(desk.cache, desk.client).applied == 1
    with desk.cache.sessions.begin() as session:  # as if the program died before storing the answer
        session.execute(text("UPDATE pending_operation SET state = 'sending' WHERE op_id = :o"), {"o": op_id})
    again = push(desk.cache, desk.client)
    assert (again.sent, again.applied, again.rejected) == (1, 1, 0)
    assert audit_counts(live_server.sessions) == {op_id: 1}
    assert list(server_snapshot(live_server.sessions)["contact"]).count(contact_id) == 1


def test_links_need_their_student_and_contact_and_ids_are_not_reused(desk: Desk, district: District) -> None:
    pull(desk.cache, desk.client)
    outbox = Outbox(desk.cache)
    kid = district.students[0]
    with pytest.raises(RecordNotFoundError, match=r"family contact \S+ is neither in the local copy"):
        outbox.stage_many([_link(new_record_id(), kid["id"], new_record_id())], step="back")
    with pytest.raises(RecordNotFoundError, match="student no-such-kid is neither in the local copy"):
        contact_id = new_record_id()
        outbox.stage_many(
            [_new_contact(contact_id, kid["school_id"]), _link(new_record_id(), "no-such-kid", contact_id)],
            step="back",
        )
    with desk.cache.sessions() as session:
        taken = session.execute(text("SELECT id FROM contact LIMIT 1")).scalar_one()
    with pytest.raises(StagingError, match="exists already"):
        outbox.stage_many([_new_contact(taken, kid["school_id"])], step="back")
    with pytest.raises(StagingError, match="not an email address"):
        outbox.stage_many([_new_contact(new_record_id(), kid["school_id"], email="maria")], step="back")
    with desk.cache.sessions() as session:
        assert session.execute(text("SELECT count(*) FROM pending_operation")).scalar_one() == 0


def test_the_server_refuses_a_contact_in_a_school_admins_other_school(
    live_server: LiveServer, district: District
) -> None:
    add_user(
        live_server.sessions,
        "office@lincoln.test",
        "school_admin",
        "pw-lincoln-1",
        [district.schools[0]["id"]],
    )
    signed_in = accounts.login(live_server.url, "office@lincoln.test", "pw-lincoln-1")
    client = accounts.client_for(signed_in.account)
    try:
        contact_id = new_record_id()
        fields = {"first_name": "Ann", "last_name": "Other", "school_id": district.schools[1]["id"]}
        target = OperationTarget(type=EntityType.CONTACT, id=contact_id, version=0)
        response = client.operations(
            [Operation(op_id=new_record_id(), kind="create_contact", target=target, params=fields)]
        )
        [answer] = response.results
        assert (answer.status.value, answer.message) == (
            "rejected",
            "A new family contact must belong to one of your schools",
        )
    finally:
        client.close()
    assert contact_id not in server_snapshot(live_server.sessions)["contact"]


def _all_students_plan(desk: Desk, connection: Any) -> Plan[Any]:
    table = Student.__table__
    query = select(table.c.id, table.c.last_name).order_by(table.c.last_name)
    count = connection.execute(text("SELECT count(*) FROM student")).scalar_one()
    return Plan(Step.NON_RETURNING_STUDENTS, OperationKind.ARCHIVE_STUDENT, count, connection, query, tuple)


def test_a_plan_is_staged_in_one_statement_and_all_or_none(desk: Desk, district: District) -> None:
    pull(desk.cache, desk.client)
    outbox = Outbox(desk.cache)
    keep_out = district.students[0]["id"]
    with desk.cache.engine.connect() as connection:
        plan = _all_students_plan(desk, connection)
        with desk.cache.raw() as raw:
            raw.execute(
                "CREATE TRIGGER fail_late BEFORE INSERT ON staged_change "
                "WHEN (SELECT count(*) FROM staged_change) >= 5 "
                "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
        with pytest.raises(Exception, match="disk trouble"):
            outbox.stage_plan(plan, Selection(excluded=frozenset({keep_out})))
        with desk.cache.sessions() as session:
            assert session.execute(text("SELECT count(*) FROM pending_operation")).scalar_one() == 0
        with desk.cache.raw() as raw:
            raw.execute("DROP TRIGGER fail_late")
        staged = outbox.stage_plan(plan, Selection(excluded=frozenset({keep_out})))
        assert staged == len(district.students) - 1
        assert outbox.stage_plan(plan, Selection()) == 1  # only the one left out is new
    archived = [_effective(desk, EntityType.STUDENT, s["id"]) for s in district.students]
    assert {record["status"] for record in archived if record is not None} == {"archived"}
    with desk.cache.sessions() as session:
        op_ids = session.execute(text("SELECT count(DISTINCT op_id) FROM pending_operation")).scalar_one()
    assert op_ids == len(district.students)


def test_old_caches_keep_their_staged_changes_visible(tmp_path: Any) -> None:
    from alembic import command

    from connect_desktop.store.db import alembic_config, make_engine

    path = tmp_path / "old.sqlite"
    engine = make_engine(path)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO student (id, version, origin, school_id, student_number, first_name, "
            "last_name, grade, status) VALUES ('s1', 3, 'manual', 'sc', '1', 'A', 'B', '2', 'active')"
        )
        raw.execute(
            "INSERT INTO pending_operation (op_id, kind, target_type, target_id, base_version, params, step, "
            "created_at, state) VALUES ('o1', 'archive_student', 'student', 's1', 3, '{}', 'students', "
            "'2026-06-01 10:00:00', 'pending')"
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        record = effective_record(session, EntityType.STUDENT, "s1")
    engine.dispose()
    assert record is not None and record["status"] == "archived"


def test_a_new_record_cannot_be_taken_out_while_a_staged_change_needs_it(
    desk: Desk, district: District
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[4]
    contact_id = new_record_id()
    outbox = Outbox(desk.cache)
    create, link = outbox.stage_many(
        [_new_contact(contact_id, kid["school_id"]), _link(new_record_id(), kid["id"], contact_id)],
        step="back",
    )
    with pytest.raises(StagingError, match="needs a new record that a change you are taking out creates"):
        outbox.discard([create])
    assert _states(desk, [create, link]) == [("pending", None), ("pending", None)]
    assert outbox.discard([link, create]) == 2
    assert _effective(desk, EntityType.CONTACT, contact_id) is None


def test_a_staged_delete_hides_the_record_and_discarding_it_brings_it_back(
    desk: Desk, district: District
) -> None:
    pull(desk.cache, desk.client)
    kid = district.students[6]["id"]
    outbox = Outbox(desk.cache)
    [op_id] = outbox.stage_many([_update(kid, first_name="Dee")], step="fix")
    [doomed] = outbox.stage_many([StageItem("delete_student", kid)], step="fix")
    assert _effective(desk, EntityType.STUDENT, kid) is None
    outbox.discard([doomed])
    record = _effective(desk, EntityType.STUDENT, kid)
    assert record is not None and record["first_name"] == "Dee"
    outbox.discard([op_id])
    record = _effective(desk, EntityType.STUDENT, kid)
    assert record is not None and record["first_name"] == district.students[6]["first_name"]


def test_the_review_names_new_records_as_a_person_knows_them(desk: Desk, district: District) -> None:
    from connect_desktop.store.overview import target_names

    pull(desk.cache, desk.client)
    kid = district.students[7]
    contact_id, link_id = new_record_id(), new_record_id()
    Outbox(desk.cache).stage_many(
        [_new_contact(contact_id, kid["school_id"]), _link(link_id, kid["id"], contact_id)], step="back"
    )
    with desk.cache.sessions() as session:
        names = target_names(session, [("contact", contact_id), ("student_contact", link_id)])
    assert names[("contact", contact_id)] == "Lopez, Maria (new)"
    assert names[("student_contact", link_id)] == (
        f"Maria Lopez (mother) of {kid['first_name']} {kid['last_name']}"
    )


def test_the_server_checks_every_record_an_operation_names_in_one_transaction(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    kid, other = district.students[8], district.students[9]
    contact = {"first_name": "Ola", "last_name": "Berg", "school_id": kid["school_id"]}
    contact_id = new_record_id()
    created = Operation(
        op_id=new_record_id(),
        kind="create_contact",
        target=OperationTarget(type=EntityType.CONTACT, id=contact_id, version=0),
        params=contact,
    )
    assert desk.client.operations([created]).results[0].status.value == "applied"

    def link(*also: OperationTarget) -> Any:
        params = {"student_id": kid["id"], "contact_id": contact_id, "relationship": "father"}
        target = OperationTarget(type=EntityType.STUDENT_CONTACT, id=new_record_id(), version=0)
        sent = Operation(
            op_id=new_record_id(), kind="link_contact", target=target, params=params, also=list(also)
        )
        [answer] = desk.client.operations([sent]).results
        return answer

    def links_of_kid() -> int:
        return sum(
            kid["id"] in row for row in server_snapshot(live_server.sessions)["student_contact"].values()
        )

    before = links_of_kid()
    version = student_versions(live_server.sessions, [kid["id"]])[kid["id"]]
    stale = link(OperationTarget(type=EntityType.STUDENT, id=kid["id"], version=version + 5))
    assert stale.status.value == "conflict" and "changed on the server" in stale.message
    stranger = link(OperationTarget(type=EntityType.STUDENT, id=other["id"], version=None))
    assert stranger.status.value == "rejected" and "does not touch the student" in stranger.message
    assert links_of_kid() == before  # neither wrote anything
    fine = link(
        OperationTarget(type=EntityType.STUDENT, id=kid["id"], version=version),
        OperationTarget(type=EntityType.CONTACT, id=contact_id, version=1),
    )
    assert fine.status.value == "applied" and links_of_kid() == before + 1

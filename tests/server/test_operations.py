"""Year-end operations: idempotency, conflicts, scope, roles, deletes and audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from connect_server.models import AuditLog, Enrollment, Student, StudentContact, Tombstone
from tests.server.conftest import ADMIN_A, DISTRICT, TEACHER_A, Api, District, op
from tests.support.server import LiveServer

Connect = Callable[..., Api]

STATUS_KINDS = [
    ("archive_classroom", "classroom", "class_a", "status", "archived"),
    ("revoke_staff_access", "staff", "teacher_a", "access", "revoked"),
    ("archive_student", "student", "student_a1", "status", "archived"),
]
ALL_KINDS = [
    ("archive_classroom", "classroom", "class_a"),
    ("unarchive_classroom", "classroom", "class_a"),
    ("revoke_staff_access", "staff", "teacher_a"),
    ("restore_staff_access", "staff", "teacher_a"),
    ("archive_student", "student", "student_a1"),
    ("unarchive_student", "student", "student_a1"),
    ("delete_student", "student", "student_a1"),
]


def audit_count(server: LiveServer) -> int:
    with server.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog)) or 0


def sync_settings(district: District) -> dict[str, Any]:
    return {"id": district.sync_settings_id, "version": 1}


def test_status_operations_apply_and_bump_version(connect: Connect, district: District) -> None:
    client = connect(ADMIN_A)
    for kind, target_type, attr, field, value in STATUS_KINDS:
        record = getattr(district, attr)
        [result] = client.operate(op(kind, target_type, record))
        assert result["status"] == "applied", result
        [change] = result["records"]
        assert (change["type"], change["id"], change["version"]) == (target_type, record["id"], 2)
        assert change["data"][field] == value
        assert change["seq"] > record["seq"]


def test_sending_an_operation_twice_applies_it_once(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(ADMIN_A)
    archive = op("archive_student", "student", district.student_a1)
    first = client.operate(archive)
    second = client.operate(archive)
    assert first == second
    with live_server.sessions() as session:
        assert session.get(Student, district.student_a1["id"]).version == 2  # type: ignore[union-attr]
    assert audit_count(live_server) == 1


def test_a_stale_version_is_a_conflict_that_changes_nothing(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(DISTRICT)
    assert client.operate(op("archive_classroom", "classroom", district.class_a))[0]["status"] == "applied"
    _, cursor = client.all_changes()
    stale = op("unarchive_classroom", "classroom", district.class_a, version=1)
    [result] = client.operate(stale)
    assert result["status"] == "conflict"
    assert (
        result["message"] == "The record changed on the server (version 2, you had 1). Refresh and try again."
    )
    assert result["records"] == []
    assert client.all_changes(since=cursor)[0] == []
    assert audit_count(live_server) == 1
    assert client.operate(stale) == [result]  # the conflict is the op's first result, kept
    retry = op("unarchive_classroom", "classroom", district.class_a, version=2)
    assert client.operate(retry)[0]["status"] == "applied"


def test_already_in_that_state_applies_without_changing_anything(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(DISTRICT)
    [result] = client.operate(op("unarchive_student", "student", district.student_a1))
    assert result["status"] == "applied"
    assert result["message"] == "Student was already unarchived; nothing changed"
    assert result["records"][0]["version"] == 1
    assert audit_count(live_server) == 0


def test_delete_student_removes_links_and_enrollments_and_leaves_tombstones(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(ADMIN_A)
    _, cursor = client.all_changes()
    student = district.student_a2
    [result] = client.operate(op("delete_student", "student", student))
    assert result["status"] == "applied", result
    expected = {("student_contact", district.links[1]["id"]), ("enrollment", district.enrollments[3]["id"]),
                ("student", student["id"])}  # fmt: skip
    assert {(r["type"], r["id"]) for r in result["records"]} == expected
    changes, _ = client.all_changes(since=cursor)
    # School A also drops the parent it saw only through this student (still linked in B).
    assert changes[: len(result["records"])] == result["records"]
    assert [(c["type"], c["id"]) for c in changes[len(result["records"]) :]] == [
        ("contact", district.contact_ab["id"])
    ]
    assert all(c["deleted"] for c in changes)
    with live_server.sessions() as session:
        assert session.get(Student, student["id"]) is None
        assert (
            session.scalars(select(StudentContact).where(StudentContact.student_id == student["id"])).all()
            == []
        )
        assert session.scalars(select(Enrollment).where(Enrollment.person_id == student["id"])).all() == []
        assert session.scalar(select(func.count()).select_from(Tombstone)) == 4
    everything, _ = connect(DISTRICT).all_changes()
    assert ("contact", district.contact_ab["id"]) in {(c["type"], c["id"]) for c in everything}, (
        "contacts stay"
    )
    [entry] = connect(DISTRICT).http.get("/audit").json()["entries"]
    assert entry["kind"] == "delete_student"
    assert entry["after"] is None
    assert entry["before"]["student_number"] == student["student_number"]
    assert entry["before"]["enrollment_ids"] == [district.enrollments[3]["id"]]


def test_teachers_cannot_send_any_operation(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    teacher = connect(TEACHER_A)
    for kind, target_type, attr in ALL_KINDS:
        response = teacher.http.post(
            "/operations", json={"operations": [op(kind, target_type, getattr(district, attr))]}
        )
        assert response.status_code == 403, kind
    assert audit_count(live_server) == 0


def test_teachers_cannot_change_sync_settings_or_read_the_audit(connect: Connect, district: District) -> None:
    teacher = connect(TEACHER_A)
    payload = {
        "operations": [op("update_sync_settings", "sync_settings", sync_settings(district), daily_sync=False)]
    }
    assert teacher.http.post("/operations", json=payload).status_code == 403
    assert teacher.http.get("/audit").status_code == 403
    assert connect(ADMIN_A).http.get("/audit").status_code == 403


OTHER_SCHOOLS = [
    ("archive_classroom", "classroom", "class_b", "classroom"),
    ("revoke_staff_access", "staff", "teacher_b", "staff member"),
    ("revoke_staff_access", "staff", "staff_district", "staff member"),
    ("archive_student", "student", "student_b1", "student"),
    ("delete_student", "student", "student_b1", "student"),
]


def test_school_admin_cannot_touch_other_schools(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(ADMIN_A)
    for kind, target_type, attr, label in OTHER_SCHOOLS:
        record = getattr(district, attr)
        [result] = client.operate(op(kind, target_type, record))
        assert (result["status"], result["message"]) == (
            "rejected",
            f"No {label} with id {record['id']} in your schools",
        )
    assert audit_count(live_server) == 0


BAD_OPERATIONS = [
    ({"kind": "explode_school"}, "Unknown operation kind 'explode_school'"),
    (
        {"kind": "archive_student", "type": "classroom"},
        "archive_student applies to a student, not a classroom",
    ),
    (
        {"kind": "archive_student", "params": {"reason": "x"}},
        "This change takes no details (got reason).",
    ),
    ({"kind": "archive_student", "id": "nope"}, "No student with id nope"),
]


def test_bad_operations_are_rejected_with_a_specific_message(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(DISTRICT)
    for operation, message in BAD_OPERATIONS:
        record = {"id": operation.get("id", district.student_a1["id"]), "version": 1}
        sent = op(operation["kind"], operation.get("type", "student"), record, **operation.get("params", {}))
        [result] = client.operate(sent)
        assert (result["status"], result["message"]) == ("rejected", message)
    assert audit_count(live_server) == 0


def test_a_batch_applies_each_operation_on_its_own(connect: Connect, district: District) -> None:
    results = connect(ADMIN_A).operate(
        op("archive_student", "student", district.student_a1),
        op("archive_student", "student", district.student_b1),
        op("archive_classroom", "classroom", district.class_a, version=7),
        op("archive_classroom", "classroom", district.class_a2),
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "conflict", "applied"]


def test_every_applied_operation_is_in_the_audit(connect: Connect, district: District) -> None:
    admin = connect(DISTRICT)
    sent = [
        op("revoke_staff_access", "staff", district.teacher_b),
        op("archive_classroom", "classroom", district.class_b),
        op("update_sync_settings", "sync_settings", sync_settings(district), daily_sync=False),
    ]
    admin.operate(*sent)
    first = admin.http.get("/audit", params={"limit": 2}).json()
    assert first["has_more"]
    rest = admin.http.get("/audit", params={"after": first["next_after"]}).json()
    entries = first["entries"] + rest["entries"]
    assert [e["op_id"] for e in entries] == [s["op_id"] for s in sent]
    assert entries[0]["before"] == {"access": "active"} and entries[0]["after"] == {"access": "revoked"}
    assert entries[2]["before"] == {"daily_sync": True} and entries[2]["after"] == {"daily_sync": False}
    assert {e["target_id"] for e in entries} == {
        district.teacher_b["id"],
        district.class_b["id"],
        district.sync_settings_id,
    }


def test_district_admin_updates_sync_settings(connect: Connect, district: District) -> None:
    admin = connect(DISTRICT)
    pauses = [
        {"portion": "classrooms", "from": None, "until": "2026-08-15"},
        {"portion": "all", "from": "2026-07-01"},
    ]
    [result] = admin.operate(
        op("update_sync_settings", "sync_settings", sync_settings(district), pauses=pauses,
           thresholds={"students": 10, "staff": 12.5})
    )  # fmt: skip
    assert result["status"] == "applied", result
    data = result["records"][0]["data"]
    assert data["pauses"] == [
        {"portion": "classrooms", "from": None, "until": "2026-08-15"},
        {"portion": "all", "from": "2026-07-01", "until": None},
    ]
    assert data["thresholds"] == {"students": 10, "staff": 12.5}
    assert admin.http.get("/sync/settings").json() == result["records"][0]
    [merged] = admin.operate(
        op("update_sync_settings", "sync_settings", {"id": district.sync_settings_id, "version": 2},
           thresholds={"staff": None, "classrooms": 5})
    )  # fmt: skip
    assert merged["records"][0]["data"]["thresholds"] == {"students": 10, "classrooms": 5}


PORTIONS = "schools, staff, students, contacts, classrooms, enrollments"
BAD_SETTINGS = [
    ({}, "No sync setting given; expected at least one of daily_sync, pauses, thresholds"),
    ({"nightly": True}, "Unknown sync setting 'nightly'; expected daily_sync, pauses, thresholds"),
    ({"daily_sync": "yes"}, "daily_sync must be true or false"),
    ({"pauses": {"portion": "all"}}, "pauses must be a list"),
    ({"pauses": [{"portion": "teachers"}]}, f"Pause 1: portion must be one of all, {PORTIONS}"),
    (
        {"pauses": [{"portion": "all", "until": "soon"}]},
        "Pause 1: until 'soon' is not a date like 2027-06-15",
    ),
    (
        {"pauses": [{"portion": "all", "from": "2026-09-01", "until": "2026-08-01"}]},
        "Pause 1 ends (2026-08-01) before it starts (2026-09-01)",
    ),
    ({"pauses": [{"portion": "all", "note": "x"}]}, "Pause 1 has an unknown field 'note'"),
    ({"thresholds": {"students": 101}}, "The students threshold must be a percentage from 0 to 100"),
    ({"thresholds": {"students": True}}, "The students threshold must be a percentage from 0 to 100"),
    ({"thresholds": {"pets": 5}}, f"Unknown threshold portion 'pets'; expected {PORTIONS}"),
]


def test_bad_sync_settings_are_rejected(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    for params, message in BAD_SETTINGS:
        [result] = client.operate(
            op("update_sync_settings", "sync_settings", sync_settings(district), **params)
        )
        assert (result["status"], result["message"]) == ("rejected", message)
    assert client.http.get("/sync/settings").json()["version"] == 1


def test_only_a_district_admin_changes_sync_settings(connect: Connect, district: District) -> None:
    [result] = connect(ADMIN_A).operate(
        op("update_sync_settings", "sync_settings", sync_settings(district), daily_sync=False)
    )
    assert (result["status"], result["message"]) == (
        "rejected",
        "Only a district admin can change sync settings",
    )


def test_an_op_id_of_someone_else_is_not_replayed(connect: Connect, district: District) -> None:
    archive = op("archive_student", "student", district.student_a1)
    assert connect(DISTRICT).operate(archive)[0]["status"] == "applied"
    [result] = connect(ADMIN_A).operate(archive)
    assert result["status"] == "rejected"
    assert result["records"] == []

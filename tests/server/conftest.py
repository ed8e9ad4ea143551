"""A small district on a live server, and HTTP clients signed in as its users."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connect_server.db import SYNC_SETTINGS_ID
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user

PASSWORD = "correct horse battery staple"
DISTRICT = "district@example.org"
ADMIN_A = "admin.a@example.org"
TEACHER_A = "teacher.a@example.org"


class Api:
    """An HTTP client for one user of the live server."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.api, timeout=30)

    def sign_in(self, email: str, password: str = PASSWORD) -> Api:
        response = self.http.post("/auth/token", json={"username": email, "password": password})
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = "Bearer " + response.json()["access_token"]
        return self

    def all_changes(self, since: int = 0, limit: int = 5_000) -> tuple[list[dict[str, Any]], int]:
        """Every change after `since`, paging with `limit`; and the final cursor."""
        changes: list[dict[str, Any]] = []
        while True:
            response = self.http.get("/changes", params={"since": since, "limit": limit})
            assert response.status_code == 200, response.text
            page = response.json()
            changes += page["changes"]
            since = page["next_since"]
            if not page["has_more"]:
                return changes, since

    def operate(self, *operations: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post("/operations", json={"operations": list(operations)})
        assert response.status_code == 200, response.text
        return response.json()["results"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


Held = dict[tuple[str, str], dict[str, Any]]
"""What a client holds: (type, id) -> {"version", "data"}."""


def hold(held: Held, changes: list[dict[str, Any]]) -> Held:
    """Apply feed `changes` to `held` in order, as a client does (tombstones remove); returns it."""
    for c in changes:
        if c["deleted"]:
            held.pop((c["type"], c["id"]), None)
        else:
            held[(c["type"], c["id"])] = {"version": c["version"], "data": c["data"]}
    return held


def op(
    kind: str, target_type: str, record: dict[str, Any], version: int | None = None, **params: Any
) -> dict[str, Any]:
    """An operation on `record` (at its current version unless given) with a fresh op_id."""
    return {
        "op_id": str(uuid.uuid4()),
        "kind": kind,
        "target": {"type": target_type, "id": record["id"], "version": version or record["version"]},
        "params": params,
    }


@dataclass
class District:
    """Two schools, A and B; records are the inserted values (dicts)."""

    school_a: dict[str, Any]
    school_b: dict[str, Any]
    term_district: dict[str, Any]
    term_a: dict[str, Any]
    term_b: dict[str, Any]
    staff_district: dict[str, Any]
    teacher_a: dict[str, Any]
    teacher_a2: dict[str, Any]
    teacher_b: dict[str, Any]
    student_a1: dict[str, Any]
    student_a2: dict[str, Any]
    student_b1: dict[str, Any]
    contact_a: dict[str, Any]
    contact_b: dict[str, Any]
    contact_ab: dict[str, Any]
    links: list[dict[str, Any]]
    class_a: dict[str, Any]
    class_a2: dict[str, Any]
    class_b: dict[str, Any]
    enrollments: list[dict[str, Any]]
    stats: list[dict[str, Any]]
    sync_settings_id: str = SYNC_SETTINGS_ID


@pytest.fixture
def district(live_server: LiveServer) -> District:
    build = RecordBuilder(live_server.sessions)
    a, b = build.school(name="Adams Elementary"), build.school(name="Brook Middle", level="middle")
    term_district = build.term(name="District year")
    term_a, term_b = build.term(school_id=a["id"]), build.term(school_id=b["id"])
    staff_district = build.staff(role="district_staff")
    teacher_a, teacher_a2 = build.staff(school_id=a["id"]), build.staff(school_id=a["id"])
    teacher_b = build.staff(school_id=b["id"])
    s_a1, s_a2, s_b1 = build.student(a["id"]), build.student(a["id"]), build.student(b["id"])
    c_a, c_b, c_ab = build.contact(), build.contact(), build.contact()
    links = [build.link(s_a1, c_a), build.link(s_a2, c_ab), build.link(s_b1, c_ab), build.link(s_b1, c_b)]
    class_a = build.classroom(a["id"], term_a["id"])
    class_a2 = build.classroom(a["id"], term_a["id"])
    class_b = build.classroom(b["id"], term_b["id"])
    enrollments = [
        build.enroll(class_a, teacher_a["id"], "teacher"),
        build.enroll(class_a, s_a1["id"]),
        build.enroll(class_a2, teacher_a2["id"], "teacher"),
        build.enroll(class_a2, s_a2["id"]),
        build.enroll(class_b, teacher_b["id"], "teacher"),
        build.enroll(class_b, s_b1["id"]),
    ]
    stats = [build.message_stat(teacher_a["id"], a["id"]), build.message_stat(teacher_b["id"], b["id"])]
    add_user(live_server.sessions, DISTRICT, "district_admin", PASSWORD)
    add_user(live_server.sessions, ADMIN_A, "school_admin", PASSWORD, [a["id"]])
    add_user(live_server.sessions, TEACHER_A, "teacher", PASSWORD, [a["id"]], staff_id=teacher_a["id"])
    return District(
        a, b, term_district, term_a, term_b, staff_district, teacher_a, teacher_a2, teacher_b,
        s_a1, s_a2, s_b1, c_a, c_b, c_ab, links, class_a, class_a2, class_b, enrollments, stats,
    )  # fmt: skip


@pytest.fixture
def connect(live_server: LiveServer) -> Iterator[Callable[..., Api]]:
    """`connect(email)` gives a signed-in client; `connect()` an anonymous one."""
    clients: list[Api] = []

    def _connect(email: str | None = None, password: str = PASSWORD) -> Api:
        client = Api(live_server)
        clients.append(client)
        return client.sign_in(email, password) if email else client

    yield _connect
    for client in clients:
        client.close()

"""The feed stays exact while records move between schools (property test).

Random sequences of real writes — SIS sync runs that move students, classrooms, staff
and contacts between schools, merge two schools, add, re-point and remove family links,
remove contacts and add students; year-end operations that archive and delete
students; and changes of a school admin's schools — interleaved with incremental
pulls by school admins of every school. After every pull, what that admin holds must
equal a fresh pull from 0 for the same user: nothing they may no longer see is left
behind, nothing they may now see is missing.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import Operation, OperationTarget
from connect_desktop.domain.entities import EntityType, Role
from connect_desktop.rostering.plan import Change, ChangeKind
from connect_desktop.rostering.snapshot import FIELDS
from connect_server import handlers
from connect_server.auth import principal_of
from connect_server.db import snapshot
from connect_server.feed import read_page
from connect_server.models import ENTITY_MODELS, Tombstone, User
from connect_server.scope import Principal
from connect_server.sequence import allocate_seqs
from connect_server.syncing.apply import PlanApplier
from connect_server.users import set_scope
from tests.server.conftest import Held, hold
from tests.support.server import make_database

SCHOOLS = 3
STUDENTS = 8
CONTACTS = 6
CLASSROOMS = 4
STAFF = 4
ADMINS = ("admin0@example.org", "admin1@example.org", "admin2@example.org", "admin01@example.org")
DISTRICT = Principal("district", "district@example.org", Role.DISTRICT_ADMIN, (), None, "District")
_YEAR = {"school_year": 2026, "start_date": dt.date(2025, 8, 20), "end_date": dt.date(2026, 6, 12)}
_CLEARED = [*ENTITY_MODELS.values(), Tombstone, User]


class _Plan:
    """A rollover plan given as its changes (what `RolloverPlan.iter_changes` yields)."""

    def __init__(self, changes: list[Change]) -> None:
        self.changes = changes

    def iter_changes(self, type_: str, kind: ChangeKind) -> Iterator[Change]:
        return (c for c in self.changes if c.type == type_ and c.kind == kind)


@dataclass
class Client:
    """What one school admin's desktop holds, pulled incrementally."""

    email: str
    since: int = 0
    scope: int = 0
    records: Held = field(default_factory=dict)


def _pull(
    connection: Any, principal: Principal, since: int, scope: int, records: Held, limit: int
) -> tuple[int, int]:
    """Pull into `records` as the desktop does; returns the new cursor and scope stamp."""
    while True:
        page = read_page(connection, principal, since, limit, scope)
        if page.get("reset"):
            records.clear()
        hold(records, page["changes"])
        since, scope = page["next_since"], page["scope"]
        if not page["has_more"]:
            return since, scope


class District:
    """A tiny synced district on a real database, rebuilt for each example."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.schools = [f"sch-{i}" for i in range(SCHOOLS)]

    def reset(self) -> None:
        with self.sessions.begin() as session:
            for model in _CLEARED:
                session.execute(delete(model))
            rows: dict[EntityType, list[dict[str, Any]]] = {kind: [] for kind in ENTITY_MODELS}

            def add(kind: EntityType, sid: str, **values: Any) -> None:
                values.update(id=f"id-{sid}", source_id=sid, origin="sync", version=1)
                rows[kind].append(values)

            for i in range(SCHOOLS):
                add(
                    EntityType.SCHOOL,
                    f"sch-{i}",
                    name=f"School {i}",
                    level="elementary",
                    grade_low="K",
                    grade_high="5",
                )
                add(EntityType.TERM, f"term-{i}", name=f"Term {i}", school_id=f"id-sch-{i}", **_YEAR)
            add(EntityType.TERM, "term-d", name="District year", school_id=None, **_YEAR)
            for i in range(STAFF):
                school = None if i == 0 else f"id-sch-{i % SCHOOLS}"
                add(
                    EntityType.STAFF,
                    f"stf-{i}",
                    first_name="S",
                    last_name=f"{i}",
                    role="teacher",
                    school_id=school,
                )
            for i in range(CLASSROOMS):
                school = i % SCHOOLS
                add(
                    EntityType.CLASSROOM,
                    f"cls-{i}",
                    name=f"Class {i}",
                    course_code=f"C{i}",
                    school_id=f"id-sch-{school}",
                    term_id=f"id-term-{school}",
                )
            for i in range(STUDENTS):
                add(
                    EntityType.STUDENT,
                    f"stu-{i}",
                    student_number=f"N{i}",
                    first_name="Kid",
                    last_name=f"{i}",
                    grade="3",
                    school_id=f"id-sch-{i % SCHOOLS}",
                )
                classroom = i % CLASSROOMS
                add(
                    EntityType.ENROLLMENT,
                    f"enr-{i}",
                    classroom_id=f"id-cls-{classroom}",
                    person_id=f"id-stu-{i}",
                    role="student",
                    school_id=f"id-sch-{classroom % SCHOOLS}",
                )
            for i in range(CONTACTS):
                add(EntityType.CONTACT, f"con-{i}", first_name="Parent", last_name=f"{i}", school_id=None)
            for i in range(STUDENTS):
                add(
                    EntityType.STUDENT_CONTACT,
                    f"lnk-{i}",
                    student_id=f"id-stu-{i}",
                    contact_id=f"id-con-{i % CONTACTS}",
                    relationship="parent",
                    school_id=f"id-sch-{i % SCHOOLS}",
                )
            for kind, values in rows.items():
                if values:
                    for row, seq in zip(values, allocate_seqs(session, len(values)), strict=True):
                        row["seq"] = seq
                    session.execute(insert(ENTITY_MODELS[kind]), values)
            session.execute(
                insert(User),
                [
                    {
                        "id": f"u{n}",
                        "email": email,
                        "password_hash": "-",
                        "role": "school_admin",
                        "school_ids": s,
                    }
                    for n, (email, s) in enumerate(
                        zip(
                            ADMINS,
                            [["id-sch-0"], ["id-sch-1"], ["id-sch-2"], ["id-sch-0", "id-sch-1"]],
                            strict=True,
                        )
                    )
                ],
            )

    # -- reading ---------------------------------------------------------------------
    def principal(self, email: str) -> Principal:
        with self.sessions() as session:
            return principal_of(session.scalars(select(User).where(User.email == email)).one())

    def pull(self, client: Client, limit: int) -> None:
        principal = self.principal(client.email)
        with snapshot(self.sessions) as connection:
            client.since, client.scope = _pull(
                connection, principal, client.since, client.scope, client.records, limit
            )

    def fresh(self, email: str) -> Held:
        records: Held = {}
        with snapshot(self.sessions) as connection:
            _pull(connection, self.principal(email), 0, 0, records, 1_000)
        return records

    def current(self, kind: EntityType, index: int) -> Any | None:
        """The index-th existing record of a kind (wrapping), or None if there are none."""
        table = ENTITY_MODELS[kind].__table__  # type: ignore[attr-defined]
        with self.sessions() as session:
            rows = session.execute(select(table).order_by(table.c.source_id, table.c.id)).all()
        return rows[index % len(rows)] if rows else None

    # -- writing ---------------------------------------------------------------------
    def sync(self, *changes: Change) -> None:
        with self.sessions.begin() as session:
            PlanApplier(session, _Plan(list(changes)), str(uuid.uuid4())).apply(allow_archives=True)

    def operate(self, kind: str, student: Any) -> None:
        op = Operation(
            op_id=str(uuid.uuid4()),
            kind=kind,
            target=OperationTarget(type=EntityType.STUDENT, id=student.id, version=student.version),
        )
        with self.sessions.begin() as session:
            handlers.apply(session, DISTRICT, op)


def _update(type_: str, record: Any, name: str, old: Any, new: Any) -> Change:
    return Change(type_, "update", record.source_id, record.id, {name: new}, {name: (old, new)})


def _school_sid(school_id: str | None) -> str | None:
    return school_id.removeprefix("id-") if school_id else None


def _source(district: District, kind: EntityType, record_id: str) -> str:
    table = ENTITY_MODELS[kind].__table__  # type: ignore[attr-defined]
    with district.sessions() as session:
        return str(session.scalar(select(table.c.source_id).where(table.c.id == record_id)))


def act(district: District, clients: list[Client], action: tuple[Any, ...]) -> None:
    """Carry out one drawn action on the district."""
    name, a, b = action
    school = district.schools[b % SCHOOLS]
    if name in ("move_student", "move_classroom", "move_staff", "move_contact"):
        kind = EntityType(name.removeprefix("move_").replace("contact", "contact"))
        record = district.current(kind, a)
        if record is not None:
            new = None if name in ("move_staff", "move_contact") and b % 4 == 3 else school
            old = _school_sid(record.school_id)
            if new != old:
                district.sync(_update(kind.value, record, "school", old, new))
    elif name == "merge_schools":
        source, target = district.schools[a % SCHOOLS], school
        if source != target:
            changes = []
            for kind in (EntityType.STUDENT, EntityType.CLASSROOM):
                table = ENTITY_MODELS[kind].__table__  # type: ignore[attr-defined]
                with district.sessions() as session:
                    rows = session.execute(select(table).where(table.c.school_id == f"id-{source}")).all()
                changes += [_update(kind.value, row, "school", source, target) for row in rows]
            district.sync(*changes)
    elif name == "add_link":
        student, contact = district.current(EntityType.STUDENT, a), district.current(EntityType.CONTACT, b)
        if student is not None and contact is not None:
            sid = f"lnk-new-{uuid.uuid4().hex[:8]}"
            fields = {"student": student.source_id, "contact": contact.source_id, "relationship": "guardian"}
            district.sync(Change("student_contact", "create", sid, None, fields, {}))
    elif name in ("relink", "link_to_student"):
        field_, kind = (
            ("contact", EntityType.CONTACT) if name == "relink" else ("student", EntityType.STUDENT)
        )
        link, target = district.current(EntityType.STUDENT_CONTACT, a), district.current(kind, b)
        if link is not None and target is not None and getattr(link, f"{field_}_id") != target.id:
            old = _source(district, kind, getattr(link, f"{field_}_id"))
            district.sync(_update("student_contact", link, field_, old, target.source_id))
    elif name in ("drop_link", "drop_contact", "drop_enrollment"):
        kind = {
            "drop_link": EntityType.STUDENT_CONTACT,
            "drop_contact": EntityType.CONTACT,
            "drop_enrollment": EntityType.ENROLLMENT,
        }[name]
        record = district.current(kind, a)
        if record is not None:
            blank = dict.fromkeys(FIELDS[kind.value], "")
            district.sync(Change(kind.value, "archive", record.source_id, record.id, blank, {}))
    elif name == "create_student":
        sid = f"stu-new-{uuid.uuid4().hex[:8]}"
        fields = {
            "school": school,
            "student_number": sid,
            "first_name": "New",
            "last_name": "Kid",
            "grade": "K",
        }
        district.sync(Change("student", "create", sid, None, fields, {}))
    elif name in ("archive_student", "delete_student"):
        student = district.current(EntityType.STUDENT, a)
        if student is not None:
            district.operate(name, student)
    elif name == "set_scope":
        schools = [s for i, s in enumerate(district.schools) if (b % 7 + 1) >> i & 1]
        set_scope(district.sessions, ADMINS[a % len(ADMINS)], school_ids=[f"id-{s}" for s in schools])
    elif name == "pull":
        client = clients[a % len(clients)]
        district.pull(client, limit=1 + b % 7)
        assert client.records == district.fresh(client.email), f"{client.email} drifted after {action}"
    else:  # pragma: no cover - the strategy draws only the names above
        raise AssertionError(name)


ACTIONS = st.tuples(
    st.sampled_from(
        [
            "move_student",
            "move_classroom",
            "move_staff",
            "move_contact",
            "merge_schools",
            "add_link",
            "relink",
            "link_to_student",
            "drop_link",
            "drop_contact",
            "drop_enrollment",
            "create_student",
            "archive_student",
            "delete_student",
            "set_scope",
            "pull",
            "pull",
            "pull",
        ]
    ),
    st.integers(0, 11),
    st.integers(0, 11),
)


@pytest.fixture
def district(db_url: str) -> Iterator[District]:
    sessions = make_database(db_url)
    try:
        yield District(sessions)
    finally:
        sessions.kw["bind"].dispose()


@pytest.mark.timeout(900)  # 500 cases on PostgreSQL take 3-4 minutes on two cores
@settings(
    max_examples=int(os.environ.get("CONNECT_TEST_FEED_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTIONS, min_size=1, max_size=14))
def test_incremental_pulls_equal_a_fresh_pull(district: District, actions: list[tuple[Any, ...]]) -> None:
    district.reset()
    clients = [Client(email) for email in ADMINS]
    for client in clients:
        district.pull(client, limit=100)
    for action in actions:
        act(district, clients, action)
    for client in clients:
        district.pull(client, limit=4)
        assert client.records == district.fresh(client.email), f"{client.email} drifted"

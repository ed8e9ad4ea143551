"""A tiny builder of server records for tests (no dependency on demo seeding).

    build = RecordBuilder(sessions)
    school = build.school(name="Lincoln Elementary")
    student = build.student(school_id=school["id"])

Each call inserts one row with a fresh id, version 1 and a new feed `seq`, in its own
transaction, and returns the inserted values.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_server.models import ENTITY_MODELS
from connect_server.sequence import allocate_seqs

_counter = itertools.count(1)


def _defaults(kind: EntityType) -> dict[str, Any]:
    n = next(_counter)
    return {
        EntityType.SCHOOL: {
            "name": f"School {n}",
            "level": "elementary",
            "grade_low": "K",
            "grade_high": "5",
        },
        EntityType.TERM: {
            "name": f"Term {n}",
            "school_year": 2026,
            "start_date": dt.date(2025, 8, 20),
            "end_date": dt.date(2026, 6, 12),
        },
        EntityType.STAFF: {"first_name": "Staff", "last_name": f"Member{n}", "role": "teacher"},
        EntityType.STUDENT: {
            "student_number": f"S{n:06d}",
            "first_name": "Student",
            "last_name": f"Number{n}",
            "grade": "3",
            "birth_date": dt.date(2017, 3, 1),
        },
        EntityType.CONTACT: {"first_name": "Parent", "last_name": f"Number{n}", "phone": f"555-{n:04d}"},
        EntityType.STUDENT_CONTACT: {"relationship": "parent"},
        EntityType.CLASSROOM: {"name": f"Class {n}", "course_code": f"C{n}", "grade": "3"},
        EntityType.ENROLLMENT: {"role": "student"},
        EntityType.MESSAGE_STAT: {"month": dt.date(2026, 5, 1), "messages_sent": n},
        EntityType.SYNC_RUN: {"started_at": dt.datetime(2026, 5, 1, 2, 0, n % 60), "status": "succeeded"},
    }.get(kind, {})


class RecordBuilder:
    """Inserts entity rows with sensible defaults; keyword arguments override them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, kind: EntityType, **values: Any) -> dict[str, Any]:
        row = {"id": str(uuid.uuid4()), "version": 1, "origin": "manual", **_defaults(kind), **values}
        with self.sessions.begin() as session:
            (row["seq"],) = allocate_seqs(session, 1)
            session.execute(insert(ENTITY_MODELS[kind]).values(**row))
        return row

    def school(self, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.SCHOOL, **values)

    def term(self, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.TERM, **values)

    def staff(self, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.STAFF, **values)

    def student(self, school_id: str, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.STUDENT, school_id=school_id, **values)

    def contact(self, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.CONTACT, **values)

    def link(self, student: dict[str, Any], contact: dict[str, Any], **values: Any) -> dict[str, Any]:
        return self.add(
            EntityType.STUDENT_CONTACT,
            student_id=student["id"],
            contact_id=contact["id"],
            school_id=student["school_id"],
            **values,
        )

    def classroom(self, school_id: str, term_id: str, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.CLASSROOM, school_id=school_id, term_id=term_id, **values)

    def enroll(self, classroom: dict[str, Any], person_id: str, role: str = "student") -> dict[str, Any]:
        return self.add(
            EntityType.ENROLLMENT,
            classroom_id=classroom["id"],
            person_id=person_id,
            role=role,
            school_id=classroom["school_id"],
        )

    def message_stat(self, staff_id: str, school_id: str | None, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.MESSAGE_STAT, staff_id=staff_id, school_id=school_id, **values)

    def sync_run(self, **values: Any) -> dict[str, Any]:
        return self.add(EntityType.SYNC_RUN, **values)

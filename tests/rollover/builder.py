"""A small hand-built cache for planner tests.

    cache = CacheBuilder(connection)
    school = cache.school("Lincoln Elementary", "elementary", "K", "5")
    term = cache.term(2026)
    teacher = cache.staff("Ann", "Lee", role="teacher", school_id=school)

Each call inserts one row into the cache tables and returns its id.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from sqlalchemy import Connection, insert

from connect_desktop.store.models import (
    Account,
    Classroom,
    Enrollment,
    PendingOperation,
    School,
    Staff,
    Student,
    Term,
)


class CacheBuilder:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._numbers = itertools.count(1)

    def _insert(self, model: Any, **values: Any) -> str:
        values.setdefault("id", str(uuid.uuid4()))
        self.connection.execute(insert(model), [values])
        return str(values["id"])

    def school(
        self, name: str, level: str, grade_low: str, grade_high: str, *, origin: str = "manual"
    ) -> str:
        return self._insert(
            School, name=name, level=level, grade_low=grade_low, grade_high=grade_high, origin=origin
        )

    def term(self, school_year: int, *, name: str | None = None, school_id: str | None = None) -> str:
        """A whole school year, August to June, ending in `school_year`."""
        return self._insert(
            Term,
            name=name or f"{school_year - 1}-{school_year}",
            school_year=school_year,
            start_date=dt.date(school_year - 1, 8, 15),
            end_date=dt.date(school_year, 6, 30),
            school_id=school_id,
        )

    def staff(
        self,
        first: str,
        last: str,
        *,
        role: str = "teacher",
        school_id: str | None = None,
        email: str | None = None,
        access: str = "active",
        last_sign_in_at: dt.datetime | None = None,
        left_on: dt.date | None = None,
        origin: str = "manual",
    ) -> str:
        return self._insert(
            Staff,
            origin=origin,
            first_name=first,
            last_name=last,
            email=email or f"{first}.{last}@example.org".lower(),
            role=role,
            school_id=school_id,
            access=access,
            last_sign_in_at=last_sign_in_at,
            left_on=left_on,
        )

    def student(
        self,
        school_id: str,
        grade: str,
        *,
        number: str | None = None,
        name: tuple[str, str] = ("Sam", "Student"),
        origin: str = "manual",
        status: str = "active",
        withdrawn_on: dt.date | None = None,
    ) -> str:
        return self._insert(
            Student,
            school_id=school_id,
            student_number=number or f"{next(self._numbers):06d}",
            first_name=name[0],
            last_name=name[1],
            grade=grade,
            origin=origin,
            status=status,
            withdrawn_on=withdrawn_on,
        )

    def classroom(
        self,
        name: str,
        school_id: str,
        term_id: str,
        *,
        teachers: tuple[str, ...] = (),
        students: tuple[str, ...] = (),
        origin: str = "manual",
        status: str = "active",
    ) -> str:
        classroom_id = self._insert(
            Classroom, name=name, school_id=school_id, term_id=term_id, origin=origin, status=status
        )
        for role, people in (("teacher", teachers), ("student", students)):
            for person in people:
                self._insert(
                    Enrollment, classroom_id=classroom_id, person_id=person, role=role, school_id=school_id
                )
        return classroom_id

    def operation(
        self,
        kind: str,
        target_type: str,
        target_id: str,
        *,
        state: str = "applied",
        step: str = "archive_classrooms",
        batch: str | None = None,
        created_at: dt.datetime | None = None,
    ) -> str:
        op_id = str(uuid.uuid4())
        row = dict(
            op_id=op_id,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
            base_version=1,
            params={},
            step=step,
            batch=batch,
            created_at=created_at or dt.datetime(2026, 6, 1, 12, 0, next(self._numbers) % 60),
            state=state,
        )
        self.connection.execute(insert(PendingOperation), [row])
        return op_id

    def account(self, email: str) -> None:
        self.connection.execute(
            insert(Account),
            [
                {
                    "id": 1,
                    "server_url": "https://connect.example",
                    "user_id": "u-1",
                    "email": email,
                    "role": "x",
                }
            ],
        )

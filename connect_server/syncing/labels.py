"""The names an archive list shows for a held run's records, read from the records themselves.

A run's source snapshot knows an enrollment only as "usr-stu-… in cls-2026-…" and a
student without a school's name; the district's own rows know who and where they are:
"Emma Carter in Grade 5 Math (student)", "Emma Carter (00012431), grade 5, Lincoln
Elementary". Read before the run deletes anything of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connect_desktop.batches import batched
from connect_desktop.domain.entities import EntityType
from connect_server.scope import TABLES


def _name(first: Any, last: Any) -> str:
    return " ".join(str(part) for part in (first, last) if part)


def _student(first: Any, last: Any, number: Any) -> str:
    name = _name(first, last)
    return f"{name} ({number})" if number else name


def record_labels(session: Session, type_: str, ids: Iterable[str]) -> dict[str, str]:
    """Record id → how people know it, for the types a snapshot cannot name well; {} for others."""
    wanted = [i for i in ids if i]
    tables = {entity.value: table for entity, table in TABLES.items()}
    found: dict[str, str] = {}
    student, staff, school = tables["student"], tables["staff"], tables["school"]
    for chunk in batched(wanted):
        if type_ == EntityType.STUDENT:
            rows = session.execute(
                select(student.c.id, student.c.first_name, student.c.last_name, student.c.student_number)
                .add_columns(student.c.grade, school.c.name)
                .outerjoin(school, school.c.id == student.c.school_id)
                .where(student.c.id.in_(chunk))
            )
            for id_, first, last, number, grade, school_name in rows:
                parts = [_student(first, last, number)]
                parts += [f"grade {grade}"] if grade else []
                parts += [str(school_name)] if school_name else []
                found[id_] = ", ".join(parts)
        elif type_ == EntityType.ENROLLMENT:
            enrollment, classroom = tables["enrollment"], tables["classroom"]
            rows = session.execute(
                select(
                    enrollment.c.id,
                    enrollment.c.role,
                    classroom.c.name,
                    func.coalesce(student.c.first_name, staff.c.first_name),
                    func.coalesce(student.c.last_name, staff.c.last_name),
                )
                .outerjoin(classroom, classroom.c.id == enrollment.c.classroom_id)
                .outerjoin(student, student.c.id == enrollment.c.person_id)
                .outerjoin(staff, staff.c.id == enrollment.c.person_id)
                .where(enrollment.c.id.in_(chunk))
            )
            for id_, role, classroom_name, first, last in rows:
                person = _name(first, last) or "someone no longer listed"
                found[id_] = f"{person} in {classroom_name or 'a classroom no longer listed'} ({role})"
        elif type_ == EntityType.STUDENT_CONTACT:
            link, contact = tables["student_contact"], tables["contact"]
            rows = session.execute(
                select(link.c.id, link.c.relationship, contact.c.first_name, contact.c.last_name)
                .add_columns(student.c.first_name, student.c.last_name, student.c.student_number)
                .outerjoin(contact, contact.c.id == link.c.contact_id)
                .outerjoin(student, student.c.id == link.c.student_id)
                .where(link.c.id.in_(chunk))
            )
            for id_, relationship, c_first, c_last, s_first, s_last, number in rows:
                found[id_] = (
                    f"{_name(c_first, c_last)}, {relationship} of {_student(s_first, s_last, number)}"
                )
        elif type_ == EntityType.CLASSROOM:
            classroom = tables["classroom"]
            rows = session.execute(
                select(classroom.c.id, classroom.c.name, school.c.name)
                .outerjoin(school, school.c.id == classroom.c.school_id)
                .where(classroom.c.id.in_(chunk))
            )
            for id_, name, school_name in rows:
                found[id_] = f"{name}, {school_name}" if school_name else str(name)
    return found

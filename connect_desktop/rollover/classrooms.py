"""Archive classrooms of past school years (manual ones; synced ones follow the sync)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, NamedTuple

from sqlalchemy import Connection, false, func, or_, select

from connect_desktop.domain.entities import EnrollmentRole, EntityType, Origin, RecordStatus
from connect_desktop.domain.operations import OperationKind
from connect_desktop.domain.school_year import last_ended_year, school_year_label
from connect_desktop.rollover.plan import (
    Plan,
    PlanFilter,
    Skipped,
    count_of,
)
from connect_desktop.rollover.staged import already_staged, not_staged
from connect_desktop.rollover.years import planned_school_year
from connect_desktop.store.models import Classroom, Enrollment, School, Staff, Term
from connect_desktop.store.school_years import cached_year_ends
from connect_desktop.yearend.steps import Step

_classroom = Classroom.__table__.c
_term = Term.__table__.c
_school = School.__table__.c
_enrollment = Enrollment.__table__.c
_staff = Staff.__table__.c


class ClassroomItem(NamedTuple):
    id: str
    reason: str
    name: str
    course_code: str | None
    grade: str | None
    school: str
    term: str
    school_year: int
    teachers: str
    students: int


def plan_classrooms(
    connection: Connection,
    *,
    as_of: dt.date,
    school_years: Collection[int] | None = None,
    filters: PlanFilter | None = None,
) -> Plan[ClassroomItem]:
    """Active manual classrooms to archive; by default those of school years before the current
    one, and of the current one too once its last term day is past (the summer after it)."""
    filters = filters or PlanFilter()
    current = planned_school_year(connection, as_of)
    ends = cached_year_ends(connection)
    last_ended = last_ended_year(current, ends, as_of) if current is not None else None
    ended = ends[current] if current is not None and last_ended == current else None
    if school_years is not None:
        year_clause: Any = _term.school_year.in_(sorted(school_years))
    elif last_ended is not None:
        year_clause = _term.school_year <= last_ended
    else:
        year_clause = false()
    scope = [_classroom.status == RecordStatus.ACTIVE, year_clause, *_filter_clauses(filters)]
    base = select(_classroom.id).join(Term.__table__, _term.id == _classroom.term_id)
    synced = count_of(connection, base.where(*scope, _classroom.origin == Origin.SYNC))
    query = (
        select(
            _classroom.id,
            _classroom.name,
            _classroom.course_code,
            _classroom.grade,
            func.coalesce(_school.name, ""),
            _term.name,
            _term.school_year,
            _teacher_names(),
            _student_count(),
        )
        .join(Term.__table__, _term.id == _classroom.term_id)
        .outerjoin(School.__table__, _school.id == _classroom.school_id)
        .where(*scope, _classroom.origin == Origin.MANUAL, not_staged(EntityType.CLASSROOM, _classroom.id))
        .order_by(_term.school_year, _school.name, _classroom.name, _classroom.id)
    )
    skipped = already_staged(connection, [OperationKind.ARCHIVE_CLASSROOM], "classrooms")
    if synced:
        skipped += (
            Skipped(
                synced,
                f"{synced} synced classrooms are left to the sync: they are archived when "
                "the SIS rolls over to the new school year.",
            ),
        )
    return Plan(
        step=Step.ARCHIVE_CLASSROOMS,
        kind=OperationKind.ARCHIVE_CLASSROOM,
        count=count_of(connection, query),
        connection=connection,
        query=query,
        make_item=_describe,
        skipped=skipped,
        description=f"Archive manual classrooms of {_years_text(school_years, current, ended)}. "
        "They can be unarchived later.",
    )


def _years_text(school_years: Collection[int] | None, current: int | None, ended: dt.date | None) -> str:
    if school_years is not None:
        return "school years " + ", ".join(school_year_label(year) for year in sorted(school_years))
    if current is not None and ended is not None:
        return f"school years up to {school_year_label(current)}, which ended on {ended.day} {ended:%B %Y}"
    if current is not None:
        return f"school years before {school_year_label(current)}"
    return "no school year (none of the cached school years has begun)"


def _filter_clauses(filters: PlanFilter) -> list[Any]:
    clauses: list[Any] = []
    if filters.school_id:
        clauses.append(_classroom.school_id == filters.school_id)
    if filters.term_id:
        clauses.append(_classroom.term_id == filters.term_id)
    if filters.grade:
        clauses.append(_classroom.grade == filters.grade)
    pattern = filters.like()
    if pattern:
        clauses.append(
            or_(
                _classroom.name.ilike(pattern, escape="\\"),
                _classroom.course_code.ilike(pattern, escape="\\"),
            )
        )
    return clauses


def _teacher_names() -> Any:
    name = _staff.first_name + " " + _staff.last_name
    return (
        select(func.coalesce(func.group_concat(name, ", "), ""))
        .select_from(Enrollment.__table__)
        .join(Staff.__table__, _staff.id == _enrollment.person_id)
        .where(_enrollment.classroom_id == _classroom.id, _enrollment.role == EnrollmentRole.TEACHER)
        .scalar_subquery()
    )


def _student_count() -> Any:
    return (
        select(func.count())
        .select_from(Enrollment.__table__)
        .where(_enrollment.classroom_id == _classroom.id, _enrollment.role == EnrollmentRole.STUDENT)
        .scalar_subquery()
    )


def _describe(row: Any) -> ClassroomItem:
    classroom_id, name, code, grade, school, term, year, teachers, students = row
    reason = f"Manual classroom of school year {school_year_label(year)} ({term})"
    return ClassroomItem(
        classroom_id, reason, name, code, grade, school, term, int(year), teachers, int(students)
    )

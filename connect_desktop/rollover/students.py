"""Non-returning students: archive (reversible) or delete (permanent) manual students by rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, case, false, literal, or_, select

from connect_desktop.domain.entities import GRADES, EntityType, Origin, RecordStatus, grade_rank
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover.plan import (
    Plan,
    PlanError,
    PlanFilter,
    Skipped,
    count_of,
)
from connect_desktop.rollover.selection_sql import id_set
from connect_desktop.rollover.staged import already_staged, not_staged
from connect_desktop.store.models import School, Student
from connect_desktop.yearend.steps import Step

_student = Student.__table__.c
_school = School.__table__.c


class StudentRule(StrEnum):
    LEAVING_DISTRICT = "leaving-district"
    """The default: graduates of the district's last grade, the withdrawn, and (with the new
    year's file) students not in it. Students moving up to another school of the district stay."""
    TOP_GRADE = "top-grade"
    """The top grade of each student's own school: also those moving up within the district."""
    WITHDRAWN = "withdrawn"
    NOT_IN_FILE = "not-in-file"
    PICKED = "picked"
    EVERYONE = "everyone"


class StudentAction(StrEnum):
    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class StudentRules:
    """Which rules make a student non-returning; a student matching any one is proposed."""

    district_top: bool = False
    """In the last grade the district offers (its graduates)."""
    top_grade: bool = False
    """In the top grade of their own school (graduates, and those moving up to the next school)."""
    withdrawn: bool = False
    file_numbers: frozenset[str] | None = None
    """Student numbers of the new year's upload: students not in it are proposed."""
    picked_ids: frozenset[str] = frozenset()
    everyone: bool = False

    @classmethod
    def of(
        cls,
        rule: StudentRule,
        *,
        file_numbers: Iterable[str] | None = None,
        picked_ids: Iterable[str] = (),
    ) -> StudentRules:
        """One rule on its own, as the wizard and the CLI offer them."""
        if rule is StudentRule.NOT_IN_FILE and file_numbers is None:
            raise PlanError("Choose the new year's student file first.")
        leaving = rule is StudentRule.LEAVING_DISTRICT
        with_file = rule is StudentRule.NOT_IN_FILE or (leaving and file_numbers is not None)
        return cls(
            district_top=leaving,
            top_grade=rule is StudentRule.TOP_GRADE,
            withdrawn=rule is StudentRule.WITHDRAWN or leaving,
            file_numbers=frozenset(file_numbers or ()) if with_file else None,
            picked_ids=frozenset(picked_ids) if rule is StudentRule.PICKED else frozenset(),
            everyone=rule is StudentRule.EVERYONE,
        )


class StudentItem(NamedTuple):
    id: str
    reason: str
    name: str
    student_number: str
    grade: str
    school: str
    status: str


def plan_students(
    connection: Connection,
    rules: StudentRules,
    *,
    action: StudentAction = StudentAction.ARCHIVE,
    filters: PlanFilter | None = None,
) -> Plan[StudentItem]:
    """Manual students matching `rules`; synced students are counted and left to the sync.

    Archiving looks at active students; deleting also at archived ones. A delete plan
    only yields operations with its typed confirmation phrase.
    """
    filters = filters or PlanFilter()
    conditions = _rule_conditions(rules, district_top_grade(connection) if rules.district_top else None)
    matches = (
        or_(*(c for c in conditions if c is not None)) if any(c is not None for c in conditions) else false()
    )
    statuses = [RecordStatus.ACTIVE] if action is StudentAction.ARCHIVE else list(RecordStatus)
    scope = [_student.status.in_(statuses), matches, *_filter_clauses(filters)]
    school_join = School.__table__
    synced_query = (
        select(_student.id)
        .outerjoin(school_join, _school.id == _student.school_id)
        .where(*scope, _student.origin == Origin.SYNC)
    )
    synced = count_of(connection, synced_query)
    flags = [
        case((condition, literal(True)), else_=literal(False)) if condition is not None else literal(False)
        for condition in conditions
    ]
    query = (
        select(
            _student.id,
            _student.first_name,
            _student.last_name,
            _student.student_number,
            _student.grade,
            _student.status,
            _school.name,
            _school.grade_high,
            _student.withdrawn_on,
            *flags,
        )
        .outerjoin(school_join, _school.id == _student.school_id)
        .where(*scope, _student.origin == Origin.MANUAL, not_staged(EntityType.STUDENT, _student.id))
        .order_by(_school.name, _student.last_name, _student.first_name, _student.id)
    )
    kinds = [OperationKind.ARCHIVE_STUDENT, OperationKind.DELETE_STUDENT]
    skipped = already_staged(connection, kinds, "students")
    if synced:
        skipped += (
            Skipped(
                synced,
                f"{synced} synced students match too but are left to the sync: it archives students "
                "who are no longer in the SIS when the SIS rolls over.",
            ),
        )
    deleting = action is StudentAction.DELETE
    return Plan(
        step=Step.NON_RETURNING_STUDENTS,
        kind=OperationKind.DELETE_STUDENT if deleting else OperationKind.ARCHIVE_STUDENT,
        count=count_of(connection, query),
        connection=connection,
        query=query,
        make_item=_describe,
        skipped=skipped,
        description=(
            "Delete these manual students permanently. This cannot be undone."
            if deleting
            else "Archive these manual students. They can be unarchived later."
        ),
        permanent_noun="STUDENTS" if deleting else None,
    )


def district_top_grade(connection: Connection) -> str | None:
    """The last grade any school of the district offers (K..12 order); None without schools."""
    highs = {high for (high,) in connection.execute(select(_school.grade_high).distinct()) if high}
    known = [grade for grade in highs if grade in GRADES]
    return max(known, key=grade_rank) if known else None


def _rule_conditions(rules: StudentRules, district_top: str | None) -> list[Any]:
    """One condition per rule, in reason order; None for a rule that is off."""
    not_in_file = None
    if rules.file_numbers is not None:
        not_in_file = _student.student_number.not_in(id_set(rules.file_numbers))
    return [
        _student.grade == district_top if rules.district_top and district_top else None,
        _student.grade == _school.grade_high if rules.top_grade else None,
        _student.withdrawn_on.is_not(None) if rules.withdrawn else None,
        not_in_file,
        _student.id.in_(id_set(rules.picked_ids)) if rules.picked_ids else None,
        literal(True) if rules.everyone else None,
    ]


def _filter_clauses(filters: PlanFilter) -> list[Any]:
    clauses: list[Any] = []
    if filters.school_id:
        clauses.append(_student.school_id == filters.school_id)
    if filters.grade:
        clauses.append(_student.grade == filters.grade)
    pattern = filters.like()
    if pattern:
        full_name = _student.first_name + " " + _student.last_name
        clauses.append(
            or_(full_name.ilike(pattern, escape="\\"), _student.student_number.ilike(pattern, escape="\\"))
        )
    return clauses


def _describe(row: Any) -> StudentItem:
    (student_id, first, last, number, grade, status, school, top, withdrawn_on, *flags) = row
    district_top, top_grade, withdrawn, not_in_file, picked, everyone = flags
    texts: list[str] = []
    if district_top:
        texts.append(f"Graduating: grade {grade} is the last grade your district offers")
    elif top_grade:
        texts.append(
            "Graduating (grade 12)"
            if top == "12"
            else f"Moving on to the next school (grade {grade} is the top grade here)"
        )
    if withdrawn:
        texts.append(f"Withdrawn on {withdrawn_on:%Y-%m-%d}")
    if not_in_file:
        texts.append("Not in the new year's file")
    if picked:
        texts.append("Picked by hand")
    if everyone and not texts:
        texts.append("Everyone is archived before a fresh upload")
    return StudentItem(student_id, "; ".join(texts), f"{first} {last}", number, grade, school or "", status)

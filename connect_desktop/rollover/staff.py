"""Remove inactive staff: who should lose access, why, and what they still teach."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, case, exists, false, func, literal, or_, select

from connect_desktop.domain.entities import (
    EnrollmentRole,
    EntityType,
    Origin,
    RecordStatus,
    Role,
    StaffAccess,
)
from connect_desktop.domain.operations import OperationKind
from connect_desktop.domain.school_year import school_year_label
from connect_desktop.rollover.plan import (
    Plan,
    PlanFilter,
    Selection,
    Skipped,
    count_of,
)
from connect_desktop.rollover.selection_sql import id_set
from connect_desktop.rollover.staged import already_staged, not_staged
from connect_desktop.rollover.years import planned_school_year
from connect_desktop.store.models import Classroom, Enrollment, School, Staff, Term
from connect_desktop.yearend.steps import Step

_staff = Staff.__table__.c
_school = School.__table__.c
_classroom = Classroom.__table__.c
_enrollment = Enrollment.__table__.c
_term = Term.__table__.c


class StaffReason(StrEnum):
    NOT_SIGNED_IN = "not_signed_in"
    NO_CLASSROOM = "no_classroom"
    LEFT = "left"


class StaffItem(NamedTuple):
    id: str
    reason: str
    name: str
    email: str | None
    role: str
    school: str
    last_sign_in_at: dt.datetime | None
    left_on: dt.date | None
    classrooms: int
    """Active classrooms of the current school year this person teaches."""
    reasons: tuple[StaffReason, ...]


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """Who is using the assistant; never proposed for removal."""

    staff_id: str | None = None
    email: str | None = None


class TaughtClassroom(NamedTuple):
    id: str
    name: str
    school: str


@dataclass(frozen=True, eq=False)
class StaffPlan(Plan[StaffItem]):
    school_year: int | None = None

    def classrooms_without_teacher(
        self, selected_ids: Iterable[str] | None = None, excluded_ids: Iterable[str] = ()
    ) -> int:
        """Current-year classrooms whose only active teachers are all in the selection."""
        if self.school_year is None:
            return 0
        chosen = list(self.ids(Selection.of(selected_ids, excluded_ids)))
        if not chosen:
            return 0
        chosen_set = id_set(chosen)
        taught_by_chosen = select(_enrollment.classroom_id).where(
            _enrollment.role == EnrollmentRole.TEACHER, _enrollment.person_id.in_(chosen_set)
        )
        other_teacher = exists().where(
            _enrollment.classroom_id == _classroom.id,
            _enrollment.role == EnrollmentRole.TEACHER,
            _enrollment.person_id == _staff.id,
            _staff.access == StaffAccess.ACTIVE,
            _enrollment.person_id.not_in(chosen_set),
        )
        query = (
            select(_classroom.id)
            .join(Term.__table__, _term.id == _classroom.term_id)
            .where(
                _term.school_year == self.school_year,
                _classroom.status == RecordStatus.ACTIVE,
                _classroom.id.in_(taught_by_chosen),
                ~other_teacher,
            )
        )
        return count_of(self.connection, query)

    def consequence(self, selected_ids: Iterable[str] | None = None, excluded_ids: Iterable[str] = ()) -> str:
        """The consequence in words, e.g. "12 classrooms taught by these staff will have no teacher"."""
        count = self.classrooms_without_teacher(selected_ids, excluded_ids)
        if not count:
            return "No classroom will be left without a teacher"
        noun = "classroom" if count == 1 else "classrooms"
        return f"{count} {noun} taught by these staff will have no teacher"

    def classrooms_taught(self, staff_id: str) -> list[TaughtClassroom]:
        """What one proposed person still teaches this school year."""
        if self.school_year is None:
            return []
        query = (
            select(_classroom.id, _classroom.name, func.coalesce(_school.name, ""))
            .join(Enrollment.__table__, _enrollment.classroom_id == _classroom.id)
            .join(Term.__table__, _term.id == _classroom.term_id)
            .outerjoin(School.__table__, _school.id == _classroom.school_id)
            .where(
                _enrollment.person_id == staff_id,
                _enrollment.role == EnrollmentRole.TEACHER,
                _classroom.status == RecordStatus.ACTIVE,
                _term.school_year == self.school_year,
            )
            .order_by(_classroom.name)
        )
        return [TaughtClassroom(*row) for row in self.connection.execute(query)]


def plan_inactive_staff(
    connection: Connection,
    *,
    as_of: dt.date,
    since: dt.date | None = None,
    no_classroom: bool = True,
    left: bool = True,
    signed_in: SignedInUser | None = None,
    include_synced: bool = False,
    filters: PlanFilter | None = None,
) -> StaffPlan:
    """Staff whose access should be revoked, each with the reasons that apply.

    A person is proposed when not signed in since `since` (never having signed in
    counts only for those teaching nothing this year: new hires have not signed in
    yet), when a teacher has no active classroom in the current school year, or when
    marked as left. District admins, the signed-in user and already revoked staff never
    are; synced staff are counted and left to the sync unless `include_synced`.
    """
    signed_in = signed_in or SignedInUser()
    filters = filters or PlanFilter()
    school_year = planned_school_year(connection, as_of)
    taught = _classrooms_taught_count(school_year)
    if since is not None:
        cutoff = dt.datetime.combine(since, dt.time())
        never = and_(_staff.last_sign_in_at.is_(None), taught == 0)
        stale: Any = or_(_staff.last_sign_in_at < cutoff, never)
    else:
        stale = false()
    idle: Any = and_(_staff.role == Role.TEACHER, taught == 0) if no_classroom and school_year else false()
    gone: Any = _staff.left_on.is_not(None) if left else false()
    flags = [case((condition, literal(True)), else_=literal(False)) for condition in (stale, idle, gone)]
    scope = [
        _staff.access == StaffAccess.ACTIVE,
        _staff.role != Role.DISTRICT_ADMIN,
        or_(stale, idle, gone),
        not_staged(EntityType.STAFF, _staff.id),
        *_signed_in_clauses(signed_in),
        *_filter_clauses(filters),
    ]
    skipped = already_staged(connection, [OperationKind.REVOKE_STAFF_ACCESS], "staff")
    if not include_synced:
        synced = count_of(connection, select(_staff.id).where(*scope, _staff.origin == Origin.SYNC))
        scope.append(_staff.origin == Origin.MANUAL)
        if synced:
            skipped += (
                Skipped(
                    synced,
                    f"{synced} synced staff match too but are left to the sync: their access ends "
                    "when the SIS no longer lists them.",
                ),
            )
    query = (
        select(
            _staff.id,
            _staff.first_name,
            _staff.last_name,
            _staff.email,
            _staff.role,
            func.coalesce(_school.name, "District"),
            _staff.last_sign_in_at,
            _staff.left_on,
            taught,
            *flags,
        )
        .outerjoin(School.__table__, _school.id == _staff.school_id)
        .where(*scope)
        .order_by(_school.name, _staff.last_name, _staff.first_name, _staff.id)
    )
    describe = _describer(since)
    return StaffPlan(
        step=Step.INACTIVE_STAFF,
        kind=OperationKind.REVOKE_STAFF_ACCESS,
        count=count_of(connection, query),
        connection=connection,
        query=query,
        make_item=describe,
        skipped=skipped,
        description=_description(since, school_year),
        school_year=school_year,
    )


def _classrooms_taught_count(school_year: int | None) -> Any:
    """Correlated count of the active classrooms a staff member teaches in `school_year`.

    Correlated on purpose: it follows the person index to a handful of enrollments,
    where grouping all enrollments would read millions of student rows.
    """
    return (
        select(func.count(func.distinct(_enrollment.classroom_id)))
        .select_from(Enrollment.__table__)
        .join(Classroom.__table__, _classroom.id == _enrollment.classroom_id)
        .join(Term.__table__, _term.id == _classroom.term_id)
        .where(
            _enrollment.person_id == _staff.id,
            _enrollment.role == EnrollmentRole.TEACHER,
            _classroom.status == RecordStatus.ACTIVE,
            _term.school_year == (school_year if school_year is not None else -1),
        )
        .scalar_subquery()
    )


def _signed_in_clauses(user: SignedInUser) -> list[Any]:
    clauses: list[Any] = []
    if user.staff_id:
        clauses.append(_staff.id != user.staff_id)
    if user.email:
        clauses.append(or_(_staff.email.is_(None), func.lower(_staff.email) != user.email.strip().lower()))
    return clauses


def _filter_clauses(filters: PlanFilter) -> list[Any]:
    clauses: list[Any] = []
    if filters.school_id:
        clauses.append(_staff.school_id == filters.school_id)
    pattern = filters.like()
    if pattern:
        full_name = _staff.first_name + " " + _staff.last_name
        clauses.append(
            or_(
                full_name.ilike(pattern, escape="\\"),
                _staff.email.ilike(pattern, escape="\\"),
            )
        )
    return clauses


def _describer(since: dt.date | None) -> Any:
    def describe(row: Any) -> StaffItem:
        (staff_id, first, last, email, role, school, signed_in_at, left_on, taught, stale, idle, gone) = row
        reasons: list[StaffReason] = []
        texts: list[str] = []
        if gone:
            reasons.append(StaffReason.LEFT)
            texts.append(f"Marked as left on {left_on:%Y-%m-%d}")
        if stale:
            reasons.append(StaffReason.NOT_SIGNED_IN)
            texts.append(
                "Never signed in"
                if signed_in_at is None
                else f"Not signed in since {since:%Y-%m-%d} (last {signed_in_at:%Y-%m-%d})"
            )
        if idle:
            reasons.append(StaffReason.NO_CLASSROOM)
            texts.append("Teaches no classroom this school year")
        return StaffItem(
            staff_id,
            "; ".join(texts),
            f"{first} {last}",
            email,
            role,
            school,
            signed_in_at,
            left_on,
            int(taught),
            tuple(reasons),
        )

    return describe


def _description(since: dt.date | None, school_year: int | None) -> str:
    rules = ["staff marked as left"]
    if since is not None:
        rules.append(f"staff not signed in since {since:%Y-%m-%d}")
    if school_year is not None:
        rules.append(f"teachers with no classroom in {school_year_label(school_year)}")
    return "Revoke access of " + ", ".join(rules) + ". District admins and you are never included."

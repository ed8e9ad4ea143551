"""Who is asking, and which rows of each table they may see.

`visible(principal, type)` returns a SQL condition for a table (None = no filter,
`false()` = nothing); the changes feed and operations both use it, so what a user may
read and what they may change can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, false, or_, select

from connect_desktop.domain.entities import EnrollmentRole, EntityType, Role
from connect_server import models

TABLES: dict[EntityType, Table] = {kind: model.__table__ for kind, model in models.ENTITY_MODELS.items()}  # type: ignore[misc]
TOMBSTONE: Table = models.Tombstone.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as every request handler sees them."""

    user_id: str
    email: str
    role: Role
    school_ids: tuple[str, ...]
    staff_id: str | None
    display_name: str
    scope_seq: int = 0
    """The feed position at which this user's role or schools last changed."""

    @property
    def is_district_admin(self) -> bool:
        return self.role is Role.DISTRICT_ADMIN

    @property
    def is_teacher(self) -> bool:
        return self.role is Role.TEACHER


_SCHOOL_SCOPED = {
    EntityType.STUDENT,
    EntityType.CLASSROOM,
    EntityType.ENROLLMENT,
    EntityType.STUDENT_CONTACT,
    EntityType.MESSAGE_STAT,
}
_DISTRICT_OR_SCHOOL = {EntityType.TERM, EntityType.STAFF}


def visible(principal: Principal, kind: EntityType) -> ColumnElement[bool] | None:
    """The condition on `TABLES[kind]` selecting what `principal` may see (None: all)."""
    if principal.is_district_admin:
        return None
    if principal.is_teacher:
        return _teacher_visible(principal, kind)
    table = TABLES[kind]
    schools = list(principal.school_ids)
    if kind is EntityType.SCHOOL:
        return table.c.id.in_(schools)
    if kind in _DISTRICT_OR_SCHOOL:
        return or_(table.c.school_id.in_(schools), table.c.school_id.is_(None))
    if kind in _SCHOOL_SCOPED:
        return table.c.school_id.in_(schools)
    if kind is EntityType.CONTACT:
        links = TABLES[EntityType.STUDENT_CONTACT]
        linked = select(links.c.contact_id).where(links.c.school_id.in_(schools))
        return or_(table.c.school_id.in_(schools), table.c.id.in_(linked))
    return None  # sync settings and runs: every admin


def partitions(principal: Principal, kind: EntityType) -> list[ColumnElement[bool] | None]:
    """`visible` split into disjoint conditions that each match one index range.

    A school admin's scoped rows are read per school (and the district-level rows
    separately) over the `(school_id, seq)` index, so each part comes out in `seq`
    order without sorting, and the feed merges them.
    """
    if principal.role is not Role.SCHOOL_ADMIN:
        return [visible(principal, kind)]
    table = TABLES[kind]
    if kind in _SCHOOL_SCOPED or kind in _DISTRICT_OR_SCHOOL:
        parts: list[ColumnElement[bool] | None] = [
            table.c.school_id == school for school in principal.school_ids
        ]
        if kind in _DISTRICT_OR_SCHOOL:
            parts.append(table.c.school_id.is_(None))
        return parts
    return [visible(principal, kind)]


def tombstone_partitions(principal: Principal) -> list[ColumnElement[bool] | None]:
    """`tombstone_visible` split like `partitions` (school admins: one part per school)."""
    if principal.role is not Role.SCHOOL_ADMIN:
        return [tombstone_visible(principal)]
    return [TOMBSTONE.c.school_id == school for school in principal.school_ids] + [
        TOMBSTONE.c.school_id.is_(None)
    ]


def tombstone_visible(principal: Principal) -> ColumnElement[bool] | None:
    """Which deletions `principal` is told about (school-less ones go to every admin)."""
    if principal.is_district_admin:
        return None
    schools = list(principal.school_ids)
    if principal.is_teacher:
        kinds = [
            EntityType.SCHOOL,
            EntityType.TERM,
            EntityType.CLASSROOM,
            EntityType.ENROLLMENT,
            EntityType.STUDENT,
        ]
        return (TOMBSTONE.c.school_id.in_(schools)) & TOMBSTONE.c.type.in_([k.value for k in kinds])
    return or_(TOMBSTONE.c.school_id.in_(schools), TOMBSTONE.c.school_id.is_(None))


def _taught_classrooms(principal: Principal):  # type: ignore[no-untyped-def]
    enrollment = TABLES[EntityType.ENROLLMENT]
    return select(enrollment.c.classroom_id).where(
        enrollment.c.role == EnrollmentRole.TEACHER.value,
        enrollment.c.person_id == (principal.staff_id or ""),
    )


def _teacher_visible(principal: Principal, kind: EntityType) -> ColumnElement[bool]:
    table = TABLES[kind]
    schools = list(principal.school_ids)
    if principal.staff_id is None and kind not in (EntityType.SCHOOL, EntityType.TERM):
        return false()
    if kind is EntityType.SCHOOL:
        return table.c.id.in_(schools)
    if kind is EntityType.TERM:
        return or_(table.c.school_id.in_(schools), table.c.school_id.is_(None))
    if kind is EntityType.STAFF:
        return table.c.id == principal.staff_id
    if kind is EntityType.CLASSROOM:
        return table.c.id.in_(_taught_classrooms(principal))
    if kind is EntityType.ENROLLMENT:
        return table.c.classroom_id.in_(_taught_classrooms(principal))
    if kind is EntityType.STUDENT:
        enrollment = TABLES[EntityType.ENROLLMENT]
        taught = select(enrollment.c.person_id).where(
            enrollment.c.role == EnrollmentRole.STUDENT.value,
            enrollment.c.classroom_id.in_(_taught_classrooms(principal)),
        )
        return table.c.id.in_(taught)
    return false()


def writable(principal: Principal, kind: EntityType) -> ColumnElement[bool] | None:
    """The condition selecting rows `principal` may change (None: all; teachers: none).

    Stricter than `visible`: a school admin changes only rows of their own schools,
    never district-level ones.
    """
    if principal.is_district_admin:
        return None
    if principal.is_teacher:
        return false()
    table = TABLES[kind]
    if kind is EntityType.SCHOOL:
        return table.c.id.in_(list(principal.school_ids))
    if "school_id" in table.c:
        return table.c.school_id.in_(list(principal.school_ids))
    return false()


ARCHIVE_LIST: Table = models.SyncRunArchive.__table__  # type: ignore[assignment]


def archive_visible(principal: Principal) -> ColumnElement[bool] | None:
    """The condition on `sync_run_archive` selecting the items `principal` may see (None: all).

    A school admin sees the items filed under their schools; a contact item also while the
    contact is `visible` to them (through any family link in their schools). District-level
    items (schools, terms, school-less staff and contacts) are for district admins only;
    teachers see none.
    """
    if principal.is_district_admin:
        return None
    if principal.is_teacher:
        return false()
    items, contacts = ARCHIVE_LIST, TABLES[EntityType.CONTACT]
    seen = select(contacts.c.id).where(visible(principal, EntityType.CONTACT))  # type: ignore[arg-type]
    return or_(
        items.c.school_id.in_(list(principal.school_ids)),
        (items.c.type == EntityType.CONTACT.value) & items.c.record_id.in_(seen),
    )

"""Read queries the UI needs: effective counts and paged, counted listings.

All listings show the effective state (staged operations applied, see `effective`), use
a stable order backed by an index, and return plain frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from connect_desktop.domain.changes import DELETE_KINDS
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import REVIEW
from connect_desktop.store.effective import (
    STAGED_STATES,
    any_staged_sql,
    effective_value_sql,
    not_deleted_sql,
    staged_deletes_sql,
    staged_sql,
)
from connect_desktop.store.models import ENTITY_MODELS, PendingOperation

T = TypeVar("T")

REVIEW_STATES: tuple[str, ...] = tuple(state.value for state in sorted(REVIEW))
"""States the review list shows: not yet sent, being sent, or needing the user."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; `total` is None when the caller asked not to count."""

    rows: list[T]
    total: int | None
    offset: int
    limit: int
    next_after: tuple[Any, ...] | None = None
    """Pass as `after=` to get the next page by keyset (fast at any depth)."""


@dataclass(frozen=True)
class StudentRow:
    id: str
    student_number: str
    first_name: str
    last_name: str
    grade: str
    school_id: str
    school_name: str | None
    status: str
    origin: str
    staged: bool


@dataclass(frozen=True)
class StaffRow:
    id: str
    first_name: str
    last_name: str
    email: str | None
    role: str
    school_id: str | None
    school_name: str | None
    access: str
    last_sign_in_at: str | None
    origin: str
    staged: bool


@dataclass(frozen=True)
class ClassroomRow:
    id: str
    name: str
    course_code: str | None
    grade: str | None
    school_id: str
    school_name: str | None
    term_id: str
    term_name: str | None
    school_year: int | None
    status: str
    origin: str
    staged: bool


@dataclass(frozen=True)
class ListFilter:
    """Optional filters; `status` is the effective status (or access, for staff)."""

    school_id: str | None = None
    grade: str | None = None
    status: str | None = None
    term_id: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class PendingRow:
    op_id: str
    kind: str
    target_type: str
    target_id: str
    base_version: int | None
    """None while the target is a record an earlier staged operation creates."""
    params: dict[str, Any]
    step: str
    batch: str | None
    state: str
    created_at: dt.datetime
    result_message: str | None
    kept: bool = False
    """Kept for later: unchecked in Review, left out of every send until checked again."""


@dataclass(frozen=True)
class StepGroup:
    step: str
    counts: dict[str, int] = field(default_factory=dict)
    """state → number of operations."""


# -- counts --------------------------------------------------------------------------------


def _has_staged(session: Session, entity: EntityType) -> bool:
    return bool(session.execute(text(any_staged_sql(entity))).scalar_one())


def effective_counts(session: Session) -> dict[str, int]:
    """Records per entity type in the cache, minus those with a staged delete."""
    counts: dict[str, int] = {}
    for entity, model in ENTITY_MODELS.items():
        counts[entity.value] = _count(session, entity, model.__tablename__, "t", [], None, {})
    return counts


INACTIVE_SQL: dict[EntityType, str] = {
    EntityType.STAFF: "SELECT count(*) FROM staff WHERE access != 'active'",
    EntityType.STUDENT: "SELECT count(*) FROM student WHERE status != 'active'",
    EntityType.CLASSROOM: "SELECT count(*) FROM classroom WHERE status != 'active'",
}
"""Records that are still there but out of use: archived, or without access."""


def inactive_counts(session: Session) -> dict[str, int]:
    """Entity type → records archived (staff: access removed) in Connect, as last downloaded."""
    return {
        entity.value: int(session.execute(text(sql)).scalar_one()) for entity, sql in INACTIVE_SQL.items()
    }


# -- listings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    entity: EntityType
    alias: str
    columns: str
    """Select list before the effective field and the staged flag."""
    joins: str
    order: str
    field: str
    filters: Callable[[ListFilter, str], tuple[list[str], dict[str, Any]]]


def _common_filters(flt: ListFilter, alias: str) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if flt.school_id is not None:
        where.append(f"{alias}.school_id = :school_id")
        params["school_id"] = flt.school_id
    if flt.grade is not None:
        where.append(f"{alias}.grade = :grade")
        params["grade"] = flt.grade
    if flt.term_id is not None:
        where.append(f"{alias}.term_id = :term_id")
        params["term_id"] = flt.term_id
    return where, params


def _search(
    columns: Sequence[str], exact: Sequence[str] = ()
) -> Callable[[ListFilter, str], tuple[list[str], dict[str, Any]]]:
    def build(flt: ListFilter, alias: str) -> tuple[list[str], dict[str, Any]]:
        where, params = _common_filters(flt, alias)
        if flt.search:
            needle = flt.search.strip()
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["search_prefix"] = escaped + "%"
            params["search_exact"] = needle
            options = [f"{alias}.{c} LIKE :search_prefix ESCAPE '\\'" for c in columns]
            options += [f"{alias}.{c} = :search_exact" for c in exact]
            where.append("(" + " OR ".join(options) + ")")
        return where, params

    return build


_STUDENTS = _Listing(
    entity=EntityType.STUDENT,
    alias="s",
    columns="s.id, s.student_number, s.first_name, s.last_name, s.grade, s.school_id, sc.name",
    joins="LEFT JOIN school sc ON sc.id = s.school_id",
    order="s.last_name, s.first_name, s.id",
    field="status",
    filters=_search(("last_name", "first_name"), ("student_number",)),
)
_STAFF = _Listing(
    entity=EntityType.STAFF,
    alias="f",
    columns="f.id, f.first_name, f.last_name, f.email, f.role, f.school_id, sc.name, f.last_sign_in_at",
    joins="LEFT JOIN school sc ON sc.id = f.school_id",
    order="f.last_name, f.first_name, f.id",
    field="access",
    filters=_search(("last_name", "first_name", "email")),
)
_CLASSROOMS = _Listing(
    entity=EntityType.CLASSROOM,
    alias="c",
    columns=(
        "c.id, c.name, c.course_code, c.grade, c.school_id, sc.name, c.term_id, tm.name, tm.school_year"
    ),
    joins="LEFT JOIN school sc ON sc.id = c.school_id LEFT JOIN term tm ON tm.id = c.term_id",
    order="c.name, c.id",
    field="status",
    filters=_search(("name", "course_code")),
)


def _page_rows(
    session: Session,
    listing: _Listing,
    flt: ListFilter,
    offset: int,
    limit: int,
    after: Sequence[Any] | None = None,
    count: bool = True,
) -> tuple[list[Any], int | None]:
    a = listing.alias
    table = ENTITY_MODELS[listing.entity].__tablename__
    where, params = listing.filters(flt, a)
    keyset: list[str] = []
    if after is not None:  # keyset paging: rows after this sort key (fast at any depth)
        names = [f"after_{i}" for i in range(len(after))]
        keyset.append(f"({listing.order}) > ({', '.join(':' + n for n in names)})")
        params.update(zip(names, after, strict=True))
    staged = _has_staged(session, listing.entity)
    value = effective_value_sql(listing.entity, a) if staged else f"{a}.{listing.field}"
    flag = staged_sql(listing.entity, a) if staged else "0"
    hidden = not_deleted_sql(listing.entity, a) if staged else None
    base = list(where)
    if hidden:
        where.append(hidden)
    if flt.status is not None:
        where.append(f"{value} = :status")
        params["status"] = flt.status
    condition = (" WHERE " + " AND ".join(where)) if where else ""
    page_condition = (" WHERE " + " AND ".join(where + keyset)) if where or keyset else ""
    rows = session.execute(
        text(
            f"SELECT {listing.columns}, {a}.origin, {value} AS effective, {flag} AS staged "
            f"FROM {table} {a} {listing.joins}{page_condition} "
            f"ORDER BY {listing.order} LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    if not count:
        return list(rows), None
    params = {k: v for k, v in params.items() if not k.startswith("after_")}
    total = _count(
        session, listing.entity, table, a, base, condition if flt.status is not None else None, params
    )
    return list(rows), total


def _count(
    session: Session,
    entity: EntityType,
    table: str,
    a: str,
    base: list[str],
    full_condition: str | None,
    params: dict[str, Any],
) -> int:
    """Matching records; with staged deletes, counted by subtraction (an index-only count)."""
    if full_condition is not None:  # an effective-status filter needs the row-by-row check
        return int(
            session.execute(text(f"SELECT count(*) FROM {table} {a}{full_condition}"), params).scalar_one()
        )
    condition = (" WHERE " + " AND ".join(base)) if base else ""
    total = int(session.execute(text(f"SELECT count(*) FROM {table} {a}{condition}"), params).scalar_one())
    deleted = staged_deletes_sql(entity, a)
    if deleted and _has_staged(session, entity):
        both = " WHERE " + " AND ".join([*base, deleted])
        total -= int(session.execute(text(f"SELECT count(*) FROM {table} {a}{both}"), params).scalar_one())
    return total


# A row is the listing's columns, then the origin, the effective field and the staged flag.
# The last fields go in as a mapping: the type checker cannot count a row's columns.


def _student(r: Any) -> StudentRow:
    return StudentRow(*r[:7], **{"origin": r[7], "status": r[8], "staged": bool(r[9])})


def _staff(r: Any) -> StaffRow:
    last = {"last_sign_in_at": r[7], "origin": r[8], "access": r[9], "staged": bool(r[10])}
    return StaffRow(*r[:7], **last)


def _classroom(r: Any) -> ClassroomRow:
    return ClassroomRow(*r[:9], **{"origin": r[9], "status": r[10], "staged": bool(r[11])})


_LISTINGS: dict[EntityType, tuple[_Listing, Callable[[Any], Any], Callable[[Any], tuple[Any, ...]]]] = {
    EntityType.STUDENT: (_STUDENTS, _student, lambda row: (row.last_name, row.first_name, row.id)),
    EntityType.STAFF: (_STAFF, _staff, lambda row: (row.last_name, row.first_name, row.id)),
    EntityType.CLASSROOM: (_CLASSROOMS, _classroom, lambda row: (row.name, row.id)),
}
"""Per listable type: the query, the row it makes, and its sort key (for `next_after`)."""

LISTABLE: frozenset[EntityType] = frozenset(_LISTINGS)


def list_records(
    session: Session,
    entity: EntityType | str,
    flt: ListFilter = ListFilter(),
    offset: int = 0,
    limit: int = 100,
    *,
    after: Sequence[Any] | None = None,
    count: bool = True,
) -> Page[Any]:
    """Students, staff or classrooms in their effective state, one page of them.

    Students and staff by last name, first name, id; classrooms by name, id (with school
    and term names). For staff, `flt.status` filters on the effective access. `after` is
    the previous page's `next_after` (keyset paging, fast at any depth); `count=False`
    skips the total.
    """
    listing, make_row, sort_key = _LISTINGS[EntityType(entity)]
    rows, total = _page_rows(session, listing, flt, offset, limit, after, count)
    out = [make_row(r) for r in rows]
    return Page(out, total, offset, limit, sort_key(out[-1]) if out else None)


# -- the outbox ----------------------------------------------------------------------------


def pending_state_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        text("SELECT state, count(*) FROM pending_operation GROUP BY state ORDER BY state")
    )
    return {state: count for state, count in rows}


def pending_by_step(session: Session, states: Sequence[str] = REVIEW_STATES) -> list[StepGroup]:
    """Per step, how many operations are in each state (steps in first-staged order)."""
    rows = session.execute(
        text(
            "SELECT step, state, count(*), min(created_at) FROM pending_operation "
            f"WHERE state IN ({', '.join(repr(str(s)) for s in states)}) GROUP BY step, state"
        )
    ).all()
    groups: dict[str, StepGroup] = {}
    first: dict[str, str] = {}
    for step, state, count, earliest in rows:
        groups.setdefault(step, StepGroup(step)).counts[state] = count
        first[step] = min(first.get(step, earliest), earliest)
    return [groups[s] for s in sorted(groups, key=lambda s: (first[s], s))]


def pending_kind_counts(session: Session, states: Sequence[str]) -> dict[str, int]:
    """Operation kind → how many operations in `states`."""
    model = PendingOperation
    rows = session.execute(
        select(model.kind, func.count()).where(model.state.in_(list(states))).group_by(model.kind)
    )
    return {kind: int(count) for kind, count in rows}


def kept_for_later_ids(session: Session) -> frozenset[str]:
    """Operations Review lists that the user keeps for later (no send takes them)."""
    model = PendingOperation
    found = session.scalars(select(model.op_id).where(model.kept.is_(True), model.state.in_(REVIEW_STATES)))
    return frozenset(found)


def kept_for_later_count(session: Session) -> int:
    """How many staged operations the next send leaves out because the user keeps them for later."""
    model = PendingOperation
    statement = select(func.count()).where(model.kept.is_(True), model.state.in_(list(STAGED_STATES)))
    return int(session.scalar(statement) or 0)


def list_pending(
    session: Session,
    *,
    step: str | None = None,
    states: Sequence[str] = REVIEW_STATES,
    offset: int = 0,
    limit: int = 100,
    op_ids: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    but_kinds: Collection[str] = (),
    permanent_first: bool = False,
) -> Page[PendingRow]:
    """Staged operations, oldest first, optionally of one step, of `kinds` but not `but_kinds`,
    or only these `op_ids`; with `permanent_first`, the ones that delete for good come first."""
    model = PendingOperation
    query = session.query(model).filter(model.state.in_(list(states)))
    if step is not None:
        query = query.filter(model.step == step)
    if kinds is not None:
        query = query.filter(model.kind.in_(sorted(kinds)))
    if but_kinds:
        query = query.filter(model.kind.not_in(sorted(but_kinds)))
    if op_ids is not None:  # bound as one JSON parameter: any number of ids
        wanted = func.json_each(json.dumps(sorted(op_ids))).table_valued("value")
        query = query.filter(model.op_id.in_(select(wanted.c.value)))
    total = query.count()
    order: list[Any] = [model.created_at, model.op_id]
    if permanent_first:
        order.insert(0, case((model.kind.in_(sorted(DELETE_KINDS)), 0), else_=1))
    items = query.order_by(*order).offset(offset).limit(limit).all()
    rows = [
        PendingRow(
            op_id=o.op_id,
            kind=o.kind,
            target_type=o.target_type,
            target_id=o.target_id,
            base_version=o.base_version,
            params=dict(o.params or {}),
            step=o.step,
            batch=o.batch,
            state=o.state,
            created_at=o.created_at,
            result_message=o.result_message,
            kept=bool(o.kept),
        )
        for o in items
    ]
    return Page(rows, total, offset, limit)


__all__ = [
    "LISTABLE",
    "REVIEW_STATES",
    "STAGED_STATES",
    "ClassroomRow",
    "ListFilter",
    "Page",
    "PendingRow",
    "StaffRow",
    "StepGroup",
    "StudentRow",
    "effective_counts",
    "list_pending",
    "list_records",
    "pending_by_step",
    "pending_state_counts",
]

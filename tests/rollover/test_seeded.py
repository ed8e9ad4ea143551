"""The planners against the seeded demo district: they find exactly what the seed planted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, select

from connect_desktop.rollover import (
    SignedInUser,
    StudentRule,
    StudentRules,
    plan_classrooms,
    plan_inactive_staff,
    plan_students,
)
from connect_desktop.store.models import Classroom, Staff, Student, Term

pytest.importorskip("connect_server.seed")

AS_OF = dt.date(2026, 6, 20)
SCHOOL_START = dt.date(2025, 8, 15)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from tests.rollover.seeded import seed_cache

    return seed_cache(tmp_path_factory.mktemp("seeded"), 1500, AS_OF)


@pytest.fixture
def cache(seeded: tuple[Path, dict[str, Any]]) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{seeded[0]}")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@pytest.fixture
def truth(seeded: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return seeded[1]


def _origin(connection: Connection, model: Any) -> dict[str, str]:
    table = model.__table__.c
    return dict(connection.execute(select(table.id, table.origin)).all())  # type: ignore[arg-type]


def _signed_in(truth: dict[str, Any]) -> SignedInUser:
    admin = truth["accounts"]["district_admin"]
    return SignedInUser(staff_id=admin["staff_id"], email=admin["email"])


def test_staff_plan_finds_exactly_the_staff_who_left(cache: Connection, truth: dict[str, Any]) -> None:
    origin = _origin(cache, Staff)
    left = set(truth["staff_who_left"])
    assert left
    every = plan_inactive_staff(
        cache, as_of=AS_OF, since=SCHOOL_START, signed_in=_signed_in(truth), include_synced=True
    )
    assert set(every.ids()) == left
    manual = plan_inactive_staff(cache, as_of=AS_OF, since=SCHOOL_START, signed_in=_signed_in(truth))
    assert set(manual.ids()) == {i for i in left if origin[i] == "manual"}
    synced_left = sum(1 for i in left if origin[i] == "sync")
    assert [s.count for s in manual.skipped if "sync" in s.reason] == ([synced_left] if synced_left else [])


def test_signed_in_accounts_and_revoked_staff_are_never_proposed(
    cache: Connection, truth: dict[str, Any]
) -> None:
    plan = plan_inactive_staff(cache, as_of=AS_OF, since=AS_OF, include_synced=True)
    proposed = set(plan.ids())
    assert not proposed & set(truth["staff_revoked"])
    admins = {a["staff_id"] for role, a in truth["accounts"].items() if role == "district_admin"}
    assert not proposed & admins
    for account in truth["accounts"].values():
        me = SignedInUser(staff_id=account["staff_id"], email=account["email"])
        mine = plan_inactive_staff(cache, as_of=AS_OF, since=AS_OF, signed_in=me, include_synced=True)
        assert account["staff_id"] not in set(mine.ids())


def test_classroom_plan_is_the_ended_years_manual_classrooms(
    cache: Connection, truth: dict[str, Any]
) -> None:
    plan = plan_classrooms(cache, as_of=AS_OF)
    assert set(plan.ids()) == set(truth["manual_classrooms_ended"])
    # on AS_OF (20 June) the seeded year is over (12 June): it is proposed with last year
    assert len(truth["manual_classrooms_ended"]) > len(truth["manual_classrooms_last_year"])
    c, t = Classroom.__table__.c, Term.__table__.c
    ended = [truth["school_year"] - 1, truth["school_year"]]
    synced_last_year = cache.execute(
        select(c.id)
        .join(Term.__table__, t.id == c.term_id)
        .where(t.school_year.in_(ended), c.origin == "sync", c.status == "active")
    ).all()
    assert [s.count for s in plan.skipped] == ([len(synced_last_year)] if synced_last_year else [])


def test_student_plans_find_the_manual_graduates_and_withdrawn(
    cache: Connection, truth: dict[str, Any]
) -> None:
    origin = _origin(cache, Student)
    graduates = plan_students(cache, StudentRules.of(StudentRule.TOP_GRADE))
    grade_12 = {item.id for item in graduates.items() if item.grade == "12"}
    assert grade_12 == {i for i in truth["graduating_students"] if origin[i] == "manual"}
    assert all(origin[i] == "manual" for i in graduates.ids())
    synced_graduates = sum(1 for i in truth["graduating_students"] if origin[i] == "sync")
    assert sum(s.count for s in graduates.skipped) >= synced_graduates
    withdrawn = plan_students(cache, StudentRules.of(StudentRule.WITHDRAWN))
    assert set(withdrawn.ids()) == {i for i in truth["withdrawn_students"] if origin[i] == "manual"}


def test_no_manual_step_proposes_a_synced_record(cache: Connection, truth: dict[str, Any]) -> None:
    students, classrooms, staff = _origin(cache, Student), _origin(cache, Classroom), _origin(cache, Staff)
    everyone = plan_students(cache, StudentRules.of(StudentRule.EVERYONE))
    assert everyone.count and all(students[i] == "manual" for i in everyone.ids())
    student = Student.__table__.c
    active_synced = cache.execute(
        select(student.id).where(student.origin == "sync", student.status == "active")
    )
    assert sum(s.count for s in everyone.skipped) == len(active_synced.all())
    years = [truth["school_year"] - 1, truth["school_year"]]
    assert all(
        classrooms[i] == "manual" for i in plan_classrooms(cache, as_of=AS_OF, school_years=years).ids()
    )
    assert all(staff[i] == "manual" for i in plan_inactive_staff(cache, as_of=AS_OF, since=AS_OF).ids())

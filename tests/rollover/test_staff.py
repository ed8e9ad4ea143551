from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover import PlanFilter, SignedInUser, StaffReason, Step, plan_inactive_staff
from connect_desktop.store.models import PendingOperation
from tests.rollover.builder import CacheBuilder
from tests.rollover.conftest import TODAY, Scenario

SINCE = dt.date(2025, 9, 1)
ME = SignedInUser(email="me@example.org")


def _plan(connection: Connection, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("since", SINCE)
    kwargs.setdefault("signed_in", ME)
    return plan_inactive_staff(connection, as_of=TODAY, **kwargs)  # type: ignore[arg-type]


def test_proposes_staff_who_left_went_quiet_or_teach_nothing_with_reasons(
    connection: Connection, scenario: Scenario
) -> None:
    plan = _plan(connection)
    items = {item.id: item for item in plan.items()}
    assert set(items) == {scenario.left, scenario.stale, scenario.idle}
    assert plan.count == 3
    assert items[scenario.left].reasons == (StaffReason.LEFT,)
    assert items[scenario.left].reason == "Marked as left on 2026-05-01"
    assert items[scenario.stale].reasons == (StaffReason.NOT_SIGNED_IN,)
    assert "Not signed in since 2025-09-01" in items[scenario.stale].reason
    assert items[scenario.idle].reasons == (StaffReason.NO_CLASSROOM,)
    assert items[scenario.stale].classrooms == 2
    assert items[scenario.left].classrooms == 1
    assert items[scenario.idle].classrooms == 0


def test_new_hires_who_never_signed_in_but_teach_are_not_proposed(
    connection: Connection, scenario: Scenario
) -> None:
    assert scenario.new_hire not in set(_plan(connection).ids())


def test_synced_staff_are_left_to_the_sync_unless_asked(connection: Connection, scenario: Scenario) -> None:
    plan = _plan(connection)
    assert scenario.synced_left not in set(plan.ids())
    (skipped,) = plan.skipped
    assert skipped.count == 1 and "left to the sync" in skipped.reason
    assert scenario.synced_left in set(_plan(connection, include_synced=True).ids())


def test_district_admins_signed_in_user_and_revoked_staff_are_never_proposed(
    connection: Connection, scenario: Scenario
) -> None:
    ids = set(_plan(connection).ids())
    assert not ids & {scenario.admin, scenario.me, scenario.revoked}
    # without knowing who is signed in, the (never signed-in) school admin would be proposed
    assert scenario.me in set(_plan(connection, signed_in=SignedInUser()).ids())
    by_staff_id = _plan(connection, signed_in=SignedInUser(staff_id=scenario.me))
    assert scenario.me not in set(by_staff_id.ids())


def test_without_a_since_date_only_left_and_classless_teachers(
    connection: Connection, scenario: Scenario
) -> None:
    plan = _plan(connection, since=None)
    assert set(plan.ids()) == {scenario.left, scenario.idle}


def test_consequence_for_the_whole_plan_and_for_a_partial_selection(
    connection: Connection, scenario: Scenario
) -> None:
    plan = _plan(connection)
    # Lea's class and Stu's own class lose their only teacher; the shared class keeps Ava
    assert plan.classrooms_without_teacher() == 2
    assert plan.consequence() == "2 classrooms taught by these staff will have no teacher"
    assert plan.classrooms_without_teacher([scenario.left]) == 1
    assert plan.classrooms_without_teacher(excluded_ids=[scenario.stale]) == 1
    assert plan.classrooms_without_teacher([scenario.idle]) == 0
    assert plan.consequence([scenario.idle]) == "No classroom will be left without a teacher"
    # ids outside the plan are ignored
    assert plan.classrooms_without_teacher([scenario.active]) == 0


def test_what_a_proposed_person_still_teaches(connection: Connection, scenario: Scenario) -> None:
    taught = _plan(connection).classrooms_taught(scenario.stale)
    assert [c.name for c in taught] == ["Shared class", "Stu's class"]
    assert {c.school for c in taught} == {"Carver High"}


def test_filters_by_school_and_search(connection: Connection, scenario: Scenario) -> None:
    assert set(_plan(connection, filters=PlanFilter(school_id=scenario.high)).ids()) == {scenario.stale}
    assert set(_plan(connection, filters=PlanFilter(search="ida")).ids()) == {scenario.idle}
    assert set(_plan(connection, filters=PlanFilter(search="%")).ids()) == set()


def test_operations_respect_selection_and_never_write(connection: Connection, scenario: Scenario) -> None:
    plan = _plan(connection)
    ops = list(plan.to_operations(excluded_ids=[scenario.stale]))
    assert {op.target_id for op in ops} == {scenario.left, scenario.idle}
    assert all(op.kind is OperationKind.REVOKE_STAFF_ACCESS for op in ops)
    assert all(op.target_type is EntityType.STAFF and op.step == Step.INACTIVE_STAFF for op in ops)
    assert [op.target_id for op in plan.to_operations([scenario.idle, scenario.admin])] == [scenario.idle]
    assert connection.execute(select(func.count()).select_from(PendingOperation)).scalar_one() == 0


def test_already_staged_staff_are_not_proposed_again(connection: Connection, scenario: Scenario) -> None:
    CacheBuilder(connection).operation("revoke_staff_access", "staff", scenario.left, state="pending")
    plan = _plan(connection)
    assert scenario.left not in set(plan.ids())
    assert [s.count for s in plan.skipped if "already staged" in s.reason] == [1]


def test_paging_gives_the_same_items_in_order(connection: Connection, scenario: Scenario) -> None:
    plan = _plan(connection)
    assert plan.page(0, 2) + plan.page(2, 2) == list(plan.items())

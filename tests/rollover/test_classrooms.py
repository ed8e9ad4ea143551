from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover import PlanFilter, Step, plan_classrooms
from tests.rollover.builder import CacheBuilder
from tests.rollover.conftest import TODAY, Scenario


def test_default_is_active_manual_classrooms_of_past_school_years(
    connection: Connection, scenario: Scenario
) -> None:
    plan = plan_classrooms(connection, as_of=TODAY)
    assert [item.id for item in plan.items()] == [
        scenario.c_older,
        scenario.c_last_elem,
        scenario.c_last_high,
    ]
    assert plan.count == 3
    first = next(plan.items())
    assert first.reason == "Manual classroom of school year 2023–24 (2023-2024)"
    assert plan.description.startswith("Archive manual classrooms of school years before 2025–26")


def test_after_the_last_day_of_the_year_its_classrooms_are_proposed_too(
    connection: Connection, scenario: Scenario
) -> None:
    on_the_last_day = set(plan_classrooms(connection, as_of=dt.date(2026, 6, 30)).ids())
    assert on_the_last_day == {scenario.c_older, scenario.c_last_elem, scenario.c_last_high}
    summer = plan_classrooms(connection, as_of=dt.date(2026, 7, 5))  # the year just ended
    this_year = {scenario.c_now_left, scenario.c_now_shared, scenario.c_now_stale, scenario.c_now_new}
    assert this_year <= set(summer.ids())
    assert set(summer.ids()) - this_year == on_the_last_day
    assert summer.description.startswith(
        "Archive manual classrooms of school years up to 2025–26, which ended on 30 June 2026"
    )


def test_synced_classrooms_are_left_to_the_sync_and_counted(
    connection: Connection, scenario: Scenario
) -> None:
    plan = plan_classrooms(connection, as_of=TODAY)
    assert scenario.c_last_sync not in set(plan.ids())
    (skipped,) = plan.skipped
    assert skipped.count == 1
    assert "left to the sync" in skipped.reason


def test_one_school_year_school_and_search(connection: Connection, scenario: Scenario) -> None:
    last_year = plan_classrooms(connection, as_of=TODAY, school_years=[2025])
    assert set(last_year.ids()) == {scenario.c_last_elem, scenario.c_last_high}
    one_school = plan_classrooms(connection, as_of=TODAY, filters=PlanFilter(school_id=scenario.elem))
    assert set(one_school.ids()) == {scenario.c_last_elem}
    assert set(plan_classrooms(connection, as_of=TODAY, filters=PlanFilter(search="bio")).ids()) == {
        scenario.c_last_high
    }
    by_term = plan_classrooms(connection, as_of=TODAY, filters=PlanFilter(term_id=scenario.term_older))
    assert set(by_term.ids()) == {scenario.c_older}


def test_items_show_teachers_and_students(connection: Connection, scenario: Scenario) -> None:
    items = {item.id: item for item in plan_classrooms(connection, as_of=TODAY).items()}
    assert items[scenario.c_last_elem].teachers == "Ida Idle"
    assert items[scenario.c_last_elem].students == 1
    assert items[scenario.c_last_elem].school == "Adams Elementary"


def test_operations_archive_the_kept_classrooms(connection: Connection, scenario: Scenario) -> None:
    plan = plan_classrooms(connection, as_of=TODAY)
    ops = list(plan.to_operations(excluded_ids=[scenario.c_older]))
    assert {op.target_id for op in ops} == {scenario.c_last_elem, scenario.c_last_high}
    assert {(op.kind, op.target_type, op.step) for op in ops} == {
        (OperationKind.ARCHIVE_CLASSROOM, EntityType.CLASSROOM, Step.ARCHIVE_CLASSROOMS)
    }


def test_staged_classrooms_are_not_proposed_twice(connection: Connection, scenario: Scenario) -> None:
    CacheBuilder(connection).operation("archive_classroom", "classroom", scenario.c_older, state="pending")
    plan = plan_classrooms(connection, as_of=TODAY)
    assert scenario.c_older not in set(plan.ids())
    assert any("already staged" in s.reason for s in plan.skipped)

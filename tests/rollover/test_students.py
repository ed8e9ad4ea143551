from __future__ import annotations

import pytest
from sqlalchemy import Connection

from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover import (
    ConfirmationError,
    PlanError,
    PlanFilter,
    StudentAction,
    StudentRule,
    StudentRules,
    plan_students,
)
from tests.rollover.conftest import Scenario


def _ids(connection: Connection, rule: StudentRule, **kwargs: object) -> set[str]:
    action = kwargs.pop("action", StudentAction.ARCHIVE)
    rules = StudentRules.of(rule, **kwargs)  # type: ignore[arg-type]
    return set(plan_students(connection, rules, action=action).ids())  # type: ignore[arg-type]


def test_top_grade_means_graduates_and_those_moving_to_the_next_school(
    connection: Connection, scenario: Scenario
) -> None:
    plan = plan_students(connection, StudentRules.of(StudentRule.TOP_GRADE))
    items = {item.id: item for item in plan.items()}
    assert set(items) == {scenario.fifth, scenario.eighth, scenario.senior}
    assert items[scenario.senior].reason == "Graduating (grade 12)"
    assert items[scenario.fifth].reason == "Moving on to the next school (grade 5 is the top grade here)"
    assert items[scenario.eighth].school == "Baker Middle"


def test_leaving_the_district_keeps_those_moving_up_to_its_own_schools(
    connection: Connection, scenario: Scenario
) -> None:
    plan = plan_students(connection, StudentRules.of(StudentRule.LEAVING_DISTRICT))
    items = {item.id: item for item in plan.items()}
    assert set(items) == {scenario.senior, scenario.withdrawn}  # not the fifth and eighth graders
    assert items[scenario.senior].reason == "Graduating: grade 12 is the last grade your district offers"
    # with the new year's file, also those not in it (the graduate is proposed even if listed)
    numbers = {i.id: i.student_number for i in plan_students(connection, StudentRules(everyone=True)).items()}
    listed = [number for student, number in numbers.items() if student != scenario.third]
    with_file = _ids(connection, StudentRule.LEAVING_DISTRICT, file_numbers=listed)
    assert with_file == {scenario.senior, scenario.withdrawn, scenario.third}


def test_synced_students_are_left_to_the_sync(connection: Connection, scenario: Scenario) -> None:
    plan = plan_students(connection, StudentRules.of(StudentRule.TOP_GRADE))
    assert scenario.senior_sync not in set(plan.ids())
    (skipped,) = plan.skipped
    assert skipped.count == 1 and "left to the sync" in skipped.reason


def test_withdrawn_picked_and_everyone(connection: Connection, scenario: Scenario) -> None:
    assert _ids(connection, StudentRule.WITHDRAWN) == {scenario.withdrawn}
    assert _ids(connection, StudentRule.PICKED, picked_ids=[scenario.third, scenario.senior_sync]) == {
        scenario.third
    }
    everyone = _ids(connection, StudentRule.EVERYONE)
    assert everyone == {
        scenario.fifth,
        scenario.third,
        scenario.zeros,
        scenario.eighth,
        scenario.senior,
        scenario.withdrawn,
    }


def test_not_in_file_keeps_leading_zeros(connection: Connection, scenario: Scenario) -> None:
    everyone = _ids(connection, StudentRule.EVERYONE)
    missing = _ids(connection, StudentRule.NOT_IN_FILE, file_numbers=["00123", "999999"])
    assert missing == everyone - {scenario.zeros}
    # "123" is not "00123"
    assert scenario.zeros in _ids(connection, StudentRule.NOT_IN_FILE, file_numbers=["123"])
    with pytest.raises(PlanError):
        StudentRules.of(StudentRule.NOT_IN_FILE)


def test_rules_combine_with_one_reason_each(connection: Connection, scenario: Scenario) -> None:
    rules = StudentRules(top_grade=True, withdrawn=True)
    items = {item.id: item for item in plan_students(connection, rules).items()}
    assert set(items) == {scenario.fifth, scenario.eighth, scenario.senior, scenario.withdrawn}
    assert items[scenario.withdrawn].reason == "Withdrawn on 2026-02-03"


def test_filters_by_school_grade_and_search(connection: Connection, scenario: Scenario) -> None:
    rules = StudentRules.of(StudentRule.EVERYONE)
    assert set(plan_students(connection, rules, filters=PlanFilter(school_id=scenario.high)).ids()) == {
        scenario.senior,
        scenario.withdrawn,
    }
    assert set(plan_students(connection, rules, filters=PlanFilter(grade="4")).ids()) == {scenario.zeros}
    assert set(plan_students(connection, rules, filters=PlanFilter(search="0012")).ids()) == {scenario.zeros}


def test_archive_operations(connection: Connection, scenario: Scenario) -> None:
    plan = plan_students(connection, StudentRules.of(StudentRule.TOP_GRADE))
    ops = list(plan.to_operations([scenario.senior]))
    assert [(op.kind, op.target_id) for op in ops] == [(OperationKind.ARCHIVE_STUDENT, scenario.senior)]
    assert plan.confirmation_phrase() is None


def test_delete_needs_the_exact_phrase_for_the_selection(connection: Connection, scenario: Scenario) -> None:
    plan = plan_students(connection, StudentRules.of(StudentRule.TOP_GRADE), action=StudentAction.DELETE)
    # deleting also looks at archived students
    assert set(plan.ids()) == {scenario.fifth, scenario.eighth, scenario.senior, scenario.senior_archived}
    assert plan.confirmation_phrase() == "DELETE 4 STUDENTS"
    for wrong in (None, "", "delete 4 students", "DELETE 3 STUDENTS", "DELETE 4 STUDENTS "):
        with pytest.raises(ConfirmationError) as raised:
            plan.to_operations(confirmation=wrong)
        assert raised.value.expected == "DELETE 4 STUDENTS"
    ops = list(plan.to_operations(confirmation="DELETE 4 STUDENTS"))
    assert len(ops) == 4 and {op.kind for op in ops} == {OperationKind.DELETE_STUDENT}
    # the phrase counts the selection, not the whole plan
    with pytest.raises(ConfirmationError):
        plan.to_operations([scenario.senior], confirmation="DELETE 4 STUDENTS")
    assert len(list(plan.to_operations([scenario.senior], confirmation="DELETE 1 STUDENT"))) == 1
    assert plan.confirmation_phrase(excluded_ids=[scenario.fifth]) == "DELETE 3 STUDENTS"

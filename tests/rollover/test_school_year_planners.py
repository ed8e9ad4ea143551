"""The planners work on the school year of `domain.school_year`, read from the cache's terms."""

from __future__ import annotations

from sqlalchemy import Connection

from connect_desktop.rollover import SignedInUser, plan_classrooms, plan_inactive_staff, planned_school_year
from tests.rollover.builder import CacheBuilder
from tests.rollover.conftest import TODAY, Scenario


def test_next_years_terms_in_the_cache_change_nothing_before_they_begin(
    connection: Connection, scenario: Scenario
) -> None:
    b = CacheBuilder(connection)
    next_term = b.term(2027)  # begins 2026-08-15, after TODAY
    b.classroom("Next year's class", scenario.elem, next_term, teachers=(scenario.idle,))
    connection.commit()
    assert planned_school_year(connection, TODAY) == 2026
    staff = plan_inactive_staff(connection, as_of=TODAY, signed_in=SignedInUser(email="me@example.org"))
    assert staff.school_year == 2026
    assert "teachers with no classroom in 2025–26" in staff.description
    assert scenario.idle in set(staff.ids())  # teaching next year does not count as this year
    rooms = plan_classrooms(connection, as_of=TODAY)
    assert "school years before 2025–26" in rooms.description
    assert scenario.c_now_left not in set(rooms.ids())


def test_without_this_years_terms_no_teacher_counts_as_teaching_nothing(connection: Connection) -> None:
    b = CacheBuilder(connection)
    school = b.school("Adams Elementary", "elementary", "K", "5")
    b.term(2027)  # only next year is known
    teacher = b.staff("Tia", "Teacher", school_id=school)
    connection.commit()
    assert planned_school_year(connection, TODAY) is None
    plan = plan_inactive_staff(connection, as_of=TODAY, left=False)
    assert teacher not in set(plan.ids()) and plan.count == 0
    assert "teachers with no classroom" not in plan.description

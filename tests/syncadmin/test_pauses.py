"""Pauses in force on a day: `Pause.active` (both ends inclusive), asked by the status and the planner."""

from __future__ import annotations

import datetime as dt

import pytest

from connect_desktop.rostering.plan import Pause, PlanSettings
from connect_desktop.syncadmin.pauses import active_pauses, describe_pause, pause_params, plan_settings_of
from tests.syncadmin.conftest import settings_row

TODAY = dt.date(2026, 6, 20)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "until", "active"),
    [
        (None, None, True),
        (None, TODAY - DAY, False),  # M3: ended yesterday, not "paused now"
        (None, TODAY, True),  # the last paused day
        (TODAY + DAY, None, False),  # not begun
        (TODAY, None, True),  # the first paused day
        (TODAY - DAY, TODAY + DAY, True),
    ],
)
def test_a_pause_is_in_force_from_its_start_through_its_until_day(
    start: dt.date | None, until: dt.date | None, active: bool
) -> None:
    stored = {
        "portion": "classrooms",
        "from": start and start.isoformat(),
        "until": until and until.isoformat(),
    }
    assert Pause("classrooms", start, until).active(TODAY) is active
    assert [p.portion for p in active_pauses(settings_row(pauses=[stored]), TODAY)] == (
        ["classrooms"] if active else []
    )
    paused = PlanSettings.from_wire([stored]).paused_types(TODAY)
    assert paused == ({"classroom"} if active else set())


def test_the_status_lists_only_the_pauses_in_force_and_says_when_they_end() -> None:
    settings = settings_row(
        pauses=[
            {"portion": "all", "from": None, "until": "2026-06-19"},
            {"portion": "enrollments", "from": "2026-06-01", "until": "2026-08-15"},
            {"portion": "staff", "from": None, "until": None},
        ]
    )
    assert [describe_pause(p) for p in active_pauses(settings, TODAY)] == [
        "Enrollments (rosters): paused from June 1, 2026 until August 15, 2026 "
        "(it resumes by itself the day after)",
        "Staff: paused until you remove the pause",
    ]
    assert active_pauses(None, TODAY) == []


def test_pauses_go_back_to_the_editor_as_stored() -> None:
    stored = [
        {"portion": "all", "from": "2026-07-01", "until": None},
        {"portion": "staff", "from": None, "until": "2026-08-15"},
    ]
    assert [pause_params(p) for p in plan_settings_of(settings_row(pauses=stored)).pauses] == stored

"""The one school-year rule: which year is current, its first day, its name."""

from __future__ import annotations

import datetime as dt

import pytest

from connect_desktop.domain.school_year import (
    current_school_year,
    inactive_since_default,
    school_year_label,
    school_year_of,
    school_year_start,
    year_starts,
)

D = dt.date
DEMO = {2025: D(2024, 8, 15), 2026: D(2025, 8, 15), 2027: D(2026, 8, 15)}
"""The demo after next year's terms were synced: 2024–25, 2025–26 and 2026–27."""
NOT_SYNCED_YET = {2025: D(2024, 8, 15), 2026: D(2025, 8, 15)}
ONLY_NEXT_YEAR = {2027: D(2026, 8, 15)}
EARLY_START = {2026: D(2025, 8, 15), 2027: D(2026, 7, 28)}
"""A district whose next year begins in July, before the calendar's August 1st."""


def test_the_calendar_rule_turns_on_august_first() -> None:
    assert school_year_of(D(2026, 7, 31)) == 2026
    assert school_year_of(D(2026, 8, 1)) == 2027
    assert school_year_of(D(2026, 1, 1)) == 2026
    assert school_year_of(D(2025, 12, 31)) == 2026


def test_labels_are_written_as_people_write_them() -> None:
    assert school_year_label(2026) == "2025–26"
    assert school_year_label(2000) == "1999–00"
    assert school_year_label(2010) == "2009–10"


def test_year_starts_keep_each_years_earliest_term() -> None:
    terms = [(2026, D(2026, 1, 6)), (2026, D(2025, 8, 15)), (2027, D(2026, 8, 15)), (2026, D(2025, 9, 1))]
    assert year_starts(terms) == {2026: D(2025, 8, 15), 2027: D(2026, 8, 15)}


@pytest.mark.parametrize(
    ("as_of", "year"),
    [
        (D(2026, 6, 20), 2026),  # the demo's today: next year's terms are known, not begun
        (D(2026, 6, 12), 2026),  # the last day of the terms
        (D(2026, 6, 13), 2026),  # the first day of summer
        (D(2026, 7, 31), 2026),  # the calendar's last day of the year
        (D(2026, 8, 1), 2026),  # the calendar would say 2027: its terms have not begun
        (D(2026, 8, 14), 2026),  # the eve of next year's first day
        (D(2026, 8, 15), 2027),  # next year's first day of terms
        (D(2025, 8, 15), 2026),
        (D(2025, 8, 14), 2025),
        (D(2030, 1, 1), 2027),  # the newest year the cache knows
    ],
)
def test_the_current_year_is_the_newest_whose_terms_have_begun(as_of: dt.date, year: int) -> None:
    assert current_school_year(DEMO, as_of) == year


def test_summer_before_next_years_terms_arrive_is_the_year_just_ended() -> None:
    assert current_school_year(NOT_SYNCED_YET, D(2026, 6, 20)) == 2026
    assert current_school_year(NOT_SYNCED_YET, D(2026, 9, 10)) == 2026


def test_terms_decide_over_the_calendar() -> None:
    assert current_school_year(EARLY_START, D(2026, 7, 27)) == 2026
    assert current_school_year(EARLY_START, D(2026, 7, 28)) == 2027  # begun before August


def test_with_no_terms_the_calendar_decides() -> None:
    assert current_school_year({}, D(2026, 6, 20)) == 2026
    assert current_school_year({}, D(2026, 7, 31)) == 2026
    assert current_school_year({}, D(2026, 8, 1)) == 2027


def test_a_year_whose_terms_all_start_later_is_never_current() -> None:
    assert current_school_year(ONLY_NEXT_YEAR, D(2026, 6, 20)) == 2026
    assert current_school_year(ONLY_NEXT_YEAR, D(2026, 8, 5)) == 2026  # the calendar says 2027
    assert current_school_year(ONLY_NEXT_YEAR, D(2026, 8, 15)) == 2027


def test_a_school_year_starts_on_its_first_term_else_august_first() -> None:
    assert school_year_start(DEMO, 2026) == D(2025, 8, 15)
    assert school_year_start(DEMO, 2028) == D(2027, 8, 1)


def test_the_default_not_signed_in_since_date_is_this_years_first_day() -> None:
    assert inactive_since_default(DEMO, D(2026, 6, 20)) == D(2025, 8, 15)  # not 2026-08-15
    assert inactive_since_default(DEMO, D(2026, 8, 16)) == D(2026, 8, 15)
    assert inactive_since_default({}, D(2026, 6, 20)) == D(2025, 8, 1)


def test_on_the_first_day_of_school_the_default_is_the_year_before() -> None:
    assert inactive_since_default(DEMO, D(2026, 8, 15)) == D(2025, 8, 15)
    assert inactive_since_default({}, D(2026, 8, 1)) == D(2025, 8, 1)


@pytest.mark.parametrize("starts", [DEMO, NOT_SYNCED_YET, ONLY_NEXT_YEAR, EARLY_START, {}])
def test_every_day_the_year_has_begun_and_the_default_lies_before_it(starts: dict[int, dt.date]) -> None:
    day = D(2024, 1, 1)
    while day < D(2028, 12, 31):
        year = current_school_year(starts, day)
        assert school_year_start(starts, year) <= day, (day, year)
        assert all(first > day for later, first in starts.items() if later > year), (day, year)
        assert year <= school_year_of(day) or year in starts, (day, year)
        assert inactive_since_default(starts, day) < day, day
        day += dt.timedelta(days=1)


def test_the_default_lies_before_today_whatever_the_terms_say() -> None:
    odd = {2026: D(2026, 6, 20), 2025: D(2026, 7, 1)}  # last year "starts" after this one
    assert inactive_since_default(odd, D(2026, 6, 20)) < D(2026, 6, 20)

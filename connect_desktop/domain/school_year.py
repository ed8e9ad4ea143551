"""The school year: which one is current on a given day, its first day and its name.

A school year is named by the calendar year it ends in (2026 is "2025–26"), as a
term's `school_year` is. The dashboard, the wizard, the planners, the reports, the
CLI and the server's seeding all ask this module, always with an explicit as-of date.

The rules read the school years a cache (or a seed) knows as *year starts*: school
year → the first day of its earliest term (`year_starts` reduces a list of terms).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

YearStarts = Mapping[int, dt.date]
"""School year → the first day of its earliest term."""

CALENDAR_START = (8, 1)
"""(month, day) a school year starts on when no term says otherwise: August 1st."""


def school_year_of(day: dt.date) -> int:
    """The school year (August 1st – July 31st) containing `day`: the calendar rule."""
    return day.year + 1 if (day.month, day.day) >= CALENDAR_START else day.year


def year_starts(terms: Iterable[tuple[int, dt.date]]) -> dict[int, dt.date]:
    """(school year, term start) pairs → each school year's earliest start."""
    starts: dict[int, dt.date] = {}
    for year, start in terms:
        if year not in starts or start < starts[year]:
            starts[year] = start
    return starts


def current_school_year(starts: YearStarts, as_of: dt.date) -> int:
    """The school year current on `as_of`: the newest one whose terms have begun.

    While terms run that is theirs; between years (summer) it is the year just ended,
    even when next year's terms are already known, since they have not begun. A year
    whose terms all start after `as_of` is never current. Before any known year has
    begun (or with no terms at all) it is the calendar year of `as_of`, kept below
    the earliest known year.
    """
    begun = [year for year, first in starts.items() if first <= as_of]
    if begun:
        return max(begun)
    year = school_year_of(as_of)
    return min(year, min(starts) - 1) if starts else year


def last_ended_year(current: int, ends: Mapping[int, dt.date], as_of: dt.date) -> int:
    """The newest school year that is over on `as_of`: `current` once its last term day
    (`ends`: school year → last day) is past, the year before it until then.

    The year-end works on the years up to it: in the summer after its last day, the year
    that just ended is "last year" and its classrooms are archived.
    """
    last = ends.get(current)
    return current if last is not None and last < as_of else current - 1


def year_end_batch(school_year: int) -> str:
    """The label every change staged for one year-end shares, so they can be restored as one."""
    return f"year-end-{school_year}"


def school_year_start(starts: YearStarts, year: int) -> dt.date:
    """The first day of `year`: its earliest term's start, else August 1st before it ends."""
    known = starts.get(year)
    return known if known is not None else dt.date(year - 1, *CALENDAR_START)


def inactive_since_default(starts: YearStarts, as_of: dt.date) -> dt.date:
    """The default "not signed in since" date: the first day of the current school year.

    Always before `as_of`: on the first day of a school year, when nobody could have
    signed in during it yet, it is the first day of the year before.
    """
    year = current_school_year(starts, as_of)
    first = school_year_start(starts, year)
    if first >= as_of:
        first = school_year_start(starts, year - 1)
    return min(first, as_of - dt.timedelta(days=1))


def school_year_label(year: int) -> str:
    """2026 → "2025–26", as people write a school year."""
    return f"{year - 1}–{year % 100:02d}"


__all__ = [
    "CALENDAR_START",
    "YearStarts",
    "current_school_year",
    "inactive_since_default",
    "school_year_label",
    "school_year_of",
    "school_year_start",
    "year_starts",
]

"""School years as the cache knows them (a term's `school_year` is the year it ends)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from connect_desktop.store.models import Term


def current_school_year(connection: Connection, as_of: dt.date) -> int | None:
    """The school year running on `as_of`, else the latest one that has started.

    Falls back to the latest school year in the cache when none has started yet, and
    to None when the cache has no terms at all.
    """
    term = Term.__table__.c
    running = select(func.max(term.school_year)).where(term.start_date <= as_of, term.end_date >= as_of)
    year = connection.execute(running).scalar()
    if year is None:
        started = select(func.max(term.school_year)).where(term.start_date <= as_of)
        year = connection.execute(started).scalar()
    if year is None:
        year = connection.execute(select(func.max(term.school_year))).scalar()
    return None if year is None else int(year)


def school_year_label(year: int) -> str:
    """2026 → "2025–26" (the year a school year ends in, as people write it)."""
    return f"{year - 1}–{year % 100:02d}"

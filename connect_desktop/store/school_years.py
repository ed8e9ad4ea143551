"""The school years the cache knows, as the school-year rule reads them.

`connect_desktop.domain.school_year` decides which year is current; this module only
reads each school year's first day from the cache's terms. Reports, which read the
raw SQLite connection, run `YEAR_STARTS_SQL` themselves and parse it with `parse_year_starts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

YEAR_STARTS_SQL = "SELECT school_year, min(start_date) FROM term GROUP BY school_year ORDER BY school_year"
"""Each school year of the cache's terms with the first day of its earliest term."""


YEAR_ENDS_SQL = "SELECT school_year, max(end_date) FROM term GROUP BY school_year ORDER BY school_year"
"""Each school year of the cache's terms with the last day of its latest term."""


def cached_year_ends(db: Session | Connection) -> dict[int, dt.date]:
    """School year → last day of its latest term, for every year of the cache's terms."""
    return parse_year_starts(db.execute(text(YEAR_ENDS_SQL)))


def cached_year_starts(db: Session | Connection) -> dict[int, dt.date]:
    """School year → first day of its earliest term, for every year of the cache's terms."""
    return parse_year_starts(db.execute(text(YEAR_STARTS_SQL)))


def parse_year_starts(rows: Iterable[Sequence[Any]]) -> dict[int, dt.date]:
    """Rows of `YEAR_STARTS_SQL` → {school year: first day}, skipping rows without both."""
    starts: dict[int, dt.date] = {}
    for year, start in rows:
        day = as_date(start)
        if year is not None and day is not None:
            starts[int(year)] = day
    return starts


def as_date(value: object) -> dt.date | None:
    """A date read from SQLite (a date, or ISO text), None when there is none."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


__all__ = ["YEAR_STARTS_SQL", "as_date", "cached_year_starts", "parse_year_starts"]

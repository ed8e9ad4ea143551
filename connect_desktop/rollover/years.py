"""The school year the planners work on: the domain rule over the cache's terms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from connect_desktop.domain.school_year import current_school_year
from connect_desktop.store.school_years import cached_year_starts


def planned_school_year(connection: Connection, as_of: dt.date) -> int | None:
    """The school year current on `as_of`, or None when the cache holds none of its terms.

    "This year's classrooms" mean something only for a year whose terms are cached:
    without them every teacher would look as if they taught nothing this year.
    """
    starts = cached_year_starts(connection)
    year = current_school_year(starts, as_of)
    return year if year in starts else None

"""Time as the server sees it: naive UTC datetimes, injectable for tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Returns the current time as a naive UTC datetime (how the database stores times)."""


def utc_now() -> dt.datetime:
    """The current time, naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)

"""How dates and percentages are written in the step's sentences."""

from __future__ import annotations

import datetime as dt


def long_date(day: dt.date | dt.datetime) -> str:
    """'June 20, 2026'."""
    return f"{day:%B} {day.day}, {day.year}"


def percent(value: float) -> str:
    """'16.5%', '50%' (one decimal at most, no trailing zero)."""
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"

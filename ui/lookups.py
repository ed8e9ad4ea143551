"""Small reads the year-end pages need beside the planners (worker thread only).

The choices of the filter bars (schools, grades, school years) and the sent year-end
changes that can still be restored. Read-only, through the cache's raw sqlite3
connection like `ui.dashboard.summary`; they belong in `connect_desktop.store.queries`
and should move there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from connect_desktop.domain.entities import grade_rank
from connect_desktop.domain.operations import INVERSE
from connect_desktop.rollover import UNDOABLE
from connect_desktop.store.db import Cache


@dataclass(frozen=True)
class FilterChoices:
    """What the filter boxes offer; pairs are (id, shown name)."""

    schools: list[tuple[str, str]] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    school_years: list[int] = field(default_factory=list)
    year_starts: dict[int, dt.date] = field(default_factory=dict)
    """School year → the first day of its earliest term."""


def filter_choices(cache: Cache) -> FilterChoices:
    with cache.raw() as connection:
        schools = [(i, n) for i, n in connection.execute("SELECT id, name FROM school ORDER BY name, id")]
        grades = [g for (g,) in connection.execute("SELECT DISTINCT grade FROM student")]
        starts = connection.execute(
            "SELECT school_year, min(start_date) FROM term GROUP BY school_year ORDER BY school_year"
        ).fetchall()
    year_starts = {int(year): _date(start) for year, start in starts if _date(start) is not None}
    return FilterChoices(
        schools,
        sorted(grades, key=lambda g: (grade_rank(g), g)),
        [int(year) for year, _ in starts],
        year_starts,  # type: ignore[arg-type]
    )


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class SentChange:
    """One applied year-end change that can still be restored."""

    op_id: str
    kind: str
    target_type: str
    target_id: str
    step: str
    batch: str | None
    sent_at: dt.datetime | None


_UNDOABLE_KINDS = sorted(UNDOABLE)
_INVERSE_CASE = " ".join(f"WHEN '{kind}' THEN '{INVERSE[kind]}'" for kind in _UNDOABLE_KINDS)
_RESTORABLE_SQL = f"""
FROM pending_operation p
WHERE p.state = 'applied'
  AND p.kind IN ({", ".join(f"'{kind}'" for kind in _UNDOABLE_KINDS)})
  AND NOT EXISTS (
    SELECT 1 FROM pending_operation later
    WHERE later.target_type = p.target_type AND later.target_id = p.target_id
      AND later.state IN ('pending', 'sending', 'applied')
      AND later.created_at > p.created_at
      AND later.kind = CASE p.kind {_INVERSE_CASE} END)
"""
"""Applied year-end changes not undone yet: the same rule as `rollover.undo_operations`."""


def restorable_count(cache: Cache) -> int:
    with cache.raw() as connection:
        return int(connection.execute("SELECT count(*) " + _RESTORABLE_SQL).fetchone()[0])


def restorable_page(cache: Cache, offset: int, limit: int) -> list[SentChange]:
    sql = (
        "SELECT p.op_id, p.kind, p.target_type, p.target_id, p.step, p.batch, p.sent_at "
        + _RESTORABLE_SQL
        + " ORDER BY p.created_at DESC, p.op_id LIMIT ? OFFSET ?"
    )
    with cache.raw() as connection:
        rows = connection.execute(sql, (limit, offset)).fetchall()
    return [
        SentChange(op_id, kind, ttype, tid, step, batch, _datetime(sent_at))
        for op_id, kind, ttype, tid, step, batch, sent_at in rows
    ]


def _datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None

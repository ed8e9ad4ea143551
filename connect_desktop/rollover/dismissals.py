"""Pairs of students marked "not the same child": remembered in the cache, never proposed again.

Each pair is stored once, with its ids in order (`a` < `b`), whichever way round it was
named. Writes run in the caller's transaction (`Connection.begin`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert

from connect_desktop.store.models import CacheBase, DismissedDuplicate

_TABLE = CacheBase.metadata.tables[DismissedDuplicate.__tablename__]


@dataclass(frozen=True)
class Dismissal:
    """One pair the user said are two different children."""

    a: str
    b: str
    label: str
    """Both names, e.g. "Smith, Jon / Smith, John"."""
    dismissed_at: dt.datetime


def ordered(a: str, b: str) -> tuple[str, str]:
    """The pair as stored: smaller id first."""
    if a == b:
        raise ValueError("a pair needs two different records")
    return (a, b) if a < b else (b, a)


def dismissed_pairs(connection: Connection) -> set[tuple[str, str]]:
    """Every dismissed pair, as (a, b) with a < b."""
    return {(str(a), str(b)) for a, b in connection.execute(select(_TABLE.c.a, _TABLE.c.b))}


def dismiss(connection: Connection, a: str, b: str, *, label: str) -> None:
    """Remember that `a` and `b` are not the same child (again: the label is refreshed)."""
    first, second = ordered(a, b)
    row = {"a": first, "b": second, "label": label, "dismissed_at": _now()}
    statement = insert(_TABLE).values(row)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["a", "b"], set_={"label": statement.excluded.label})
    )


def undismiss(connection: Connection, a: str, b: str) -> None:
    """Forget a dismissal (the pair may be proposed again); nothing happens if there is none."""
    first, second = ordered(a, b)
    connection.execute(delete(_TABLE).where(_TABLE.c.a == first, _TABLE.c.b == second))


def list_dismissals(connection: Connection) -> list[Dismissal]:
    """Every dismissal, newest first."""
    query = select(_TABLE.c.a, _TABLE.c.b, _TABLE.c.label, _TABLE.c.dismissed_at).order_by(
        _TABLE.c.dismissed_at.desc(), _TABLE.c.a, _TABLE.c.b
    )
    return [Dismissal(str(a), str(b), str(label), when) for a, b, label, when in connection.execute(query)]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)

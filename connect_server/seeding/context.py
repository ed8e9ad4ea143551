"""What every generation phase shares: the seed, its random stream, ids and the calendar."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from connect_server.seeding.calendar import Calendar
from connect_server.seeding.ids import IdSpace


@dataclass
class SeedContext:
    """One seeding run. Phases draw from `rng` in a fixed order, so a seed is reproducible."""

    seed: int
    students: int
    calendar: Calendar
    rng: random.Random = field(init=False)
    _spaces: dict[str, IdSpace] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def ids(self, kind: str) -> IdSpace:
        """The id space of an entity type (one per type, all derived from the seed)."""
        space = self._spaces.get(kind)
        if space is None:
            space = self._spaces[kind] = IdSpace(self.seed, kind)
        return space

    def sub_rng(self, *key: object) -> random.Random:
        """An independent random stream for one named piece of work."""
        return random.Random(f"{self.seed}:" + ":".join(map(str, key)))

    @property
    def as_of(self) -> dt.date:
        return self.calendar.as_of


def iso_date(day: dt.date | None) -> str | None:
    """A date as the database stores it (ISO text works for SQLite and for COPY)."""
    return day.isoformat() if day is not None else None


def iso_datetime(moment: dt.datetime | None) -> str | None:
    """A naive UTC date-time as SQLAlchemy stores it in SQLite (and COPY accepts)."""
    return None if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"

"""The school calendar around `as_of`: school years, terms and message months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connect_desktop.domain.school_year import school_year_of


@dataclass(frozen=True)
class TermSpec:
    """One academic session: a school year or one of its semesters."""

    key: str
    name: str
    kind: str
    school_year: int
    start: dt.date
    end: dt.date


def terms_of(school_year: int) -> tuple[TermSpec, TermSpec, TermSpec]:
    """The school-year term and its fall and spring semesters."""
    first, last = school_year - 1, school_year
    return (
        TermSpec(
            f"{school_year}-sy",
            f"{first}–{last}",
            "schoolYear",
            school_year,
            dt.date(first, 8, 15),
            dt.date(last, 6, 12),
        ),
        TermSpec(
            f"{school_year}-fall",
            f"Fall {first}",
            "semester",
            school_year,
            dt.date(first, 8, 15),
            dt.date(first, 12, 19),
        ),
        TermSpec(
            f"{school_year}-spring",
            f"Spring {last}",
            "semester",
            school_year,
            dt.date(last, 1, 6),
            dt.date(last, 6, 12),
        ),
    )


def school_months(school_year: int, as_of: dt.date) -> list[dt.date]:
    """First days of the months of `school_year` (August to June) that began by `as_of`."""
    months = [dt.date(school_year - 1, m, 1) for m in range(8, 13)]
    months += [dt.date(school_year, m, 1) for m in range(1, 7)]
    return [m for m in months if m <= as_of]


@dataclass(frozen=True)
class Calendar:
    """Last school year and the current one, as seen on `as_of`."""

    as_of: dt.date

    @property
    def current_year(self) -> int:
        return school_year_of(self.as_of)

    @property
    def last_year(self) -> int:
        return self.current_year - 1

    def terms(self) -> list[TermSpec]:
        return [*terms_of(self.last_year), *terms_of(self.current_year)]

    def school_start(self, school_year: int) -> dt.date:
        return terms_of(school_year)[0].start

    def school_end(self, school_year: int) -> dt.date:
        return terms_of(school_year)[0].end

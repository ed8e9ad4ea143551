"""Students, generated family by family, with the planted duplicates appended at the end.

Only compact per-student arrays are kept (school, grade, last year's school, state);
ids are recomputed from indexes, so a million students cost a few megabytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from connect_desktop.domain.entities import GRADES
from connect_server.seeding.bulk import Row
from connect_server.seeding.context import SeedContext, iso_date
from connect_server.seeding.names import BACKGROUNDS, NICKNAMES, pick_background, with_typo
from connect_server.seeding.schools import District

DUPLICATE_KINDS = ("typo", "nickname", "swapped", "returning")
_KIDS, _KID_WEIGHTS = (1, 2, 3), (0.74, 0.21, 0.05)
_GUARDIANS, _GUARDIAN_WEIGHTS = (1, 2, 3), (0.10, 0.28, 0.62)
_NICKNAMED = tuple(NICKNAMES)


class State(IntEnum):
    ACTIVE = 0
    WITHDRAWN = 1
    """Still active, `withdrawn_on` set: left during this year."""
    ARCHIVED = 2
    """Left during last year; has last year's classes only."""
    UNENROLLED = 3
    """Has no classes at all (manual duplicates, a returning student's old record)."""


@dataclass(frozen=True)
class Duplicate:
    kind: str
    original: int
    record: int
    family: int


@dataclass
class _Original:
    """What a planted duplicate copies from its original."""

    kind: str
    index: int
    family: int
    hood: int
    grade: int
    first: str
    last: str
    birth: dt.date
    school: int


@dataclass
class StudentBook:
    """Compact facts about every student and family, for the later phases."""

    school: array[int] = field(default_factory=lambda: array("i"))
    grade: array[int] = field(default_factory=lambda: array("b"))
    prev_school: array[int] = field(default_factory=lambda: array("i"))
    """Last year's school (-1: not in the district last year); the grade was one lower
    except for archived students, whose `grade` is already last year's."""
    state: array[int] = field(default_factory=lambda: array("b"))
    synced: array[int] = field(default_factory=lambda: array("b"))
    number: array[int] = field(default_factory=lambda: array("i"))
    family_start: array[int] = field(default_factory=lambda: array("i"))
    family_kids: array[int] = field(default_factory=lambda: array("b"))
    family_guardians: array[int] = field(default_factory=lambda: array("b"))
    family_background: array[int] = field(default_factory=lambda: array("b"))
    family_last: array[int] = field(default_factory=lambda: array("H"))
    duplicates: list[Duplicate] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.school)

    def source_id(self, index: int) -> str | None:
        """The SIS sourcedId of a synced student (None for manual ones)."""
        return student_source_id(self.number[index]) if self.synced[index] else None


def student_source_id(number: int) -> str:
    return f"usr-stu-{number:08d}"


def duplicate_count(students: int) -> int:
    """About 0.5% of students, at least eight (two of each kind) when there is room."""
    return min(max(8, round(students * 0.005)), students // 10)


class StudentGenerator:
    """Yields student rows and fills a `StudentBook`."""

    def __init__(self, ctx: SeedContext, district: District) -> None:
        self.ctx = ctx
        self.district = district
        self.book = StudentBook()
        self._number = 10_000 + ctx.rng.randrange(5_000)
        self._originals: list[_Original] = []
        year = ctx.calendar.current_year
        self._start = ctx.calendar.school_start(year)
        self._first_fall = year - 1

    def rows(self) -> Iterator[Row]:
        ctx, rng = self.ctx, self.ctx.rng
        base = ctx.students - duplicate_count(ctx.students)
        dupes = ctx.students - base
        planted = dict(zip(rng.sample(range(base), dupes), itertools.cycle(DUPLICATE_KINDS), strict=False))
        weights = list(
            itertools.accumulate(self.district.schools[i].weight for i in self.district.elementary)
        )
        hoods = range(len(self.district.elementary))
        index = 0
        while index < base:
            family = len(self.book.family_start)
            kids = min(rng.choices(_KIDS, _KID_WEIGHTS)[0], base - index)
            background_index = pick_background(rng)
            background = BACKGROUNDS[background_index]
            last_index = rng.randrange(len(background.last_names))
            hood = rng.choices(hoods, cum_weights=weights)[0]
            self.book.family_start.append(index)
            self.book.family_kids.append(kids)
            self.book.family_guardians.append(rng.choices(_GUARDIANS, _GUARDIAN_WEIGHTS)[0])
            self.book.family_background.append(background_index)
            self.book.family_last.append(last_index)
            grades = rng.sample(range(13), kids)
            named: set[str] = set()
            for grade in grades:
                first = rng.choice(background.first_names)
                while first in named:  # parents do not give two children one name
                    first = rng.choice(background.first_names)
                named.add(first)
                yield self._base_row(
                    index, family, hood, grade, first, background.last_names[last_index], planted.get(index)
                )
                index += 1
        for offset, original in enumerate(self._originals):
            yield self._duplicate_row(base + offset, original)

    def _next_number(self) -> int:
        self._number += self.ctx.rng.randint(1, 3)
        return self._number

    def _birth(self, grade: int) -> dt.date:
        start = dt.date(self._first_fall - 6 - grade, 9, 2)
        return start + dt.timedelta(days=self.ctx.rng.randrange(365))

    def _withdrawn_on(self) -> dt.date:
        span = (self.ctx.as_of - self._start).days
        if span > 1:
            return self._start + dt.timedelta(days=self.ctx.rng.randrange(1, span))
        return self.ctx.as_of - dt.timedelta(days=self.ctx.rng.randrange(60, 120))

    def _base_row(
        self, index: int, family: int, hood: int, grade: int, first: str, last: str, planted: str | None
    ) -> Row:
        rng, district = self.ctx.rng, self.district
        draw = rng.random()
        if planted == "returning":
            grade = max(grade, 1)
            state = State.UNENROLLED
        elif planted is not None:
            state = State.ACTIVE
        else:
            state = (
                State.ARCHIVED
                if draw < 0.025 and grade >= 1
                else State.WITHDRAWN
                if draw < 0.037
                else State.ACTIVE
            )
        if planted == "nickname":
            first = rng.choice(_NICKNAMED)
        birth = self._birth(grade)
        if planted == "returning" or state is State.ARCHIVED:
            record_grade = grade - 1
            school = district.school_for(hood, record_grade)
            prev = school if state is State.ARCHIVED else -1
        else:
            record_grade = grade
            school = district.school_for(hood, grade)
            prev = district.school_for(hood, grade - 1) if grade >= 1 and rng.random() > 0.05 else -1
        synced = district.schools[school].synced and rng.random() > 0.008
        if planted is not None:
            self._originals.append(_Original(planted, index, family, hood, grade, first, last, birth, school))
        number = self._next_number()
        self._record(school, record_grade, prev, state, synced, number)
        return (
            self.ctx.ids("student").of(index),
            student_source_id(number) if synced else None,
            "sync" if synced else "manual",
            district.schools[school].id,
            f"{number:08d}",
            first,
            last,
            birth.isoformat(),
            GRADES[record_grade],
            "archived" if state in (State.ARCHIVED, State.UNENROLLED) else "active",
            iso_date(self._withdrawn_on()) if state is State.WITHDRAWN else None,
        )

    def _record(self, school: int, grade: int, prev: int, state: State, synced: bool, number: int) -> None:
        book = self.book
        book.number.append(number)
        book.school.append(school)
        book.grade.append(grade)
        book.prev_school.append(prev)
        book.state.append(state)
        book.synced.append(synced)

    def _duplicate_row(self, index: int, original: _Original) -> Row:
        """The second record of a child: typed by hand, or re-created when they came back."""
        rng = self.ctx.rng
        first, last, school, state, synced = (
            original.first,
            original.last,
            original.school,
            State.UNENROLLED,
            False,
        )
        if original.kind == "typo":
            if rng.random() < 0.5:
                first = with_typo(first, rng)
            else:
                last = with_typo(last, rng)
        elif original.kind == "nickname":
            first = rng.choice(NICKNAMES[first])
        elif original.kind == "swapped":
            first, last = last, first
        else:
            school = self.district.school_for(original.hood, original.grade)
            state, synced = State.ACTIVE, self.district.schools[school].synced
        self.book.duplicates.append(Duplicate(original.kind, original.index, index, original.family))
        number = self._next_number()
        self._record(school, original.grade, -1, state, synced, number)
        return (
            self.ctx.ids("student").of(index),
            student_source_id(number) if synced else None,
            "sync" if synced else "manual",
            self.district.schools[school].id,
            f"{number:08d}",
            first,
            last,
            original.birth.isoformat(),
            GRADES[original.grade],
            "active",
            None,
        )

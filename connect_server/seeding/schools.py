"""The district's schools: how many, which level, which feed which, synced or manual."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connect_desktop.domain.entities import GRADES, SchoolLevel
from connect_server.seeding.bulk import Row
from connect_server.seeding.context import SeedContext

STUDENTS_PER_SCHOOL = 600
LEVEL_GRADES = {SchoolLevel.ELEMENTARY: (0, 5), SchoolLevel.MIDDLE: (6, 8), SchoolLevel.HIGH: (9, 12)}
_SUFFIX = {
    SchoolLevel.ELEMENTARY: "Elementary School",
    SchoolLevel.MIDDLE: "Middle School",
    SchoolLevel.HIGH: "High School",
}
_PLACES = [
    "North",
    "South",
    "East",
    "West",
    "Lake",
    "Pine",
    "Cedar",
    "Maple",
    "Oak",
    "Willow",
    "Sunset",
    "Hillside",
    "Valley",
    "River",
    "Meadow",
    "Mountain",
    "Harbor",
    "Prairie",
    "Spring",
    "Canyon",
    "Aspen",
    "Birch",
    "Juniper",
    "Sierra",
    "Bay",
    "Lincoln",
]
_FEATURES = [
    "View",
    "Park",
    "Ridge",
    "Crest",
    "Wood",
    "Brook",
    "Field",
    "Glen",
    "Heights",
    "Grove",
    "Creek",
    "Point",
    "Hollow",
    "Vista",
]
_PEOPLE = (
    "Rosa Parks",
    "César Chávez",
    "Sally Ride",
    "Thurgood Marshall",
    "Amelia Earhart",
    "Frederick Douglass",
    "Dolores Huerta",
    "Sojourner Truth",
    "Jackie Robinson",
    "Maya Angelou",
    "Grace Hopper",
    "Harvey Milk",
)


@dataclass(frozen=True)
class School:
    index: int
    id: str
    name: str
    level: SchoolLevel
    low: int
    high: int
    synced: bool
    source_id: str | None
    weight: float

    @property
    def origin(self) -> str:
        return "sync" if self.synced else "manual"


@dataclass(frozen=True)
class District:
    """Schools by level plus the feeder pattern elementary → middle → high."""

    schools: tuple[School, ...]
    elementary: tuple[int, ...]
    middle_of: tuple[int, ...]
    """For each elementary position, the index of the middle school it feeds."""
    high_of: dict[int, int]
    """For each middle school index, the high school it feeds."""

    def school_for(self, hood: int, grade: int) -> int:
        """The school a child of neighbourhood `hood` (an elementary position) attends in `grade`."""
        elementary = self.elementary[hood]
        if grade <= 5:
            return elementary
        middle = self.middle_of[hood]
        return middle if grade <= 8 else self.high_of[middle]

    def by_level(self, level: SchoolLevel) -> list[School]:
        return [s for s in self.schools if s.level is level]


def _names(ctx: SeedContext, count: int) -> list[str]:
    pool = [f"{p} {f}" for p in _PLACES for f in _FEATURES]
    ctx.rng.shuffle(pool)
    pool = list(_PEOPLE) + pool
    return [pool[i % len(pool)] + ("" if i < len(pool) else f" {i // len(pool) + 1}") for i in range(count)]


def plan_district(ctx: SeedContext) -> District:
    """About one school per 600 students (at least one of each level); a quarter of
    the elementary schools (at least one) are run by hand, everything else is synced."""
    total = max(3, round(ctx.students / STUDENTS_PER_SCHOOL))
    n_mid = n_high = max(1, round(total * 0.2))
    n_el = max(1, total - n_mid - n_high)
    manual_el = max(1, round(n_el * 0.25))
    levels = [SchoolLevel.ELEMENTARY] * n_el + [SchoolLevel.MIDDLE] * n_mid + [SchoolLevel.HIGH] * n_high
    names = _names(ctx, len(levels))
    schools = []
    for index, level in enumerate(levels):
        synced = not (level is SchoolLevel.ELEMENTARY and index >= n_el - manual_el)
        low, high = LEVEL_GRADES[level]
        schools.append(
            School(
                index=index,
                id=ctx.ids("school").of(index),
                name=f"{names[index]} {_SUFFIX[level]}",
                level=level,
                low=low,
                high=high,
                synced=synced,
                source_id=f"org-sch-{1001 + index}" if synced else None,
                weight=ctx.rng.uniform(0.7, 1.3),
            )
        )
    middle = [i for i, lv in enumerate(levels) if lv is SchoolLevel.MIDDLE]
    high = [i for i, lv in enumerate(levels) if lv is SchoolLevel.HIGH]
    return District(
        schools=tuple(schools),
        elementary=tuple(range(n_el)),
        middle_of=tuple(middle[pos * n_mid // n_el] for pos in range(n_el)),
        high_of={m: high[pos * n_high // n_mid] for pos, m in enumerate(middle)},
    )


def school_rows(district: District) -> Iterator[Row]:
    for s in district.schools:
        yield (s.id, s.source_id, s.origin, s.name, s.level.value, GRADES[s.low], GRADES[s.high])


def term_rows(ctx: SeedContext) -> Iterator[Row]:
    """District-wide terms of last and this school year (synced from the SIS)."""
    for index, term in enumerate(ctx.calendar.terms()):
        yield (
            term_id(ctx, index),
            f"as-{term.key}",
            "sync",
            term.name,
            term.school_year,
            term.start.isoformat(),
            term.end.isoformat(),
            None,
        )


def term_id(ctx: SeedContext, index: int) -> str:
    """Terms are numbered 0–2 for last year (year, fall, spring) and 3–5 for this year."""
    return ctx.ids("term").of(index)


def expected_students(district: District, students: int) -> list[float]:
    """Roughly how many students each school will get (for sizing its staff)."""
    el_weights = [district.schools[i].weight for i in district.elementary]
    total = sum(el_weights)
    expected = [0.0] * len(district.schools)
    for pos, weight in enumerate(el_weights):
        share = students * weight / total / 13
        expected[district.elementary[pos]] += share * 6
        middle = district.middle_of[pos]
        expected[middle] += share * 3
        expected[district.high_of[middle]] += share * 4
    return expected

"""Classrooms of last and this school year, who teaches them, and their enrollments.

Rosters are rebuilt from the student arrays; each classroom's students are a slice of
its grade's roster shuffled by a stream named after the classroom group, so the
enrollment phase can regenerate them without storing memberships.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from connect_desktop.domain.entities import GRADES, SchoolLevel
from connect_server.seeding.bulk import Row
from connect_server.seeding.context import SeedContext
from connect_server.seeding.courses import (
    CLUB_SHARE,
    CLUBS,
    ELEMENTARY_BANDS,
    ELEMENTARY_SPECIALS,
    FALL,
    HIGH_COURSES,
    HOMEROOM,
    MIDDLE_COURSES,
    SCHOOL_YEAR,
    SPRING,
    Course,
)
from connect_server.seeding.schools import District, School, term_id
from connect_server.seeding.staff import Presence, StaffBook
from connect_server.seeding.students import State, StudentBook, student_source_id

LAST, CURRENT = 0, 1
CO_TEACHER_SHARE = 0.08
STALE_MANUAL_SHARE = 0.85
"""Last year's manual classrooms nobody archived yet."""


@dataclass(slots=True)
class ClassSpec:
    index: int
    school: int
    year: int
    grades: tuple[int, ...]
    course: Course | None
    title: str
    section: int
    sections: int
    term: int
    synced: bool
    status: str = "active"
    teachers: list[int] = field(default_factory=list)

    @property
    def club(self) -> bool:
        return self.course is None


class Rosters:
    """Student indexes per (school, grade), for last year and this year."""

    def __init__(self, students: StudentBook) -> None:
        self.by_year: tuple[dict[tuple[int, int], array[int]], ...] = (
            defaultdict(lambda: array("i")),
            defaultdict(lambda: array("i")),
        )
        last, current = self.by_year
        for index in range(len(students)):
            state, school, grade = students.state[index], students.school[index], students.grade[index]
            if state in (State.ACTIVE, State.WITHDRAWN):
                current[(school, grade)].append(index)
                if students.prev_school[index] >= 0:
                    last[(students.prev_school[index], grade - 1)].append(index)
            elif state == State.ARCHIVED:
                last[(school, grade)].append(index)

    def of(self, year: int, school: int, grades: tuple[int, ...]) -> array[int]:
        rosters = self.by_year[year]
        if len(grades) == 1:
            return rosters.get((school, grades[0]), array("i"))
        merged = array("i")
        for grade in grades:
            merged.extend(rosters.get((school, grade), ()))
        return merged


class ClassroomGenerator:
    """Plans classrooms (kept as small specs), then yields classroom and enrollment rows."""

    def __init__(self, ctx: SeedContext, district: District, staff: StaffBook, students: StudentBook) -> None:
        self.ctx = ctx
        self.district = district
        self.staff = staff
        self.students = students
        self.rosters = Rosters(students)
        self.specs: list[ClassSpec] = []
        self.teacher_classes: dict[int, list[ClassSpec]] = defaultdict(list)

    def classroom_rows(self) -> Iterator[Row]:
        ids = self.ctx.ids("classroom")
        for year in (LAST, CURRENT):
            for school in self.district.schools:
                specs = self._plan(school, year)
                self._assign_teachers(school, year, specs)
                for spec in specs:
                    self.specs.append(spec)
                    yield (
                        ids.of(spec.index),
                        self.source_id(spec),
                        "sync" if spec.synced else "manual",
                        school.id,
                        term_id(self.ctx, spec.term),
                        self._title(spec),
                        self._code(spec),
                        GRADES[spec.grades[0]] if len(spec.grades) == 1 else None,
                        spec.status,
                    )

    def enrollment_rows(self) -> Iterator[Row]:
        """Teachers then students of each classroom; sync-managed when both ends are
        (source_id `class:user`, as the OneRoster reader names enrollments)."""
        ctx, students = self.ctx, self.students
        classroom_ids, staff_ids, enrollment_ids = (
            ctx.ids("classroom"),
            ctx.ids("staff"),
            ctx.ids("enrollment"),
        )
        student_space = ctx.ids("student")
        student_ids = [student_space.of(i) for i in range(len(students))]
        members = self.staff.members
        index = 0
        for spec in self.specs:
            classroom_id = classroom_ids.of(spec.index)
            school_id = self.district.schools[spec.school].id
            class_source = self.source_id(spec)
            for teacher in spec.teachers:
                user_source = members[teacher].source_id
                source = f"{class_source}:{user_source}" if class_source and user_source else None
                yield (
                    enrollment_ids.of(index),
                    source,
                    "sync" if source else "manual",
                    classroom_id,
                    staff_ids.of(teacher),
                    "teacher",
                    school_id,
                )
                index += 1
            for student in self._members(spec):
                source = None
                if class_source and students.synced[student]:
                    source = f"{class_source}:{student_source_id(students.number[student])}"
                yield (
                    enrollment_ids.of(index),
                    source,
                    "sync" if source else "manual",
                    classroom_id,
                    student_ids[student],
                    "student",
                    school_id,
                )
                index += 1

    def source_id(self, spec: ClassSpec) -> str | None:
        if not spec.synced:
            return None
        calendar = self.ctx.calendar
        school_year = calendar.last_year if spec.year == LAST else calendar.current_year
        return f"cls-{school_year}-{spec.index + 1:07d}"

    def _members(self, spec: ClassSpec) -> array[int] | list[int]:
        roster = self.rosters.of(spec.year, spec.school, spec.grades)
        if spec.sections == 1:
            return roster
        key = spec.course.key if spec.course else "club"
        shuffled = list(roster)
        self.ctx.sub_rng("roster", spec.year, spec.school, spec.grades[0], key).shuffle(shuffled)
        size = len(shuffled)
        return shuffled[spec.section * size // spec.sections : (spec.section + 1) * size // spec.sections]

    def _plan(self, school: School, year: int) -> list[ClassSpec]:
        specs: list[ClassSpec] = []

        def add(
            grades: tuple[int, ...], course: Course | None, title: str, section: int, sections: int, term: int
        ) -> None:
            synced = school.synced and course is not None
            specs.append(
                ClassSpec(
                    len(self.specs) + len(specs),
                    school.index,
                    year,
                    grades,
                    course,
                    title,
                    section,
                    sections,
                    year * 3 + term,
                    synced,
                )
            )

        grades = range(school.low, school.high + 1)
        sizes = {g: len(self.rosters.of(year, school.index, (g,))) for g in grades}
        if school.level is SchoolLevel.ELEMENTARY:
            for grade in grades:
                sections = max(1, round(sizes[grade] / HOMEROOM.section_size)) if sizes[grade] else 0
                for section in range(sections):
                    add((grade,), HOMEROOM, HOMEROOM.title(grade, grade), section, sections, SCHOOL_YEAR)
            for low, high in ELEMENTARY_BANDS:
                band = tuple(g for g in grades if low <= g <= high and sizes[g])
                for course in ELEMENTARY_SPECIALS if band else ():
                    add(band, course, f"{course.titles[0]} ({GRADES[low]}–{GRADES[high]})", 0, 1, SCHOOL_YEAR)
        else:
            courses = MIDDLE_COURSES if school.level is SchoolLevel.MIDDLE else HIGH_COURSES
            for grade in (g for g in grades if sizes[g]):
                for course in courses:
                    sections = max(1, round(sizes[grade] / course.section_size))
                    for section in range(sections):
                        term = (
                            (FALL if (section + grade) % 2 == 0 else SPRING)
                            if course.semester
                            else SCHOOL_YEAR
                        )
                        add((grade,), course, course.title(grade, school.low), section, sections, term)
        if school.synced:
            club = CLUBS[(school.index + year) % len(CLUBS)]
            add(tuple(grades), None, club, 0, CLUB_SHARE, SCHOOL_YEAR)
        if year == LAST:
            rng = self.ctx.rng
            for spec in specs:
                spec.status = (
                    "active" if not spec.synced and rng.random() < STALE_MANUAL_SHARE else "archived"
                )
        return specs

    def _assign_teachers(self, school: School, year: int, specs: list[ClassSpec]) -> None:
        """Round-robin over the school's teachers, so each of them gets at least one class
        when there are enough; last year, the teachers who since left come first."""
        if not specs:
            return
        rng = self.ctx.rng
        if year == CURRENT:
            pool = [m.index for m in self.staff.teachers(school.index, Presence.ACTIVE, Presence.NEW)]
            rng.shuffle(pool)
        else:
            stayed = [m.index for m in self.staff.teachers(school.index, Presence.ACTIVE)]
            rng.shuffle(stayed)
            pool = [m.index for m in self.staff.teachers(school.index, Presence.LEFT)] + stayed
        if not pool:
            return
        for position, spec in enumerate(specs):
            spec.teachers.append(pool[position % len(pool)])
        for position, extra in enumerate(pool[len(specs) :]):
            specs[position % len(specs)].teachers.append(extra)
        for spec in specs:
            if len(pool) > 1 and rng.random() < CO_TEACHER_SHARE:
                co_teacher = rng.choice(pool)
                if co_teacher not in spec.teachers:
                    spec.teachers.append(co_teacher)
        for spec in specs:
            for teacher in spec.teachers:
                self.teacher_classes[teacher].append(spec)

    def _title(self, spec: ClassSpec) -> str:
        if spec.course is HOMEROOM and spec.teachers:
            teacher = self.staff.members[spec.teachers[0]]
            label = "Kindergarten" if spec.grades[0] == 0 else f"Grade {GRADES[spec.grades[0]]}"
            return f"{label} – {teacher.last_name}"
        if spec.sections > 1 and not spec.club:
            return f"{spec.title} – Period {spec.section + 1}"
        return spec.title

    @staticmethod
    def _code(spec: ClassSpec) -> str:
        if spec.course is None:
            return "CLUB"
        grades = spec.grades
        suffix = GRADES[grades[0]] if len(grades) == 1 else f"{GRADES[grades[0]]}-{GRADES[grades[-1]]}"
        return f"{spec.course.code}{suffix}"

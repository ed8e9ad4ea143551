"""What classrooms each school level offers (names, codes, section sizes, terms)."""

from __future__ import annotations

from dataclasses import dataclass

from connect_desktop.domain.entities import GRADES

SCHOOL_YEAR, FALL, SPRING = 0, 1, 2


@dataclass(frozen=True)
class Course:
    """A course offered to one grade (or a band of grades) at one school level."""

    key: str
    titles: tuple[str, ...]
    """Title per grade offset within the band/level (the last one repeats)."""
    code: str
    section_size: int
    semester: bool = False

    def title(self, grade: int, low: int) -> str:
        return self.titles[min(grade - low, len(self.titles) - 1)].format(grade=GRADES[grade])


HOMEROOM = Course("homeroom", ("Grade {grade} Homeroom",), "HR", 22)
ELEMENTARY_SPECIALS = (
    Course("art", ("Art",), "ART", 10_000),
    Course("music", ("Music",), "MUS", 10_000),
    Course("pe", ("Physical Education",), "PE", 10_000),
    Course("library", ("Library & Media",), "LIB", 10_000),
)
"""Taught to a whole band of grades (K–2 or 3–5) at once."""
ELEMENTARY_BANDS = ((0, 2), (3, 5))

MIDDLE_COURSES = (
    Course("eng", ("English {grade}",), "ENG", 120),
    Course("math", ("Math {grade}", "Math {grade}", "Pre-Algebra"), "MATH", 120),
    Course("sci", ("Life Science", "Earth Science", "Physical Science"), "SCI", 120),
    Course("ss", ("World Geography", "World History", "U.S. History"), "SS", 120),
    Course("pe", ("PE {grade}",), "PE", 200, semester=True),
    Course("arts", ("Exploratory Arts", "Band", "Choir"), "ART", 200),
    Course("cs", ("Computer Science Discoveries",), "CS", 200, semester=True),
    Course("adv", ("Advisory {grade}",), "ADV", 200),
)
HIGH_COURSES = (
    Course("eng", ("English 9", "English 10", "American Literature", "AP English Literature"), "ENG", 120),
    Course("math", ("Algebra I", "Geometry", "Algebra II", "Pre-Calculus"), "MATH", 120),
    Course("sci", ("Biology", "Chemistry", "Physics", "Environmental Science"), "SCI", 120),
    Course("hist", ("World History", "World History II", "U.S. History", "U.S. Government"), "HIST", 120),
    Course("lang", ("Spanish I", "Spanish II", "Spanish III", "Spanish IV"), "SPAN", 200),
    Course("pe", ("PE & Health",), "PE", 200, semester=True),
    Course(
        "elec",
        ("Digital Art", "Computer Science Principles", "Journalism", "Financial Literacy"),
        "ELEC",
        200,
        semester=True,
    ),
    Course("adv", ("Advisory {grade}",), "ADV", 200),
)
CLUBS = ("Robotics Club", "Yearbook", "Drama Club", "Chess Club", "Math Team", "Garden Club", "Debate Club")
CLUB_SHARE = 20
"""A club takes one student in this many from the whole school."""

"""`next-year.zip`: the SIS export after its rollover to the next school year.

From the current synced records: grade-12 graduates are gone, everyone else moves up a
grade (fifth and eighth graders to their feeder middle and high school), about 2% move
to another school of the same level, the manual elementary schools' fifth graders show
up in the synced middle schools, a new kindergarten arrives with new families, staff
who left (and a few retiring now) are gone, a few teachers are new, and every class is
replaced by next year's class with a new sourcedId. Placement decisions hash the
sourcedId, so the enrollment pass recomputes them without keeping them.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from connect_desktop.domain.entities import GRADES
from connect_server.seeding.context import SeedContext, iso_date
from connect_server.seeding.names import BACKGROUNDS, pick_background
from connect_server.seeding.oneroster import (
    STAFF_ROLES,
    CurrentExport,
    PackageWriter,
    Spool,
    _stream,
    role_row,
    user_row,
)
from connect_server.seeding.schools import District, plan_district

MOVE_PERCENT = 2
RETIRE_PERCENT = 3
_CODE = re.compile(r"^([A-Z]+?)(K|\d{1,2})(?:-(K|\d{1,2}))?$")
_LEVEL_OF_GRADE = {
    g: ("elementary" if i <= 5 else "middle" if i <= 8 else "high") for i, g in enumerate(GRADES)
}

Student = tuple[str, str, str, str, str, str | None, list[str]]
"""(sourcedId, given, family, student number, grade, birth date, guardian sourcedIds) next year."""


def _hash(*parts: object) -> int:
    return zlib.crc32(":".join(map(str, parts)).encode())


class NextYear:
    """Where every current record goes in the new school year."""

    def __init__(self, connection: Connection, ctx: SeedContext) -> None:
        self.connection = connection
        self.ctx = ctx
        self.year = ctx.calendar.current_year + 1
        self.export = CurrentExport(connection)
        district = plan_district(SeedContext(ctx.seed, ctx.students, ctx.calendar))
        self.feeds: dict[str, str] = self._feeds(district)
        self.level = {s.source_id: s.level.value for s in district.schools if s.synced}
        self.synced_by_level: dict[str, list[str]] = defaultdict(list)
        for sid, level in self.level.items():
            self.synced_by_level[level].append(sid)
        self.kindergarten: Counter[str] = Counter()
        self.graduate_contacts = {
            row["source_id"].split(":")[1]
            for row in _stream(
                connection,
                "SELECT l.source_id FROM student_contact l JOIN student s ON s.id = l.student_id "
                "WHERE l.origin = 'sync' AND s.grade = '12' AND s.status = 'active'",
            )
        }
        self.first_new_number = 1 + int(
            next(_stream(connection, "SELECT max(student_number) AS n FROM student"))["n"]
        )

    @staticmethod
    def _feeds(district: District) -> dict[str, str]:
        """School id → the sourcedId of the school its top grade moves on to."""
        feeds = {}
        for position, elementary in enumerate(district.elementary):
            middle = district.middle_of[position]
            feeds[district.schools[elementary].id] = str(district.schools[middle].source_id)
            feeds[district.schools[middle].id] = str(district.schools[district.high_of[middle]].source_id)
        return feeds

    def place(self, sid: str, grade: str, school_id: str) -> tuple[str, str] | None:
        """Next year's (grade, school sourcedId), or None for a graduate."""
        rank = GRADES.index(grade)
        if rank == 12:
            return None
        new_grade = GRADES[rank + 1]
        school = self.feeds[school_id] if rank in (5, 8) else self.export.school_sid(school_id)
        assert school is not None
        h = _hash(self.ctx.seed, sid)
        if h % 100 < MOVE_PERCENT:
            choices = self.synced_by_level[_LEVEL_OF_GRADE[new_grade]]
            school = choices[(h // 100) % len(choices)]
        return new_grade, school

    def students(self) -> Iterator[tuple[Student, str]]:
        """Continuing synced students, manual schools' fifth graders, and the new kindergarten."""
        counting = not self.kindergarten
        for student, agents in self.export.students():
            placed = self.place(student["source_id"], student["grade"], student["school_id"])
            if placed is None:
                continue
            if student["grade"] == "K" and counting:
                self.kindergarten[str(self.export.school_sid(student["school_id"]))] += 1
            self.graduate_contacts.difference_update(agents)
            yield self._student(student, placed[0], agents), placed[1]
        for student in _stream(
            self.connection,
            "SELECT s.student_number, s.first_name, s.last_name, s.birth_date, s.school_id FROM student s "
            "JOIN school sc ON sc.id = s.school_id WHERE sc.origin = 'manual' AND s.grade = '5' "
            "AND s.status = 'active' ORDER BY s.student_number",
        ):
            sid = f"usr-stu-{student['student_number']}"
            yield self._student({**student, "source_id": sid}, "6", []), self.feeds[student["school_id"]]
        yield from self._kindergarten()

    @staticmethod
    def _student(row: dict[str, Any], grade: str, agents: list[str]) -> Student:
        birth = row["birth_date"]
        return (
            row["source_id"],
            row["first_name"],
            row["last_name"],
            row["student_number"],
            grade,
            None if birth is None else str(birth)[:10],
            agents,
        )

    def _kindergarten(self) -> Iterator[tuple[Student, str]]:
        rng = self.ctx.sub_rng("next-year", "kindergarten")
        number = self.first_new_number
        for school, count in sorted(self.kindergarten.items()):
            for _ in range(count):
                background = BACKGROUNDS[pick_background(rng)]
                last = rng.choice(background.last_names)
                birth = dt.date(self.year - 7, 9, 2) + dt.timedelta(days=rng.randrange(365))
                guardians = [f"usr-grd-{self.year}-{number}-{i}" for i in range(rng.choice((1, 2, 2)))]
                student = (
                    f"usr-stu-{number:08d}",
                    rng.choice(background.first_names),
                    last,
                    f"{number:08d}",
                    "K",
                    iso_date(birth),
                    guardians,
                )
                yield student, school
                number += 1

    def new_guardians(self, student: Student, school: str) -> Iterator[dict[str, Any]]:
        rng = self.ctx.sub_rng("next-year", "guardian", student[0])
        for sid in student[6]:
            background = BACKGROUNDS[pick_background(rng)]
            yield user_row(
                sid,
                rng.choice(background.first_names),
                student[2],
                org=school,
                phone=f"+1555{rng.randrange(2_000_000, 10_000_000)}",
            )

    def staff(self) -> Iterator[tuple[dict[str, Any], str | None]]:
        """Staff still there (not gone since last year, not retiring now), plus new teachers."""
        cutoff = dt.datetime.combine(self.ctx.as_of - dt.timedelta(days=60), dt.time())
        for member in self.export.staff():
            signed_in = member["last_sign_in_at"]
            if isinstance(signed_in, str):
                signed_in = dt.datetime.fromisoformat(signed_in)
            gone = signed_in is not None and signed_in < cutoff
            if gone or _hash(self.ctx.seed, "retire", member["source_id"]) % 100 < RETIRE_PERCENT:
                continue
            yield member, self.export.school_sid(member["school_id"])
        rng = self.ctx.sub_rng("next-year", "hires")
        for school in sorted(self.level):
            for n in range(1 + rng.randrange(2)):
                background = BACKGROUNDS[pick_background(rng)]
                member = {
                    "source_id": f"usr-stf-{self.year}-{school}-{n}",
                    "first_name": rng.choice(background.first_names),
                    "last_name": rng.choice(background.last_names),
                    "email": None,
                    "role": "teacher",
                }
                yield member, school


class ClassPlan:
    """Next year's classes (one per current synced class) and how students are placed in them."""

    def __init__(self, next_year: NextYear) -> None:
        self.next_year = next_year
        year = next_year.year
        courses, classes = next_year.export.courses_and_classes()
        self.teacher_of: dict[str, str] = {}
        for row in _stream(
            next_year.connection,
            "SELECT e.source_id FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
            "WHERE e.origin = 'sync' AND e.role = 'teacher' AND c.status = 'active' ORDER BY e.seq",
        ):
            klass, teacher = row["source_id"].split(":")
            self.teacher_of.setdefault(klass, teacher)
        self.courses = [self._course(c, year) for c in courses]
        self.classes: list[dict[str, Any]] = []
        self.sections: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.renamed: dict[str, str] = {}
        for position, klass in enumerate(classes, start=1):
            sid = f"cls-{year}-n{position:07d}"
            self.renamed[sid] = klass["sourcedId"]
            term = str(klass["termSourcedIds"]).rsplit("-", 1)[-1]
            self.classes.append(
                {
                    **klass,
                    "sourcedId": sid,
                    "termSourcedIds": f"as-{year}-{term}",
                    "courseSourcedId": self._course_sid(klass, year),
                }
            )
            for grade in self._grades(klass):
                self.sections[(klass["schoolSourcedId"], grade)][klass["classCode"]].append(sid)

    @staticmethod
    def _course_sid(klass: dict[str, Any], year: int) -> str:
        return f"crs-{year}-{klass['schoolSourcedId']}-{klass['classCode']}"

    @staticmethod
    def _course(course: dict[str, Any], year: int) -> dict[str, Any]:
        sid = f"crs-{year}-{course['orgSourcedId']}-{course['courseCode']}"
        return {**course, "sourcedId": sid, "schoolYearSourcedId": f"as-{year}-sy"}

    @staticmethod
    def _grades(klass: dict[str, Any]) -> list[str]:
        match = _CODE.match(str(klass["classCode"]))
        if match is None:
            return []
        low, high = match.group(2), match.group(3) or match.group(2)
        return list(GRADES[GRADES.index(low) : GRADES.index(high) + 1])

    def enrollments(self, sid: str, grade: str, school: str) -> Iterator[dict[str, Any]]:
        for sections in self.sections.get((school, grade), {}).values():
            klass = sections[_hash("section", sid) % len(sections)]
            yield {
                "sourcedId": f"enr-{klass}.{sid}",
                "classSourcedId": klass,
                "schoolSourcedId": school,
                "userSourcedId": sid,
                "role": "student",
            }

    def teacher_enrollments(self, staff_by_school: dict[str, list[str]]) -> Iterator[dict[str, Any]]:
        for klass in self.classes:
            school = klass["schoolSourcedId"]
            teacher = self.teacher_of.get(self.renamed[klass["sourcedId"]])
            pool = staff_by_school.get(school, [])
            if teacher not in pool and pool:
                teacher = pool[_hash("teacher", klass["sourcedId"]) % len(pool)]
            if teacher in pool:
                yield {
                    "sourcedId": f"enr-{klass['sourcedId']}.{teacher}",
                    "classSourcedId": klass["sourcedId"],
                    "schoolSourcedId": school,
                    "userSourcedId": teacher,
                    "role": "teacher",
                    "primary": "true",
                }


def write_next_year(connection: Connection, ctx: SeedContext, path: Path) -> Path:
    next_year = NextYear(connection, ctx)
    plan = ClassPlan(next_year)
    export = next_year.export
    package = PackageWriter(path)
    teachers: dict[str, list[str]] = defaultdict(list)
    try:
        package.table(
            "orgs", (o for o in export.orgs() if o["type"] != "school" or o["sourcedId"] in next_year.level)
        )
        package.table("academicSessions", _sessions(export, next_year.year))
        package.table("courses", plan.courses)
        package.table("classes", plan.classes)
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as roles,
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as births,
        ):
            role_rows, birth_rows = Spool("roles", roles), Spool("demographics", births)

            def people() -> Iterator[dict[str, Any]]:
                for (sid, given, family, number, grade, birth, agents), school in next_year.students():
                    role_rows.add(role_row(sid, "student", school))
                    birth_rows.add({"sourcedId": sid, "birthDate": birth})
                    yield user_row(
                        sid, given, family, identifier=number, grade=grade, agents=agents, org=school
                    )
                for member, school in next_year.staff():
                    role_rows.add(role_row(member["source_id"], STAFF_ROLES[member["role"]], school))
                    if member["role"] == "teacher" and school:
                        teachers[school].append(member["source_id"])
                    yield user_row(
                        member["source_id"],
                        member["first_name"],
                        member["last_name"],
                        email=member["email"],
                        org=school,
                    )
                for contact in export.contacts():
                    if contact["source_id"] in next_year.graduate_contacts:
                        continue
                    school = export.school_sid(contact["school_id"])
                    role_rows.add(
                        role_row(contact["source_id"], contact["relationship"] or "guardian", school)
                    )
                    yield user_row(
                        contact["source_id"],
                        contact["first_name"],
                        contact["last_name"],
                        email=contact["email"],
                        phone=contact["phone"],
                        org=school,
                    )
                for student, school in next_year._kindergarten():
                    for guardian in next_year.new_guardians(student, school):
                        role_rows.add(role_row(guardian["sourcedId"], "parent", school))
                        yield guardian

            package.table("users", people())
            package.spooled("roles", roles)
            package.spooled("demographics", births)
        package.table("enrollments", _enrollments(next_year, plan, teachers))
    finally:
        package.close()
    return path


def _enrollments(
    next_year: NextYear, plan: ClassPlan, teachers: dict[str, list[str]]
) -> Iterator[dict[str, Any]]:
    yield from plan.teacher_enrollments(teachers)
    for (sid, *_, grade, _birth, _agents), school in next_year.students():
        yield from plan.enrollments(sid, grade, school)


def _sessions(export: CurrentExport, year: int) -> Iterator[dict[str, Any]]:
    current = [s for s in export.sessions() if s["schoolYear"] == year - 1]
    yield from current
    for session in current:
        start, end = (dt.date.fromisoformat(str(session[k])) for k in ("startDate", "endDate"))
        kind = str(session["sourcedId"]).rsplit("-", 1)[-1]
        yield {
            **session,
            "sourcedId": f"as-{year}-{kind}",
            "schoolYear": year,
            "title": _next_title(str(session["title"])),
            "startDate": start.replace(year=start.year + 1),
            "endDate": end.replace(year=end.year + 1),
            "parentSourcedId": None if kind == "sy" else f"as-{year}-sy",
        }


def _next_title(title: str) -> str:
    return re.sub(r"\d{4}", lambda m: str(int(m.group()) + 1), title)

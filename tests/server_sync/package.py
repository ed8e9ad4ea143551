"""Small OneRoster 1.2 packages of a made-up district, sized by the test."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.rostering.district import to_csv, write_zip

_C = ["sourcedId", "status", "dateLastModified"]
_USER = [
    *_C, "enabledUser", "username", "userIds", "givenName", "familyName", "middleName", "identifier",
    "email", "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier",
    "preferredGivenName", "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
]  # fmt: skip
_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
    "demographics", "enrollments", "lineItems", "orgs", "resources", "results", "roles", "users",
)  # fmt: skip


@dataclass
class District:
    """Students s-0..s-n (grade from `grade_of`), each with guardian g-i and one class.

    Everything is at school sch-1, except the classes in `second_school`: those, their
    teachers and students (and the students' guardians) are at sch-2. `guardian_of`
    gives a student the guardian of another (a family with children in two schools).
    """

    students: Iterable[int] = range(10)
    grade: int = 3
    classes: tuple[str, ...] = ("cls-a", "cls-b")
    year: int = 2025
    renamed: dict[int, str] = field(default_factory=dict)  # student -> new given name
    second_school: tuple[str, ...] = ()  # classes at sch-2
    guardian_of: dict[int, int] = field(default_factory=dict)  # student -> whose guardian they share

    def school(self, klass: str) -> str:
        return "sch-2" if klass in self.second_school else "sch-1"

    def tables(self) -> dict[str, tuple[list[str], list[list[str]]]]:
        students = list(self.students)
        y = self.year
        t: dict[str, tuple[list[str], list[list[str]]]] = {}
        t["orgs"] = (
            [*_C, "name", "type", "identifier", "parentSourcedId"],
            [
                ["dist", "", "", "Test District", "district", "D", ""],
                ["sch-1", "", "", "Oak Elementary", "school", "S1", "dist"],
                *([["sch-2", "", "", "Elm Middle", "school", "S2", "dist"]] if self.second_school else []),
            ],
        )
        t["academicSessions"] = (
            [*_C, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
            [[f"sy-{y}", "", "", f"{y - 1}-{y}", "schoolYear", f"{y - 1}-08-20", f"{y}-06-15", "", str(y)]],
        )
        t["courses"] = (
            [
                *_C,
                "schoolYearSourcedId",
                "title",
                "courseCode",
                "grades",
                "orgSourcedId",
                "subjects",
                "subjectCodes",
            ],
            [["crs-1", "", "", f"sy-{y}", "Reading", "READ", "", "sch-1", "", ""]],
        )
        t["classes"] = (
            [
                *_C,
                "title",
                "grades",
                "courseSourcedId",
                "classCode",
                "classType",
                "location",
                "schoolSourcedId",
                "termSourcedIds",
                "subjects",
                "subjectCodes",
                "periods",
            ],
            [
                [
                    c,
                    "",
                    "",
                    f"Reading {c}",
                    f"{self.grade:02d}",
                    "crs-1",
                    c,
                    "scheduled",
                    "",
                    self.school(c),
                    f"sy-{y}",
                    "",
                    "",
                    "",
                ]
                for c in self.classes
            ],
        )
        at = self.school
        users = [self._user(f"t-{c}", "Teach", c, "", "", "", at(c)) for c in self.classes]
        roles = [
            [f"r-t-{c}", "", "", f"t-{c}", "primary", "teacher", "", "", at(c), ""] for c in self.classes
        ]
        enrollments = [
            [f"e-t-{c}", "", "", c, at(c), f"t-{c}", "teacher", "true", "", ""] for c in self.classes
        ]
        children: dict[int, list[int]] = {}
        for i in students:
            children.setdefault(self.guardian_of.get(i, i), []).append(i)
        for i in students:
            given = self.renamed.get(i, f"Kid{i}")
            klass = self.classes[i % len(self.classes)]
            guardian = self.guardian_of.get(i, i)
            number, grade = f"{1000 + i}", f"{self.grade:02d}"
            users.append(self._user(f"s-{i}", given, f"Family{i}", number, f"g-{guardian}", grade, at(klass)))
            roles.append([f"r-s-{i}", "", "", f"s-{i}", "primary", "student", "", "", at(klass), ""])
            if guardian == i:
                agents = ",".join(f"s-{c}" for c in children[i])
                users.append(self._user(f"g-{i}", f"Parent{i}", f"Family{i}", "", agents, "", at(klass)))
                roles.append([f"r-g-{i}", "", "", f"g-{i}", "primary", "guardian", "", "", at(klass), ""])
            enrollments.append([f"e-s-{i}", "", "", klass, at(klass), f"s-{i}", "student", "false", "", ""])
        t["users"] = (_USER, users)
        t["roles"] = (
            [
                *_C,
                "userSourcedId",
                "roleType",
                "role",
                "beginDate",
                "endDate",
                "orgSourcedId",
                "userProfileSourcedId",
            ],
            roles,
        )
        t["enrollments"] = (
            [
                *_C,
                "classSourcedId",
                "schoolSourcedId",
                "userSourcedId",
                "role",
                "primary",
                "beginDate",
                "endDate",
            ],
            enrollments,
        )
        return t

    @staticmethod
    def _user(
        sid: str, given: str, family: str, ident: str, agents: str, grades: str, org: str = "sch-1"
    ) -> list[str]:
        email = f"{sid}@example.org" if sid.startswith(("t-", "g-")) else ""
        return [
            sid, "", "", "true", sid, "", given, family, "", ident, email, "", "", agents, grades, "",
            "", "", "", "", org, "",
        ]  # fmt: skip

    def files(self) -> dict[str, str]:
        tables = self.tables()
        files = {f"{name}.csv": to_csv(*table) for name, table in tables.items()}
        manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
        manifest += [[f"file.{n}", "bulk" if n in tables else "absent"] for n in _FILES]
        files["manifest.csv"] = to_csv(["propertyName", "value"], manifest)
        return files

    def write(self, path: Path) -> Path:
        return write_zip(path, dict(self.files()))  # type: ignore[arg-type]

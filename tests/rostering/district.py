"""A small, valid district served identically as OneRoster CSV/REST and Clever API data."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

ORGS = [
    ("dist-1", "Springfield District", "district", ""),
    ("sch-elem", "Lincoln Elementary", "school", "dist-1"),
    ("sch-high", "Washington High School", "school", "dist-1"),
]
SESSIONS = [
    ("sy-2025", "2024-2025", "schoolYear", "2024-08-26", "2025-06-13", "", "2025"),
    ("sem-1", "Fall 2024", "semester", "2024-08-26", "2025-01-17", "sy-2025", "2025"),
    ("sem-2", "Spring 2025", "semester", "2025-01-21", "2025-06-13", "sy-2025", "2025"),
]
COURSES = [
    ("crs-math3", "Math 3", "MATH-3", "03", "sch-elem"),
    ("crs-bio", "Biology", "BIO-101", "10", "sch-high"),
]
CLASSES = [
    ("cls-math3a", "Math 3 - A", "03", "crs-math3", "M3A", "homeroom", "sch-elem", "sy-2025"),
    ("cls-bio1", "Biology, period 1", "10", "crs-bio", "BIO1", "scheduled", "sch-high", "sem-1"),
    ("cls-bio2", 'Biology "honors"', "10,11", "crs-bio", "BIO2", "scheduled", "sch-high", "sem-2"),
]
# sid, role, school, given, family, email, phone, identifier, grade, agents, birth
USERS = [
    ("t-ann", "teacher", "sch-elem", "Ann", "Archer", "ann@springfield.example", "", "T001", "", "", ""),
    ("t-bob", "teacher", "sch-high", "Bob", "Baker", "bob@springfield.example", "", "T002", "", "", ""),
    (
        "a-dee",
        "districtAdministrator",
        "dist-1",
        "Dee",
        "Dean",
        "dee@springfield.example",
        "",
        "A001",
        "",
        "",
        "",
    ),
    ("s-cal", "student", "sch-elem", "Cal", "Carter", "", "", "1001", "03", "g-gia", "2016-03-04"),
    ("s-eve", "student", "sch-elem", "Eve", "Evans", "", "", "1002", "KG", "g-gia,g-hal", "2019-11-30"),
    ("s-fay", "student", "sch-high", "Fay", "Fox", "", "", "1003", "10", "g-ivy", "2009-01-02"),
    ("s-gus", "student", "sch-high", "Gus", "Green", "", "", "1004", "12", "", ""),
    (
        "g-gia",
        "parent",
        "sch-elem",
        "Gia",
        "Carter",
        "gia@home.example",
        "555-0101",
        "",
        "",
        "s-cal,s-eve",
        "",
    ),
    ("g-hal", "guardian", "sch-elem", "Hal", "Hughes", "hal@home.example", "555-0102", "", "", "s-eve", ""),
    ("g-ivy", "relative", "sch-high", "Ivy", "Irwin", "", "555-0103", "", "", "s-fay", ""),
]
ENROLLMENTS = [
    ("e1", "cls-math3a", "sch-elem", "t-ann", "teacher"),
    ("e2", "cls-math3a", "sch-elem", "s-cal", "student"),
    ("e3", "cls-math3a", "sch-elem", "s-eve", "student"),
    ("e4", "cls-bio1", "sch-high", "t-bob", "teacher"),
    ("e5", "cls-bio1", "sch-high", "s-fay", "student"),
    ("e6", "cls-bio2", "sch-high", "t-bob", "teacher"),
    ("e7", "cls-bio2", "sch-high", "s-fay", "student"),
    ("e8", "cls-bio2", "sch-high", "s-gus", "student"),
]

EXPECTED_COUNTS = {
    "school": 2,
    "term": 3,
    "staff": 3,
    "student": 4,
    "contact": 3,
    "student_contact": 4,
    "classroom": 3,
    "enrollment": 8,
}

FILES_11 = ("academicSessions", "classes", "courses", "demographics", "enrollments", "orgs", "users")
FILES_12 = (*FILES_11, "roles")


def to_csv(header: list[str], rows: list[list[str]], newline: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def oneroster_tables(version: str = "1.2") -> dict[str, tuple[list[str], list[list[str]]]]:
    """Header and rows per file (without the .csv)."""
    c = ["sourcedId", "status", "dateLastModified"]
    t: dict[str, tuple[list[str], list[list[str]]]] = {}
    t["orgs"] = (
        [*c, "name", "type", "identifier", "parentSourcedId"],
        [[s, "", "", n, ty, s.upper(), p] for s, n, ty, p in ORGS],
    )
    t["academicSessions"] = (
        [*c, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
        [[s, "", "", *rest] for s, *rest in SESSIONS],
    )
    t["courses"] = (
        [
            *c,
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
        [[s, "", "", "sy-2025", ti, code, g, o, "", ""] for s, ti, code, g, o in COURSES],
    )
    t["classes"] = (
        [
            *c,
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
            [s, "", "", ti, g, crs, code, ty, "", sch, term, "", "", ""]
            for s, ti, g, crs, code, ty, sch, term in CLASSES
        ],
    )
    t["enrollments"] = (
        [*c, "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
        [[s, "", "", cl, sch, u, r, "false", "", ""] for s, cl, sch, u, r in ENROLLMENTS],
    )
    t["demographics"] = ([*c, "birthDate", "sex"], [[u[0], "", "", u[10], ""] for u in USERS if u[10]])
    tail = [
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ]

    def tail_values(u: tuple[str, ...]) -> list[str]:
        return [u[0], "", u[3], u[4], "", u[7], u[5], "", u[6], u[9], u[8], ""]

    if version == "1.1":
        role11 = {"districtAdministrator": "administrator"}
        t["users"] = (
            [*c, "enabledUser", "orgSourcedIds", "role", *tail],
            [[u[0], "", "", "true", u[2], role11.get(u[1], u[1]), *tail_values(u)] for u in USERS],
        )
    else:
        t["users"] = (
            [
                *c,
                "enabledUser",
                *tail,
                "userMasterIdentifier",
                "preferredGivenName",
                "preferredMiddleName",
                "preferredFamilyName",
                "primaryOrgSourcedId",
                "pronouns",
            ],
            [[u[0], "", "", "true", *tail_values(u), "", "", "", "", u[2], ""] for u in USERS],
        )
        t["roles"] = (
            [
                *c,
                "userSourcedId",
                "roleType",
                "role",
                "beginDate",
                "endDate",
                "orgSourcedId",
                "userProfileSourcedId",
            ],
            [[f"r-{u[0]}", "", "", u[0], "primary", u[1], "", "", u[2], ""] for u in USERS],
        )
    return t


def oneroster_files(version: str = "1.2", mode: str = "bulk") -> dict[str, str]:
    """A complete, valid package as file name -> text."""
    tables = oneroster_tables(version)
    files = {f"{name}.csv": to_csv(*table) for name, table in tables.items()}
    manifest = [["manifest.version", "1.0"], ["oneroster.version", version]]
    manifest += [
        [f"file.{name}", mode if name in tables else "absent"]
        for name in (
            "academicSessions",
            "categories",
            "classes",
            "classResources",
            "courses",
            "courseResources",
            "demographics",
            "enrollments",
            "lineItems",
            "orgs",
            "resources",
            "results",
            "roles",
            "users",
        )
    ]
    files["manifest.csv"] = to_csv(["propertyName", "value"], manifest)
    return files


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_folder(path: Path, files: dict[str, str | bytes]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (path / name).write_bytes(data)
    return path


def package(tmp_path: Path, version: str = "1.2", **changes: str | bytes | None) -> Path:
    """The district's package as a zip, with files changed (`users__csv="…"`) or left out (None)."""
    files: dict[str, str | bytes] = dict(oneroster_files(version))
    for name, content in changes.items():
        name = name.replace("__", ".")
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return write_zip(tmp_path / "package.zip", files)

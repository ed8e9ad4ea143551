"""What a OneRoster CSV package holds, read with the csv module (not with the engine).

Used to check the engine and the runner against an independent reading: source_ids per
Connect entity type, formed the way Connect keys them (`class:user`, `student:contact`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

CONTACT_ROLES = {"guardian", "parent", "relative"}


def _rows(package: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(package.read(f"{name}.csv").decode("utf-8-sig"))))


def source_ids(path: Path) -> dict[str, set[str]]:
    """The source_ids of each entity type a package holds."""
    with zipfile.ZipFile(path) as package:
        roles = {r["userSourcedId"]: r["role"] for r in _rows(package, "roles")}
        users = _rows(package, "users")
        found: dict[str, set[str]] = {
            "school": {o["sourcedId"] for o in _rows(package, "orgs") if o["type"] == "school"},
            "term": {s["sourcedId"] for s in _rows(package, "academicSessions")},
            "classroom": {c["sourcedId"] for c in _rows(package, "classes")},
            "enrollment": {
                f"{e['classSourcedId']}:{e['userSourcedId']}" for e in _rows(package, "enrollments")
            },
            "student": set(),
            "staff": set(),
            "contact": set(),
            "student_contact": set(),
        }
        for user in users:
            role = roles[user["sourcedId"]]
            kind = "student" if role == "student" else "contact" if role in CONTACT_ROLES else "staff"
            found[kind].add(user["sourcedId"])
            if kind == "student" and user["agentSourcedIds"]:
                found["student_contact"].update(
                    f"{user['sourcedId']}:{agent}" for agent in user["agentSourcedIds"].split(",")
                )
    return found


def without_students(path: Path, target: Path, drop: Callable[[str], bool]) -> set[str]:
    """Copy a package leaving out the students `drop` picks (their roles, demographics and
    enrollments too); returns their sourcedIds."""
    with zipfile.ZipFile(path) as package:
        roles = {r["userSourcedId"]: r["role"] for r in _rows(package, "roles")}
        gone = {sid for sid, role in roles.items() if role == "student" and drop(sid)}
        column = {"users": "sourcedId", "demographics": "sourcedId", "roles": "userSourcedId"}
        column["enrollments"] = "userSourcedId"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for name in package.namelist():
                stem = name.removesuffix(".csv")
                if stem not in column:
                    out.writestr(name, package.read(name))
                    continue
                text = package.read(name).decode("utf-8")
                header = next(csv.reader(io.StringIO(text)))
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, header, lineterminator="\r\n")
                writer.writeheader()
                writer.writerows(r for r in _rows(package, stem) if r[column[stem]] not in gone)
                out.writestr(name, buffer.getvalue())
    return gone

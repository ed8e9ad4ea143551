"""The synced part of a seeded district as OneRoster 1.2 CSV packages.

`current.zip` is what the SIS exports today: exactly the sync-managed, active records
of the database, with the same sourcedIds, so a sync from it changes nothing.
`next-year.zip` is the export after the SIS rolled over (see `rollover`).
Everything streams from the database; nothing the size of the district is held.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, create_engine, text

from connect_desktop.rostering.oneroster_csv import columns_12
from connect_server.seeding.context import SeedContext

DISTRICT_SOURCED_ID = "org-district-1"
GRADE_CODES = {"K": "KG", **{str(n): f"{n:02d}" for n in range(1, 13)}}
STAFF_ROLES = {
    "teacher": "teacher",
    "school_admin": "principal",
    "district_admin": "districtAdministrator",
    "staff": "aide",
}
"""Connect staff role -> OneRoster role. OneRoster has no office-staff role; `aide` is the
closest (support staff, not a teacher of record) and the reader maps it back to `staff`."""
FILES = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments", "demographics")
HEADERS: dict[str, tuple[str, ...]] = {name: columns_12(name) for name in FILES}
"""The files written, with their columns taken from the reader's OneRoster 1.2 specification."""


class PackageWriter:
    """Writes one zip: a CSV per file (streamed), then the manifest."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)

    def table(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        header = HEADERS[name]
        count = 0
        with self._zip.open(f"{name}.csv", "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if row.get(column) is None else row[column] for column in header])
                count += 1
        return count

    def spooled(self, name: str, spool: IO[str]) -> None:
        """Copy a file of CSV rows already in `HEADERS[name]` order (see `spool`) in under a header."""
        spool.seek(0)
        with self._zip.open(f"{name}.csv", "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as out:
            csv.writer(out, lineterminator="\r\n").writerow(HEADERS[name])
            shutil.copyfileobj(spool, out)

    def close(self) -> None:
        manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
        manifest += [
            (f"file.{name}", "bulk" if name in FILES else "absent") for name in (*FILES, "lineItems")
        ]
        with self._zip.open("manifest.csv", "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(("propertyName", "value"))
            writer.writerows(manifest)
        self._zip.close()


def _stream(connection: Connection, sql: str, **params: Any) -> Iterator[dict[str, Any]]:
    result = connection.execute(text(sql).execution_options(stream_results=True, yield_per=5_000), params)
    for row in result:
        yield row._asdict()


def _ordered(connection: Connection, column: str) -> str:
    """`ORDER BY column` in byte order on both databases (so Python can merge two streams)."""
    return f'{column} COLLATE "C"' if connection.dialect.name == "postgresql" else column


def _iso(value: object) -> str | None:
    return None if value is None else str(value)[:10]


class CurrentExport:
    """Reads the sync-managed records of a seeded database as OneRoster rows."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.schools = {
            r["id"]: r for r in _stream(connection, "SELECT id, source_id, name, origin FROM school")
        }
        self.terms = list(_stream(connection, "SELECT * FROM term ORDER BY start_date, end_date DESC"))

    def school_sid(self, school_id: str | None) -> str | None:
        school = self.schools.get(school_id) if school_id else None
        return school["source_id"] if school else None

    def orgs(self) -> Iterator[dict[str, Any]]:
        yield {
            "sourcedId": DISTRICT_SOURCED_ID,
            "name": "Riverbend Unified School District",
            "type": "district",
        }
        for school in self.schools.values():
            if school["origin"] == "sync":
                yield {
                    "sourcedId": school["source_id"],
                    "name": school["name"],
                    "type": "school",
                    "identifier": school["source_id"].rsplit("-", 1)[-1],
                    "parentSourcedId": DISTRICT_SOURCED_ID,
                }

    def sessions(self) -> Iterator[dict[str, Any]]:
        years = {t["school_year"]: t["source_id"] for t in self.terms if t["source_id"].endswith("-sy")}
        for term in self.terms:
            school_year = term["source_id"].endswith("-sy")
            yield {
                "sourcedId": term["source_id"],
                "title": term["name"],
                "type": "schoolYear" if school_year else "semester",
                "startDate": _iso(term["start_date"]),
                "endDate": _iso(term["end_date"]),
                "schoolYear": term["school_year"],
                "parentSourcedId": None if school_year else years.get(term["school_year"]),
            }

    def _classes(self) -> list[dict[str, Any]]:
        return list(
            _stream(
                self.connection,
                "SELECT c.source_id, c.name, c.course_code, c.grade, c.school_id, t.source_id AS term, "
                "t.school_year "
                "FROM classroom c JOIN term t ON t.id = c.term_id "
                "WHERE c.origin = 'sync' AND c.status = 'active' ORDER BY c.seq",
            )
        )

    def courses_and_classes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        courses: dict[str, dict[str, Any]] = {}
        classes = []
        years = {t["school_year"]: t["source_id"] for t in self.terms if t["source_id"].endswith("-sy")}
        for klass in self._classes():
            school = self.school_sid(klass["school_id"])
            course = f"crs-{klass['school_year']}-{school}-{klass['course_code']}"
            grade = GRADE_CODES.get(klass["grade"] or "")
            courses.setdefault(
                course,
                {
                    "sourcedId": course,
                    "schoolYearSourcedId": years[klass["school_year"]],
                    "title": klass["name"].split(" – ")[0],
                    "courseCode": klass["course_code"],
                    "grades": grade,
                    "orgSourcedId": school,
                },
            )
            classes.append(
                {
                    "sourcedId": klass["source_id"],
                    "title": klass["name"],
                    "grades": grade,
                    "courseSourcedId": course,
                    "classCode": klass["course_code"],
                    "classType": "homeroom" if klass["course_code"].startswith("HR") else "scheduled",
                    "schoolSourcedId": school,
                    "termSourcedIds": klass["term"],
                }
            )
        return list(courses.values()), classes

    def students(self) -> Iterator[tuple[dict[str, Any], list[str]]]:
        """Synced active students with their synced contacts' sourcedIds (a merge of two sorted streams)."""
        links = _stream(
            self.connection,
            "SELECT source_id FROM student_contact WHERE origin = 'sync' ORDER BY "
            + _ordered(self.connection, "source_id"),
        )
        pending = next(links, None)
        for student in _stream(
            self.connection,
            "SELECT source_id, first_name, last_name, student_number, grade, birth_date, school_id "
            "FROM student "
            "WHERE origin = 'sync' AND status = 'active' ORDER BY " + _ordered(self.connection, "source_id"),
        ):
            agents: list[str] = []
            prefix = student["source_id"] + ":"
            while pending is not None and pending["source_id"] < prefix:
                pending = next(links, None)
            while pending is not None and pending["source_id"].startswith(prefix):
                agents.append(pending["source_id"][len(prefix) :])
                pending = next(links, None)
            yield student, agents

    def staff(self) -> Iterator[dict[str, Any]]:
        yield from _stream(
            self.connection,
            "SELECT source_id, first_name, last_name, email, role, school_id, last_sign_in_at FROM staff "
            "WHERE origin = 'sync' AND access = 'active' ORDER BY seq",
        )

    def contacts(self) -> Iterator[dict[str, Any]]:
        yield from _stream(
            self.connection,
            "SELECT c.source_id, c.first_name, c.last_name, c.email, c.phone, c.school_id, "
            "(SELECT min(l.relationship) FROM student_contact l "
            "WHERE l.contact_id = c.id AND l.origin = 'sync') AS relationship "
            "FROM contact c WHERE c.origin = 'sync' ORDER BY c.seq",
        )

    def enrollments(self) -> Iterator[dict[str, Any]]:
        yield from _stream(
            self.connection,
            "SELECT e.source_id, e.role, e.school_id FROM enrollment e "
            "JOIN classroom c ON c.id = e.classroom_id "
            "WHERE e.origin = 'sync' AND c.status = 'active' ORDER BY e.seq",
        )


def user_row(
    sid: str,
    given: str,
    family: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    identifier: str | None = None,
    grade: str | None = None,
    agents: Iterable[str] = (),
    org: str | None = None,
) -> dict[str, Any]:
    return {
        "sourcedId": sid,
        "enabledUser": "true",
        "username": email or identifier or sid,
        "givenName": given,
        "familyName": family,
        "identifier": identifier,
        "email": email,
        "phone": phone,
        "agentSourcedIds": ",".join(agents) or None,
        "grades": GRADE_CODES.get(grade or ""),
        "primaryOrgSourcedId": org,
    }


def role_row(user: str, role: str, org: str | None) -> dict[str, Any]:
    return {
        "sourcedId": f"rol-{user}",
        "userSourcedId": user,
        "roleType": "primary",
        "role": role,
        "orgSourcedId": org or DISTRICT_SOURCED_ID,
    }


def write_current(connection: Connection, path: Path) -> Path:
    """`current.zip`: the database's sync-managed, active records as the SIS exports them."""
    export = CurrentExport(connection)
    package = PackageWriter(path)
    try:
        package.table("orgs", export.orgs())
        package.table("academicSessions", export.sessions())
        courses, classes = export.courses_and_classes()
        package.table("courses", courses)
        package.table("classes", classes)
        _write_people(package, export)
        package.table(
            "enrollments",
            (
                {
                    "sourcedId": f"enr-{e['source_id'].replace(':', '.')}",
                    "classSourcedId": e["source_id"].split(":")[0],
                    "schoolSourcedId": export.school_sid(e["school_id"]),
                    "userSourcedId": e["source_id"].split(":")[1],
                    "role": e["role"],
                }
                for e in export.enrollments()
            ),
        )
    finally:
        package.close()
    return path


def _write_people(package: PackageWriter, export: CurrentExport) -> None:
    """users.csv in one pass over students, staff and contacts; their roles.csv and
    demographics.csv rows go to temporary files on the way and are copied in after."""
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as roles,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as births,
    ):
        role_rows, birth_rows = Spool("roles", roles), Spool("demographics", births)

        def people() -> Iterator[dict[str, Any]]:
            for student, agents in export.students():
                sid, org = student["source_id"], export.school_sid(student["school_id"])
                role_rows.add(role_row(sid, "student", org))
                birth_rows.add({"sourcedId": sid, "birthDate": _iso(student["birth_date"])})
                yield user_row(
                    sid,
                    student["first_name"],
                    student["last_name"],
                    identifier=student["student_number"],
                    grade=student["grade"],
                    agents=agents,
                    org=org,
                )
            for member in export.staff():
                sid, org = member["source_id"], export.school_sid(member["school_id"])
                role_rows.add(role_row(sid, STAFF_ROLES[member["role"]], org))
                yield user_row(sid, member["first_name"], member["last_name"], email=member["email"], org=org)
            for contact in export.contacts():
                sid, org = contact["source_id"], export.school_sid(contact["school_id"])
                role_rows.add(role_row(sid, contact["relationship"] or "guardian", org))
                yield user_row(
                    sid,
                    contact["first_name"],
                    contact["last_name"],
                    email=contact["email"],
                    phone=contact["phone"],
                    org=org,
                )

        package.table("users", people())
        package.spooled("roles", roles)
        package.spooled("demographics", births)


class Spool:
    """CSV rows of one file, written to a temporary file in header order."""

    def __init__(self, name: str, file: IO[str]) -> None:
        self._header = HEADERS[name]
        self._writer = csv.writer(file, lineterminator="\r\n")

    def add(self, row: dict[str, Any]) -> None:
        self._writer.writerow(["" if row.get(c) is None else row[c] for c in self._header])


def write_packages(db_url: str, ctx: SeedContext, folder: Path) -> tuple[Path, ...]:
    """Write `current.zip` and `next-year.zip` for the seeded database at `db_url`."""
    from connect_server.seeding.next_year import write_next_year

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            current = write_current(connection, folder / "current.zip")
            return current, write_next_year(connection, ctx, folder / "next-year.zip")
    finally:
        engine.dispose()

"""Clever's CSV upload (schools, students, teachers, sections, enrollments, staff) → the snapshot.

Headers must match Clever's names exactly; column order is free. The ids in these files
are the district's SIS ids (what the Clever API calls `sis_id`) and become the
source_ids. Clever CSV has no term ids: a term's source_id is its Term_name. A student
with several contacts appears on several rows with the same Student_id, one contact per
row (Clever's convention). Diagnostics name file, row (header = 1) and column, as the
OneRoster CSV reader does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from connect_desktop.rostering.clever_api import iso_date, relationship
from connect_desktop.rostering.csvsource import CsvPackage, Limits
from connect_desktop.rostering.diagnostics import Diagnostics, Renamed
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.snapshot import TYPES, Snapshot

_TEACHERS = tuple(f"Teacher_{i}_id" for i in range(2, 11))
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "schools": (
        ("School_id", "School_name", "School_number"),
        (
            "State_id",
            "Low_grade",
            "High_grade",
            "Principal",
            "Principal_email",
            "School_address",
            "School_city",
            "School_state",
            "School_zip",
            "School_phone",
        ),
    ),
    "sections": (
        ("School_id", "Section_id", "Teacher_id"),
        (
            *_TEACHERS,
            "Name",
            "Section_number",
            "Grade",
            "Course_name",
            "Course_number",
            "Course_description",
            "Period",
            "Subject",
            "Term_name",
            "Term_start",
            "Term_end",
        ),
    ),
    "students": (
        ("School_id", "Student_id", "Last_name", "First_name"),
        (
            "Student_number",
            "State_id",
            "Middle_name",
            "Grade",
            "Gender",
            "DOB",
            "Race",
            "Hispanic_Latino",
            "Home_language",
            "Ell_status",
            "Frl_status",
            "IEP_status",
            "Student_street",
            "Student_city",
            "Student_state",
            "Student_zip",
            "Student_email",
            "Contact_relationship",
            "Contact_type",
            "Contact_name",
            "Contact_phone",
            "Contact_phone_type",
            "Contact_email",
            "Contact_sis_id",
            "Username",
            "Password",
        ),
    ),
    "teachers": (
        ("School_id", "Teacher_id", "Last_name", "First_name"),
        (
            "Teacher_number",
            "State_teacher_id",
            "Teacher_email",
            "Middle_name",
            "Title",
            "Username",
            "Password",
        ),
    ),
    "staff": (
        ("School_id", "Staff_id", "Staff_email", "First_name", "Last_name"),
        ("Department", "Title", "Username", "Password", "Role"),
    ),
    "enrollments": (("School_id", "Section_id", "Student_id"), ()),
}
"""File -> (required columns, optional columns), in reading order."""
OPTIONAL_FILES = ("staff",)
COLUMNS = {
    "schoolSourcedId": "School_id",
    "classSourcedId": "Section_id",
    "userSourcedId": "Student_id",
    "termSourcedIds": "Term_name",
    "orgSourcedIds": "School_id",
    "orgSourcedId": "School_id",
    "agentSourcedIds": "Contact_sis_id",
}

Row = dict[str, str]


def read_clever_csv(
    path: str | Path, diags: Diagnostics, *, limits: Limits | None = None, work_dir: str | Path | None = None
) -> Snapshot:
    """Read a Clever CSV upload (zip or folder) into a snapshot; check `diags.errors` before using it."""
    snap = Snapshot("clever-csv", work_dir)
    try:
        with CsvPackage(path, diags, limits) as pkg:
            model = OneRosterAssembler(snap, Renamed(diags, COLUMNS), {})
            _Reader(pkg, model).read()
            snap.present = set(TYPES)
            model.finish()
    except BaseException:
        snap.close()
        raise
    return snap.finish()


class _Reader:
    def __init__(self, pkg: CsvPackage, model: OneRosterAssembler) -> None:
        self.pkg, self.model, self.diags = pkg, model, model.diags
        self.terms: set[str] = set()

    def read(self) -> None:
        for stem in HEADERS:
            self.model.loaded.add({"schools": "orgs", "sections": "classes"}.get(stem, stem))
            if stem in ("students", "teachers", "staff"):
                self.model.loaded.add("users")
            self.model.loaded.add("academicSessions")
            handler = getattr(self, f"_{stem}")
            batch: list[tuple[int, Row]] = []
            for row, values in self._rows(stem):
                batch.append((row, values))
                if len(batch) >= 2_000:
                    self._batch(stem, batch, handler)
                    batch = []
            self._batch(stem, batch, handler)

    def _batch(self, stem: str, batch: list[tuple[int, Row]], handler: object) -> None:
        key = {
            "schools": "School_id",
            "sections": "Section_id",
            "teachers": "Teacher_id",
            "staff": "Staff_id",
        }.get(stem)
        fresh = (
            self.model.claim(stem, f"{stem}.csv", [(r[key], n) for n, r in batch])
            if key
            else [True] * len(batch)
        )
        for (row, values), new in zip(batch, fresh, strict=True):
            if new:
                handler(Where(f"{stem}.csv", row), values)  # type: ignore[operator]

    def _rows(self, stem: str) -> Iterator[tuple[int, Row]]:
        """Rows as column -> value, with the header checked; rows missing a required value are reported."""
        file = f"{stem}.csv"
        required, optional = HEADERS[stem]
        actual = self.pkg.find(file)
        if actual is None:
            if stem not in OPTIONAL_FILES:
                self.diags.error("missing_file", f"{file} is not in the upload.", f"Add {file}.", file=file)
            return
        table = self.pkg.table(actual)
        if table is None:
            return
        header = [h.strip() for h in table.header]
        for name in header:
            if name not in required and name not in optional:
                close = difflib.get_close_matches(name, [*required, *optional], n=1, cutoff=0.6)
                self.diags.error(
                    "unknown_column",
                    f"'{name}' is not a Clever column; Clever rejects the file.",
                    f"Did you mean '{close[0]}'? Headers must match exactly."
                    if close
                    else "Remove the column.",
                    file=file,
                    row=1,
                    column=name,
                )
        missing = [c for c in required if c not in header]
        for name in missing:
            self.diags.error(
                "missing_column",
                f"The required column '{name}' is missing.",
                f"Add the column '{name}'.",
                file=file,
                row=1,
                column=name,
            )
        if missing:
            for _ in table.rows:
                pass
            return
        for row, values in table.rows:
            rec = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header) if h}
            empty = [c for c in required if not rec.get(c) and c != "Teacher_id"]
            for name in empty:
                self.diags.error(
                    "missing_value",
                    f"'{name}' is empty.",
                    f"Fill in {name}.",
                    file=file,
                    row=row,
                    column=name,
                )
            if not empty:
                yield row, rec

    def _date(self, at: Where, rec: Row, column: str) -> str:
        raw = rec.get(column, "")
        value = iso_date(raw) if raw else ""
        if raw and not value:
            self.diags.error(
                "bad_date",
                f"'{raw}' is not a date in the form MM/DD/YYYY.",
                "Write dates as month/day/year, e.g. 08/26/2024.",
                file=at.file,
                row=at.row,
                column=column,
            )
        return value

    def _schools(self, at: Where, rec: Row) -> None:
        self.model.org(at, rec["School_id"], rec["School_name"], "school")

    def _sections(self, at: Where, rec: Row) -> None:
        term = rec.get("Term_name", "")
        if term and term not in self.terms:
            start, end = self._date(at, rec, "Term_start"), self._date(at, rec, "Term_end")
            if start and end:
                self.terms.add(term)
                self.model.session(at, term, term, start, end, "")
        sid, school = rec["Section_id"], rec["School_id"]
        code = rec.get("Course_number") or rec.get("Section_number") or ""
        grades = [rec["Grade"]] if rec.get("Grade") else []
        name = rec.get("Name") or rec.get("Course_name") or sid
        self.model.klass(at, sid, name, grades, "", code, school, [term] if term in self.terms else [])
        for column in ("Teacher_id", *_TEACHERS):
            if rec.get(column):
                self.model.enrollment(at, "", sid, school, rec[column], "teacher")

    def _students(self, at: Where, rec: Row) -> None:
        sid, school = rec["Student_id"], rec["School_id"]
        contact = rec.get("Contact_sis_id", "")
        self.model.role(at, sid, "primary", "student", school)
        self.model.user(
            at,
            sid,
            given=rec["First_name"],
            family=rec["Last_name"],
            email=rec.get("Student_email", ""),
            phone="",
            identifier=rec.get("Student_number", ""),
            grades=[rec["Grade"]] if rec.get("Grade") else [],
            orgs=[school],
            role=None,
            primary_org="",
            agents=[contact] if contact else [],
        )
        if rec.get("DOB"):
            self.model.demographic(at, sid, self._date(at, rec, "DOB"))
        if contact:
            given, _, family = rec.get("Contact_name", "").strip().rpartition(" ")
            self.model.role(at, contact, "primary", relationship(rec.get("Contact_relationship")), school)
            self.model.user(
                at,
                contact,
                given=given or family,
                family=family if given else "",
                email=rec.get("Contact_email", ""),
                phone=rec.get("Contact_phone", ""),
                identifier="",
                grades=[],
                orgs=[],
                role=None,
                primary_org="",
                agents=[],
            )

    def _teachers(self, at: Where, rec: Row) -> None:
        self._staff_user(
            at, rec["Teacher_id"], rec, "teacher", rec.get("Teacher_email", ""), rec.get("Teacher_number", "")
        )

    def _staff(self, at: Where, rec: Row) -> None:
        role = rec.get("Role", "").lower().replace(" ", "_")
        as_role = "districtAdministrator" if role in ("district_admin", "districtadmin") else "staff"
        self._staff_user(at, rec["Staff_id"], rec, as_role, rec["Staff_email"], "")

    def _staff_user(self, at: Where, sid: str, rec: Row, role: str, email: str, ident: str) -> None:
        self.model.role(at, sid, "primary", role, rec["School_id"])
        self.model.user(
            at,
            sid,
            given=rec["First_name"],
            family=rec["Last_name"],
            email=email,
            phone="",
            identifier=ident,
            grades=[],
            orgs=[],
            role=None,
            primary_org="",
            agents=[],
        )

    def _enrollments(self, at: Where, rec: Row) -> None:
        self.model.enrollment(at, "", rec["Section_id"], rec["School_id"], rec["Student_id"], "student")

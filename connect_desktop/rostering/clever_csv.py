"""Clever's CSV upload (schools, students, teachers, sections, enrollments, staff) → the snapshot.

Columns follow Clever's SFTP/CSV specification: column order is free, only the ids and
names are required (`School_number`, which real SIS exports leave out, is optional).
What real exports write is accepted: Clever's own demo files and SIS exports spell `DOB`
as `Dob` (an alias, silently); any other header in the wrong case is read with a
warning (Clever's specification says headers are case-sensitive); `ext.*` extension
columns are ignored; an unknown column is ignored with a warning. Dates may be ISO,
M/D/YYYY or M/D/YY (`clever_api.iso_date` states the century rule for two-digit years).
Kindergarten written as grade 0, as Clever's demo district does, is kindergarten.

The ids in these files are the district's SIS ids (what the Clever API calls `sis_id`)
and become the source_ids. Clever CSV has no term ids: a term's source_id is its
Term_name. A student with several contacts appears on several rows with the same
Student_id, one contact per row (Clever's convention). A contact without a
Contact_sis_id (Clever's older files, its demo district among them, have no such
column) is known by its name with its e-mail address, or its phone number when it has
no e-mail: `contact_key` makes a stable id of them, so siblings' shared parent is one
contact, and the same contact keeps its id from one sync to the next (one warning says
how many contacts were keyed so, and that a changed e-mail makes a new contact).
Diagnostics name Clever's own files and columns, with the row (header = 1), never the
OneRoster files the shared assembler checks against.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from connect_desktop.rostering.clever_api import iso_date, relationship
from connect_desktop.rostering.csvsource import CsvPackage, Limits
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics, Renamed
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.snapshot import TYPES, Snapshot

_TEACHERS = tuple(f"Teacher_{i}_id" for i in range(2, 11))
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "schools": (
        ("School_id", "School_name"),
        (
            "School_number",
            "State_id",
            "Nces_id",
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
            "Unweighted_gpa",
            "Weighted_gpa",
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
ALIASES = {"Dob": "DOB", "Iep_status": "IEP_status"}
"""Spellings real exports use for a column (Clever's demo district, SIS exports): read silently."""
KEYS = {"schools": "School_id", "sections": "Section_id", "teachers": "Teacher_id", "staff": "Staff_id"}
"""The id column of each file whose rows must be unique."""
COLUMNS = {
    "schoolSourcedId": "School_id",
    "classSourcedId": "Section_id",
    "userSourcedId": "Student_id",
    "termSourcedIds": "Term_name",
    "orgSourcedIds": "School_id",
    "orgSourcedId": "School_id",
    "agentSourcedIds": "Contact_sis_id",
    "identifier": "Student_number",
}
"""The OneRoster column a shared check names -> Clever's column (see `_FILE_COLUMNS` too)."""
_FILE_COLUMNS = {
    "sections.csv": {"userSourcedId": "Teacher_id", "role": "Teacher_id", "sourcedId": "Section_id"},
    "enrollments.csv": {"role": "Student_id"},
    "schools.csv": {"sourcedId": "School_id"},
    "teachers.csv": {"sourcedId": "Teacher_id"},
    "staff.csv": {"sourcedId": "Staff_id"},
}
_USERS = "{users}"  # how the assembler names the users' file; the file of the row decides which
_FILES = {"orgs": "schools.csv", "classes": "sections.csv", "academicSessions": "sections.csv"}
_HINTS = {
    "student_without_school": "Give the student a School_id that is in schools.csv.",
    "no_identifier": "Fill in Student_number.",
    "empty_file": "Export the file again; it needs at least its header row.",
    "files_in_folder": "They were read from there; Clever expects them at the top of the upload.",
}
_WORDING = (
    ("OneRoster", "Clever"),
    ("sourcedIds", "ids"),
    ("sourcedId", "id"),
    ("The class '", "The section '"),
    ("their class", "their section"),
    ("the class's", "the section's"),
    ("an org that is not a school", "a school that is not in schools.csv"),
    ("no org of type school", "no school in schools.csv"),
)
"""The assembler's OneRoster wording -> Clever's, in messages, hints and group texts."""
_ROLE_HINTS = {
    "sections.csv": "A section's Teacher_id columns must name teachers in teachers.csv.",
    "enrollments.csv": "Student_id must name a student in students.csv.",
}

Row = dict[str, str]


class _CleverNames(Renamed):
    """Forwards to another collector, in Clever's own file and column names and advice."""

    def __init__(self, inner: Diagnostics) -> None:
        super().__init__(inner, COLUMNS)
        self.written: dict[tuple[str, str], str] = {}  # (file, Clever's column) -> its header there

    def add(self, diagnostic: Diagnostic) -> None:
        d = diagnostic
        file = d.file or ""
        column = _FILE_COLUMNS.get(file, {}).get(d.column or "") or self.columns.get(d.column or "", d.column)
        column = self.written.get((file, column or ""), column)
        users = "teachers.csv" if file == "sections.csv" else "students.csv"

        def clever(text: str) -> str:
            text = text.replace(_USERS, users)
            if d.code in ("duplicate_id", "no_identifier"):
                text = text.replace("sourcedId", KEYS.get(file[:-4], "Student_id"))
            for old, new in _WORDING:
                text = text.replace(old, new)
            return text

        hint = _ROLE_HINTS.get(file, d.hint) if d.code == "role_mismatch" else _HINTS.get(d.code, d.hint)
        fixed = Diagnostic(
            d.severity, d.code, clever(d.message), clever(hint), d.file, d.row, column, clever(d.group)
        )
        Diagnostics.add(self, fixed)
        self.inner.add(fixed)


def read_clever_csv(
    path: str | Path, diags: Diagnostics, *, limits: Limits | None = None, work_dir: str | Path | None = None
) -> Snapshot:
    """Read a Clever CSV upload (zip or folder) into a snapshot; check `diags.errors` before using it."""
    snap = Snapshot("clever-csv", work_dir)
    snap.version = "clever-csv"
    named = _CleverNames(diags)
    try:
        with CsvPackage(path, named, limits) as pkg:
            model = OneRosterAssembler(snap, named, {})
            model.name = lambda stem: _FILES.get(stem, _USERS if stem == "users" else f"{stem}.csv")
            _Reader(pkg, model, named).read()
            snap.present = set(TYPES)
            model.finish()
    except BaseException:
        snap.close()
        raise
    return snap.finish()


def contact_key(name: str, email: str, phone: str) -> str:
    """A stable id for a contact that has no SIS id: its name with its e-mail address
    (or its phone digits when it has no e-mail), case and spacing ignored."""
    reach = email.strip().lower() or "".join(ch for ch in phone if ch.isdigit())
    person = " ".join(name.lower().split())
    digest = hashlib.sha256(f"{person}\x1f{reach}".encode()).hexdigest()[:24]
    return f"clever-contact-{digest}"


class _Reader:
    def __init__(self, pkg: CsvPackage, model: OneRosterAssembler, names: _CleverNames) -> None:
        self.pkg, self.model, self.diags, self.names = pkg, model, names, names
        self.terms: set[str] = set()
        self.unkeyed_contacts: list[int] = []  # rows naming a contact without Contact_sis_id
        self.contacts_read: set[str] = set()  # each contact is read once, from its first row

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
        if self.unkeyed_contacts:
            count = len(self.unkeyed_contacts)
            self.diags.warning(
                "contact_without_id",
                f"{count:,} {'rows name' if count > 1 else 'row names'} a contact (Contact_name, "
                "Contact_email, Contact_phone) but no Contact_sis_id; those contacts are known by "
                "their name and e-mail address (or phone), so a changed e-mail address makes a new contact.",
                "Add Contact_sis_id (the contact's id in the SIS) to keep contacts by their SIS id.",
                file="students.csv",
                row=self.unkeyed_contacts[0],
                column="Contact_sis_id",
            )

    def _batch(self, stem: str, batch: list[tuple[int, Row]], handler: Callable[[Where, Row], None]) -> None:
        key = KEYS.get(stem)
        fresh = (
            self.model.claim(stem, f"{stem}.csv", [(r[key], n) for n, r in batch])
            if key
            else [True] * len(batch)
        )
        for (row, values), new in zip(batch, fresh, strict=True):
            if new:
                handler(Where(f"{stem}.csv", row), values)

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
        header = self._header(file, table.header, (*required, *optional))
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

    def _header(self, file: str, raw: list[str], columns: tuple[str, ...]) -> list[str]:
        """Each column's Clever name, '' for one that is not read (reported unless harmless)."""
        by_lower = {c.lower(): c for c in columns}
        names: list[str] = []
        for text in raw:
            name = text.strip()
            known = name if name in columns else ALIASES.get(name) or by_lower.get(name.lower())
            if known and known in names:
                self.diags.warning(
                    "duplicate_column",
                    f"'{name}' appears twice in the header; the second one was ignored.",
                    "Keep one of the two columns.",
                    file=file,
                    row=1,
                    column=name,
                )
                known = None
            elif known and known != name and ALIASES.get(name) != known:
                self.names.written[(file, known)] = name
                self.diags.warning(
                    "column_case",
                    f"The column '{name}' was read as Clever's '{known}'.",
                    f"Rename it '{known}': Clever's specification says headers are case-sensitive.",
                    file=file,
                    row=1,
                    column=name,
                )
            elif not known and name and not name.lower().startswith("ext."):
                close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
                self.diags.warning(
                    "unknown_column",
                    f"'{name}' is not one of Clever's columns for {file}; it was ignored.",
                    f"Did you mean '{close[0]}'?" if close else "Remove the column, or ignore this warning.",
                    file=file,
                    row=1,
                    column=name,
                )
            if known and known != name:
                self.names.written[(file, known)] = name
            names.append(known or "")
        return names

    def _date(self, at: Where, rec: Row, column: str) -> str:
        """The column's date as YYYY-MM-DD, '' (reported) when it is not one.

        A bad term date is an error (the term cannot be made); a bad birth date only a
        warning, since the student is read without it.
        """
        raw = rec.get(column, "")
        value = iso_date(raw) if raw else ""
        birth = column == "DOB"
        problem, hint = "", "Write dates as M/D/YYYY, e.g. 8/26/2024 (M/D/YY and 2024-08-26 are read too)."
        if raw and not value:
            shaped = re.fullmatch(r"\d{1,2}/\d{1,2}/(\d{2}|\d{4})|\d{4}-\d{2}-\d{2}", raw.split(" ")[0])
            problem = (
                f"'{raw}' is not a day of the calendar; check the month and day"
                if shaped
                else f"'{raw}' is not a date (month/day/year, or year-month-day)"
            )
        elif birth and value > dt.date.today().isoformat():
            problem = f"The birth date '{raw}' would be {value}, in the future"
            hint = "Write the year with four digits: two-digit years 00-69 are read as 2000-2069."
            value = ""
        if problem:
            report = self.diags.warning if birth else self.diags.error
            report(
                "bad_date",
                problem + ("; the student was read without a birth date." if birth else "."),
                hint,
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
        grades = _grades(rec)
        name = rec.get("Name") or rec.get("Course_name") or sid
        self.model.klass(at, sid, name, grades, "", code, school, [term] if term in self.terms else [])
        seen: dict[str, str] = {}
        for column in ("Teacher_id", *_TEACHERS):
            teacher = rec.get(column)
            if teacher and teacher in seen:
                self.diags.warning(
                    "duplicate_teacher",
                    f"Teacher '{teacher}' is named twice in this section ({seen[teacher]} and {column}).",
                    f"Leave {column} empty, or put the section's other teacher there.",
                    file=at.file,
                    row=at.row,
                    column=column,
                    group="{count} sections name the same teacher twice",
                )
            elif teacher:
                seen[teacher] = column
                self.model.enrollment(at, "", sid, school, teacher, "teacher")

    def _students(self, at: Where, rec: Row) -> None:
        sid, school = rec["Student_id"], rec["School_id"]
        contact = rec.get("Contact_sis_id", "")
        if not contact and any(rec.get(c) for c in ("Contact_name", "Contact_email", "Contact_phone")):
            self.unkeyed_contacts.append(at.row or 0)
            contact = contact_key(
                rec.get("Contact_name", ""), rec.get("Contact_email", ""), rec.get("Contact_phone", "")
            )
        self.model.role(at, sid, "primary", "student", school)
        self.model.user(
            at,
            sid,
            given=rec["First_name"],
            family=rec["Last_name"],
            email=rec.get("Student_email", ""),
            phone="",
            identifier=rec.get("Student_number", ""),
            grades=_grades(rec),
            orgs=[school],
            role=None,
            primary_org="",
            agents=[contact] if contact else [],
        )
        if rec.get("DOB"):
            self.model.demographic(at, sid, self._date(at, rec, "DOB"))
        if contact and contact not in self.contacts_read:
            self.contacts_read.add(contact)
            given, _, family = rec.get("Contact_name", "").strip().rpartition(" ")
            kin = rec.get("Contact_relationship") or rec.get("Contact_type")
            self.model.role(at, contact, "primary", relationship(kin), school)
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


def _grades(rec: Row) -> list[str]:
    """The row's Grade as a list; 0 is kindergarten (Clever's demo district writes it so)."""
    grade = rec.get("Grade", "")
    return ["Kindergarten" if grade in ("0", "00") else grade] if grade else []

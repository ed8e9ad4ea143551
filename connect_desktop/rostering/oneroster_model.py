"""OneRoster entities (from CSV or REST) → the normalised snapshot, with reference checks.

Readers hand over already-parsed values, file by file, in dependency order: orgs,
academicSessions, courses, classes, roles, users, demographics, enrollments. Small sets
(orgs, sessions, courses, classes) stay in memory; users, roles, demographics and
enrollments are staged in the snapshot's SQLite file so that a million students cost
disk, not memory. Staged rows are buffered and written with executemany; duplicate
sourcedIds are found per batch through a primary key (`claim`), and duplicate
enrollments by reading the staged enrollments in key order (a merge, no lookups).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.snapshot import (
    BATCH,
    Mode,
    Snapshot,
    grade_key,
    normalise_grade,
    school_level,
)

STAFF_ROLES: dict[str, str] = {
    "teacher": "teacher",
    "aide": "staff",
    "proctor": "staff",
    "counselor": "staff",
    "administrator": "school_admin",
    "siteAdministrator": "school_admin",
    "principal": "school_admin",
    "districtAdministrator": "district_admin",
    "staff": "staff",  # Clever's staff role (OneRoster CSV files cannot say it: their roles are checked)
    "systemAdministrator": "district_admin",
}
"""OneRoster role -> Connect staff role (teacher, school_admin, staff, district_admin).

Only a `teacher` is a teacher in Connect: aides, proctors and counselors support classes
or students without being their teacher of record, so they are `staff` (Connect's office
and support staff), whatever enrollments they hold.
"""
CONTACT_ROLES = ("guardian", "parent", "relative")


@dataclass(slots=True)
class Where:
    """Where a value came from, for diagnostics (row is None for REST)."""

    file: str
    row: int | None = None


@dataclass(slots=True)
class _Org:
    name: str
    type: str
    grades: list[str] = field(default_factory=list)


class OneRosterAssembler:
    """Collects OneRoster entities and writes the Connect snapshot."""

    def __init__(self, snapshot: Snapshot, diags: Diagnostics, modes: dict[str, Mode] | None = None) -> None:
        self.snap = snapshot
        self.diags = diags
        self.modes: dict[str, Mode] = modes or {}
        self.orgs: dict[str, _Org] = {}
        self.sessions: set[str] = set()
        self.courses: dict[str, str] = {}
        self.classes: dict[str, str] = {}  # class -> school
        self.dropped: dict[str, set[str]] = {}  # bulk rows marked tobedeleted, per file
        self.rejected: dict[str, set[str]] = {}  # rows left out because of their own errors, per file
        self.loaded: set[str] = set()  # files that were actually read
        self.name: Callable[[str], str] = lambda stem: f"{stem}.csv"  # how messages name a file
        self._staged: dict[str, list[tuple[object, ...]]] = {sql: [] for sql in _STAGE.values()}
        snapshot.db.executescript(
            """
            CREATE TABLE s_ids(file TEXT, sid TEXT, row INT, PRIMARY KEY (file, sid)) WITHOUT ROWID;
            CREATE TABLE s_user(sid TEXT PRIMARY KEY, file TEXT, row INT, given TEXT, family TEXT, email TEXT,
                phone TEXT, ident TEXT, grade TEXT, orgs TEXT, role TEXT, primary_org TEXT) WITHOUT ROWID;
            CREATE TABLE s_role(user TEXT, role_type TEXT, role TEXT, org TEXT, row INT);
            CREATE TABLE s_demo(sid TEXT PRIMARY KEY, birth TEXT) WITHOUT ROWID;
            CREATE TABLE s_agent(a TEXT, b TEXT, file TEXT, row INT);
            CREATE TABLE s_enr(klass TEXT, user TEXT, row INT, role TEXT, file TEXT,
                PRIMARY KEY (klass, user, row)) WITHOUT ROWID;
            CREATE TABLE s_kind(sid TEXT PRIMARY KEY, kinds TEXT, rel TEXT) WITHOUT ROWID;
            """
        )
        snapshot.begin()

    # -- helpers -------------------------------------------------------------------
    def _stage(self, table: str, values: tuple[object, ...]) -> None:
        pending = self._staged[_STAGE[table]]
        pending.append(values)
        if len(pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every buffered staging row."""
        for sql, pending in self._staged.items():
            if pending:
                self.snap.db.executemany(sql, pending)
                pending.clear()
        self.snap.flush()

    def claim(self, file: str, label: str, items: Sequence[tuple[str, int]]) -> list[bool]:
        """Record one batch of (sourcedId, row) of `file`; False for ids seen before (reported).

        One executemany into a primary key; only a batch that hit a duplicate is looked at again.
        """
        db = self.snap.db
        cur = db.executemany("INSERT OR IGNORE INTO s_ids VALUES (?,?,?)", ((file, s, r) for s, r in items))
        if cur.rowcount == len(items):
            return [True] * len(items)
        first = dict(
            db.execute(
                "SELECT sid, row FROM s_ids WHERE file=? AND sid IN (SELECT value FROM json_each(?))",
                (file, json.dumps([s for s, _ in items])),
            )
        )
        fresh: list[bool] = []
        for sid, row in items:
            fresh.append(first[sid] == row)
            if not fresh[-1]:
                self.diags.error(
                    "duplicate_id",
                    f"The sourcedId '{sid}' already appears in row {first[sid]}.",
                    "Each sourcedId must be unique within its file; remove or renumber the copy.",
                    file=label,
                    row=row,
                    column="sourcedId",
                )
        return fresh

    def _delta(self, file: str) -> bool:
        return self.modes.get(file) == "delta"

    def _missing(self, at: Where, column: str, target_file: str, sid: str) -> bool:
        """Report an unresolved reference unless the target may exist elsewhere. True if reported."""
        if self._delta(target_file) or target_file not in self.loaded:
            return False
        if sid in self.rejected.get(target_file, ()):
            self.diags.warning(
                "reference_to_rejected",
                f"'{sid}' was left out of {self.name(target_file)} because of "
                "an error reported there; this row was skipped too.",
                f"Fix the error in {self.name(target_file)}.",
                file=at.file,
                row=at.row,
                column=column,
            )
        elif sid in self.dropped.get(target_file, ()):
            self.diags.warning(
                "reference_to_deleted",
                f"'{sid}' is marked tobedeleted in {self.name(target_file)}; this row was skipped.",
                f"Remove this row or keep '{sid}' active.",
                file=at.file,
                row=at.row,
                column=column,
            )
        else:
            self.diags.error(
                "broken_reference",
                f"'{sid}' is not in {self.name(target_file)}.",
                f"Add '{sid}' to {self.name(target_file)} or correct this reference.",
                file=at.file,
                row=at.row,
                column=column,
            )
        return True

    def _school(self, at: Where, column: str, sid: str) -> bool:
        """Whether `sid` is an org of type school (reporting it when it is not)."""
        org = self.orgs.get(sid)
        if org is None:
            self._missing(at, column, "orgs", sid)
            return "orgs" not in self.loaded or self._delta("orgs")
        if org.type != "school":
            self.diags.error(
                "not_a_school",
                f"'{sid}' ({org.name}) is an org of type '{org.type}', not a school.",
                f"Point this at a school, or set the type of '{sid}' to 'school' in {self.name('orgs')}.",
                file=at.file,
                row=at.row,
                column=column,
            )
            return False
        return True

    def first_orgs(self, sids: Sequence[str]) -> dict[str, str]:
        """The first org of each of these staged users (for sources whose contacts name no school)."""
        self.flush()
        rows = self.snap.db.execute(
            "SELECT sid, orgs FROM s_user WHERE sid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(sids)),),
        )
        return {sid: orgs.split(",")[0] for sid, orgs in rows if orgs}

    def drop(self, file: str, sid: str) -> None:
        self.dropped.setdefault(file, set()).add(sid)

    def reject(self, file: str, sid: str) -> None:
        if sid:
            self.rejected.setdefault(file, set()).add(sid)

    # -- entities ------------------------------------------------------------------
    def org(self, at: Where, sid: str, name: str, type_: str) -> None:
        self.orgs[sid] = _Org(name, type_)

    def session(self, at: Where, sid: str, title: str, start: str, end: str, school_year: str) -> None:
        self.sessions.add(sid)
        year = int(school_year) if school_year.isdigit() else int(end[:4])
        self.snap.add("term", sid, (title, year, start, end, None))

    def course(self, at: Where, sid: str, code: str) -> None:
        self.courses[sid] = code

    def klass(
        self,
        at: Where,
        sid: str,
        title: str,
        grades: Sequence[str],
        course: str,
        class_code: str,
        school: str,
        terms: Sequence[str],
    ) -> None:
        if course and course not in self.courses:
            self._missing(at, "courseSourcedId", "courses", course)
        missing_term = [t for t in terms if t not in self.sessions]
        for term in missing_term:
            if self._missing(at, "termSourcedIds", "academicSessions", term):
                self.reject("classes", sid)
                return
        if not self._school(at, "schoolSourcedId", school):
            self.reject("classes", sid)
            return
        norm = sorted({g for g in (normalise_grade(x) for x in grades) if g}, key=grade_key)
        if school in self.orgs:
            self.orgs[school].grades.extend(norm[:1] + norm[-1:])
        code = self.courses.get(course) or class_code or None
        self.classes[sid] = school
        self.snap.add(
            "classroom", sid, (school, terms[0] if terms else None, title, code, norm[0] if norm else None)
        )

    def role(self, at: Where, user: str, role_type: str, role: str, org: str) -> None:
        if org and org not in self.orgs:
            self._missing(at, "orgSourcedId", "orgs", org)
        self._stage("s_role", (user, role_type, role, org, at.row))

    def user(
        self,
        at: Where,
        sid: str,
        *,
        given: str,
        family: str,
        email: str,
        phone: str,
        identifier: str,
        grades: Sequence[str],
        orgs: Sequence[str],
        role: str | None,
        primary_org: str,
        agents: Sequence[str],
    ) -> None:
        """Stage a user (the first row of a sourcedId wins; `claim` reports the others)."""
        for org in (*orgs, *([primary_org] if primary_org else [])):
            if org not in self.orgs:
                self._missing(at, "orgSourcedIds" if org in orgs else "primaryOrgSourcedId", "orgs", org)
        grade = next((g for g in (normalise_grade(x) for x in grades) if g), None)
        self._stage(
            "s_user",
            (
                sid,
                at.file,
                at.row,
                given,
                family,
                email or None,
                phone or None,
                identifier or None,
                grade,
                ",".join(orgs),
                role,
                primary_org or None,
            ),
        )
        for agent in agents:
            self._stage("s_agent", (sid, agent, at.file, at.row))

    def demographic(self, at: Where, sid: str, birth: str) -> None:
        if birth:
            self._stage("s_demo", (sid, birth))

    def enrollment(self, at: Where, sid: str, klass: str, school: str, user: str, role: str) -> None:
        if role not in ("student", "teacher"):
            return  # administrators and proctors have no Connect enrollment
        if klass not in self.classes and self._missing(at, "classSourcedId", "classes", klass):
            return
        if not self._school(at, "schoolSourcedId", school):
            return
        if klass in self.classes and self.classes[klass] != school:
            self.diags.warning(
                "school_mismatch",
                f"The class '{klass}' belongs to '{self.classes[klass]}', "
                f"but this enrollment says '{school}'.",
                "The class's school was used.",
                file=at.file,
                row=at.row,
                column="schoolSourcedId",
            )
        self._stage("s_enr", (klass, user, at.row, role, at.file))

    # -- finishing -----------------------------------------------------------------
    def finish(self) -> None:
        self.flush()
        db = self.snap.db
        db.execute("CREATE INDEX s_role_user ON s_role(user)")
        self._check_primary_roles()
        self._emit_users()
        self._emit_links()
        self._emit_enrollments()
        for sid, org in self.orgs.items():
            if org.type == "school":
                grades = sorted(set(org.grades), key=grade_key)
                low, high = (grades[0], grades[-1]) if grades else (None, None)
                self.snap.add("school", sid, (org.name, school_level(org.name, low, high), low, high))
        self.snap.flush()

    def _check_primary_roles(self) -> None:
        if "roles" not in self.loaded:
            return
        for user, org, rows in self.snap.db.execute(
            "SELECT user, org, group_concat(row) FROM s_role WHERE role_type='primary' "
            "GROUP BY user, org HAVING count(*) > 1"
        ):
            self.diags.error(
                "two_primary_roles",
                f"User '{user}' has more than one primary role at '{org}' (rows {rows}).",
                "Keep one role as 'primary' and make the others 'secondary'.",
                file=self.name("roles"),
                row=int(str(rows).split(",")[-1]),
                column="roleType",
            )

    def _user_rows(self) -> Iterator[tuple]:  # type: ignore[type-arg]
        yield from self.snap.db.execute(
            """SELECT u.sid, u.file, u.row, u.given, u.family, u.email, u.phone, u.ident, u.grade, u.orgs,
                      u.role, u.primary_org, d.birth,
                      (SELECT group_concat(r.role_type || ' ' || r.role || ' ' || r.org, '|')
                         FROM s_role r WHERE r.user = u.sid)
               FROM s_user u LEFT JOIN s_demo d ON d.sid = u.sid ORDER BY u.sid"""
        )

    def _emit_users(self) -> None:
        kinds_rows: list[tuple[str, str, str | None]] = []
        for (
            sid,
            file,
            row,
            given,
            family,
            email,
            phone,
            ident,
            grade,
            orgs,
            role,
            primary_org,
            birth,
            roles,
        ) in self._user_rows():
            # (role type, role, org) in priority order: primary roles first
            held: list[tuple[str, str, str]] = []
            if role:
                held = [("primary", role, org) for org in (orgs.split(",") if orgs else [""])]
            elif roles:
                held = sorted(
                    (tuple(r.split(" ", 2)) for r in roles.split("|")),  # type: ignore[misc]
                    key=lambda r: r[0] != "primary",
                )
            elif "roles" in self.loaded:
                if not self._delta("roles"):
                    self.diags.warning(
                        "no_role",
                        f"User '{sid}' has no row in {self.name('roles')}; it was skipped.",
                        f"Give every user a primary role in {self.name('roles')}.",
                        file=file,
                        row=row,
                    )
                continue
            if "roles" in self.loaded and role is None and not any(r[0] == "primary" for r in held):
                self.diags.warning(
                    "no_primary_role",
                    f"User '{sid}' has no primary role.",
                    f"Mark one of the user's roles as 'primary' in {self.name('roles')}.",
                    file=file,
                    row=row,
                )
            orgs_in_order = [r[2] for r in held]
            if primary_org:
                orgs_in_order.insert(0, primary_org)
            school = next(
                (o for o in orgs_in_order if o in self.orgs and self.orgs[o].type == "school"), None
            )
            names = {r[1] for r in held}
            kinds: list[str] = []
            if "student" in names:
                kinds.append("student")
                number = ident
                if not number:
                    self.diags.warning(
                        "no_identifier",
                        f"Student '{sid}' has no identifier (student number); the sourcedId is used instead.",
                        "Fill in the identifier column.",
                        file=file,
                        row=row,
                        column="identifier",
                    )
                    number = sid
                if school is None:
                    self.diags.error(
                        "student_without_school",
                        f"Student '{sid}' belongs to no org of type school; the student was skipped.",
                        "Link the student to a school (orgSourcedIds, or a role at a school).",
                        file=file,
                        row=row,
                        column="orgSourcedIds" if role else None,
                    )
                else:
                    self.snap.add("student", sid, (school, number, given, family, birth, grade))
                    if grade:
                        self.orgs[school].grades.append(grade)
            staff_role = next((STAFF_ROLES[r[1]] for r in held if r[1] in STAFF_ROLES), None)
            if staff_role:
                kinds.append("staff")
                self.snap.add(
                    "staff",
                    sid,
                    (given, family, email, staff_role, None if staff_role == "district_admin" else school),
                )
            rel = next((r[1] for r in held if r[1] in CONTACT_ROLES), None)
            if rel:
                kinds.append("contact")
                self.snap.add("contact", sid, (given, family, email, phone, school))
            kinds_rows.append((sid, ",".join(kinds), rel))
            if len(kinds_rows) >= 10_000:
                self.snap.db.executemany("INSERT OR REPLACE INTO s_kind VALUES (?,?,?)", kinds_rows)
                kinds_rows.clear()
        self.snap.db.executemany("INSERT OR REPLACE INTO s_kind VALUES (?,?,?)", kinds_rows)

    def _emit_links(self) -> None:
        rows = self.snap.db.cursor().execute(
            """SELECT l.a, l.b, l.file, l.row, ka.kinds, ka.rel, kb.kinds, kb.rel,
                      (SELECT 1 FROM s_user u WHERE u.sid = l.b)
               FROM s_agent l LEFT JOIN s_kind ka ON ka.sid = l.a LEFT JOIN s_kind kb ON kb.sid = l.b"""
        )
        for a, b, file, row, kinds_a, rel_a, kinds_b, rel_b, exists in rows:
            if not exists:
                self._missing(Where(file, row), "agentSourcedIds", "users", b)
                continue
            roles_a, roles_b = (kinds_a or "").split(","), (kinds_b or "").split(",")
            if "student" in roles_a and "contact" in roles_b:
                self.snap.add("student_contact", f"{a}:{b}", (a, b, rel_b))
            elif "contact" in roles_a and "student" in roles_b:
                self.snap.add("student_contact", f"{b}:{a}", (b, a, rel_a))

    def _emit_enrollments(self) -> None:
        cur = self.snap.db.cursor()
        rows = cur.execute(
            """SELECT e.klass, e.user, e.role, e.file, e.row, k.kinds,
                      (SELECT 1 FROM s_user u WHERE u.sid = e.user)
               FROM s_enr e LEFT JOIN s_kind k ON k.sid = e.user ORDER BY e.klass, e.user, e.row"""
        )
        last: tuple[str, str] | None = None  # the last enrollment added: duplicates follow it
        for klass, user, role, file, row, kinds, exists in rows:
            at = Where(file, row)
            if not exists:
                self._missing(at, "userSourcedId", "users", user)
                continue
            if klass not in self.classes:
                continue  # the class is only in Connect (delta)
            needed = "student" if role == "student" else "staff"
            if kinds is not None and needed not in kinds.split(","):
                self.diags.error(
                    "role_mismatch",
                    f"'{user}' is enrolled as a {role}, but is not a {needed} "
                    f"({kinds or 'no usable role'}); the enrollment was skipped.",
                    "Correct the role, or the user's role in users/roles.",
                    file=file,
                    row=row,
                    column="role",
                )
                continue
            if last != (klass, user):
                last = (klass, user)
                self.snap.add("enrollment", f"{klass}:{user}", (klass, user, role))
            else:
                self.diags.warning(
                    "duplicate_enrollment",
                    f"'{user}' is enrolled in '{klass}' more than once.",
                    "Keep one enrollment row per class and user.",
                    file=file,
                    row=row,
                )


_STAGE: dict[str, str] = {
    "s_user": "INSERT OR IGNORE INTO s_user VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "s_role": "INSERT INTO s_role VALUES (?,?,?,?,?)",
    "s_demo": "INSERT OR IGNORE INTO s_demo VALUES (?,?)",
    "s_agent": "INSERT INTO s_agent VALUES (?,?,?,?)",
    "s_enr": "INSERT OR IGNORE INTO s_enr VALUES (?,?,?,?,?)",
}
"""Staging table -> its insert (the first row of a key wins)."""

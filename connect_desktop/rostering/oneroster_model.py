"""OneRoster entities (from CSV or REST) → the normalised snapshot, with reference checks.

Readers hand over already-parsed values, file by file, in dependency order: orgs,
academicSessions, courses, classes, roles, users, demographics, enrollments. Small sets
(orgs, sessions, courses, classes) stay in memory; users, roles, demographics and
enrollments are staged in the snapshot's SQLite file so that a million students cost
disk, not memory. Staged rows are buffered and written with executemany; duplicate
sourcedIds are found per batch through a primary key (`claim`), and duplicate
enrollments by reading the staged enrollments in key order (a merge, no lookups).

Every reference of the OneRoster model is checked against the files that were read.
References back into the same file (parents) or forward into a later one (roles and
enrollments to users, demographics to users) are checked once that file is complete.
A row with errors of its own (`Where.valid` False) still has its references checked, but
is not kept; references to it are then not reported again. The rule for severities: an
error (the whole package is refused) when a record Connect keeps would be lost, wrong or
point at the wrong record; a warning only when the row can be ignored without that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    valid: bool = True  # False: the row has errors of its own; its references are checked, it is not kept


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
        self.loaded: set[str] = set()  # files that were read (at least their sourcedIds)
        self._parents: list[tuple[str, Where, str]] = []  # (file, row, parentSourcedId): checked at its end
        self._orgs_left_out: set[str] = set()  # orgs with errors or tobedeleted (reported where used)
        self.name: Callable[[str], str] = lambda stem: f"{stem}.csv"  # how messages name a file
        self._staged: dict[str, list[tuple[object, ...]]] = {sql: [] for sql in _STAGE.values()}
        snapshot.db.executescript(
            """
            CREATE TABLE s_ids(file TEXT, sid TEXT, row INT, PRIMARY KEY (file, sid)) WITHOUT ROWID;
            CREATE TABLE s_user(sid TEXT PRIMARY KEY, file TEXT, row INT, given TEXT, family TEXT, email TEXT,
                phone TEXT, ident TEXT, grade TEXT, orgs TEXT, role TEXT, primary_org TEXT) WITHOUT ROWID;
            CREATE TABLE s_role(user TEXT, role_type TEXT, role TEXT, org TEXT, row INT, file TEXT, ok INT);
            CREATE TABLE s_demo(sid TEXT PRIMARY KEY, birth TEXT, file TEXT, row INT) WITHOUT ROWID;
            CREATE TABLE s_agent(a TEXT, b TEXT, file TEXT, row INT);
            CREATE TABLE s_enr(klass TEXT, user TEXT, row INT, role TEXT, file TEXT, ok INT,
                PRIMARY KEY (klass, user, row)) WITHOUT ROWID;
            -- rows left out: 'rejected' (errors of their own) or 'deleted' (tobedeleted in a bulk file)
            CREATE TABLE s_bad(file TEXT, sid TEXT, why TEXT, PRIMARY KEY (file, sid)) WITHOUT ROWID;
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
                    group="{count} rows repeat the sourcedId of an earlier row",
                )
        return fresh

    def _delta(self, file: str) -> bool:
        return self.modes.get(file) == "delta"

    def _missing(self, at: Where, column: str, target_file: str, sid: str, ignored: str = "") -> bool:
        """Whether the reference `sid` into `target_file` is unresolved (reported unless said otherwise).

        False, silently, when the target may exist elsewhere (a delta file, a file not read).
        True, silently, when the target row was left out for errors of its own: those are
        reported there. A target marked tobedeleted in a bulk file is a warning when
        `ignored` names what goes with it (a link Connect keeps nothing of without its
        target), else an error: the record pointing at it would lose it.
        """
        if self._delta(target_file) or target_file not in self.loaded:
            return False
        target = self.name(target_file)
        why = self._left_out(target_file, sid)
        if why == "rejected":
            return True
        if why == "deleted" and ignored:
            self.diags.warning(
                "reference_to_deleted",
                f"'{sid}' is marked tobedeleted in {target}; {ignored} was ignored.",
                f"Remove this row, or keep '{sid}' active.",
                file=at.file,
                row=at.row,
                column=column,
                group=f"{{count}} rows point at records marked tobedeleted in {target}; they were ignored",
            )
        elif why == "deleted":
            self.diags.error(
                "reference_to_deleted",
                f"'{sid}' is marked tobedeleted in {target}, but this active row still points at it.",
                f"Keep '{sid}' active, or correct this reference.",
                file=at.file,
                row=at.row,
                column=column,
                group=f"{{count}} active rows point at records marked tobedeleted in {target}",
            )
        else:
            self.diags.error(
                "broken_reference",
                f"'{sid}' is not in {target}.",
                f"Add '{sid}' to {target} or correct this reference.",
                file=at.file,
                row=at.row,
                column=column,
                group=f"{{count}} rows point at sourcedIds that are not in {target}",
            )
        return True

    def _left_out(self, file: str, sid: str) -> str | None:
        pending = self._staged[_STAGE["s_bad"]]
        if pending:
            self.snap.db.executemany(_STAGE["s_bad"], pending)
            pending.clear()
        found = self.snap.db.execute("SELECT why FROM s_bad WHERE file=? AND sid=?", (file, sid)).fetchone()
        return str(found[0]) if found else None

    def _school(self, at: Where, column: str, sid: str) -> bool:
        """Whether `sid` may be an org of type school (reporting it when it is not)."""
        org = self.orgs.get(sid)
        if org is None:
            return not self._missing(at, column, "orgs", sid)
        if org.type != "school":
            self.diags.error(
                "not_a_school",
                f"'{sid}' ({org.name}) is an org of type '{org.type}', not a school.",
                f"Point this at a school, or set the type of '{sid}' to 'school' in {self.name('orgs')}.",
                file=at.file,
                row=at.row,
                column=column,
                group="{count} rows point at an org that is not a school",
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
        """A row marked tobedeleted in a bulk file: left out."""
        if sid:
            self._stage("s_bad", (file, sid, "deleted"))
            if file == "orgs":
                self._orgs_left_out.add(sid)

    def reject(self, file: str, sid: str) -> None:
        """A row left out for errors of its own (reported): references to it are not reported again."""
        if sid:
            self._stage("s_bad", (file, sid, "rejected"))
            if file == "orgs":
                self._orgs_left_out.add(sid)

    def file_done(self, file: str) -> None:
        """Check the references of `file` into itself (parents), now that all its rows are known."""
        known: dict[str, _Org] | set[str] = self.orgs if file == "orgs" else self.sessions
        for at, parent in [(at, p) for f, at, p in self._parents if f == file]:
            if parent not in known:
                self._missing(at, "parentSourcedId", file, parent, "the link to it")
        self._parents = [p for p in self._parents if p[0] != file]

    # -- entities ------------------------------------------------------------------
    def org(self, at: Where, sid: str, name: str, type_: str, *, parent: str = "") -> None:
        if parent:
            self._parents.append(("orgs", at, parent))
        if at.valid:
            self.orgs[sid] = _Org(name, type_)
        else:
            self.reject("orgs", sid)

    def session(
        self, at: Where, sid: str, title: str, start: str, end: str, school_year: str, *, parent: str = ""
    ) -> None:
        if parent:
            self._parents.append(("academicSessions", at, parent))
        if not at.valid:
            self.reject("academicSessions", sid)
            return
        self.sessions.add(sid)
        year = int(school_year) if school_year.isdigit() else int(end[:4])
        self.snap.add("term", sid, (title, year, start, end, None))

    def course(self, at: Where, sid: str, code: str, *, school_year: str = "", org: str = "") -> None:
        # Connect keeps only the course code: a link to a deleted year or org can be ignored
        if school_year and school_year not in self.sessions:
            self._missing(at, "schoolYearSourcedId", "academicSessions", school_year, "the link to it")
        if org and org not in self.orgs:
            self._missing(at, "orgSourcedId", "orgs", org, "the link to it")
        if at.valid:
            self.courses[sid] = code
        else:
            self.reject("courses", sid)

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
        unresolved = bool(course) and course not in self.courses
        unresolved = unresolved and self._missing(at, "courseSourcedId", "courses", course)
        for term in terms:
            if term not in self.sessions:
                unresolved = self._missing(at, "termSourcedIds", "academicSessions", term) or unresolved
        if not self._school(at, "schoolSourcedId", school) or unresolved or not at.valid:
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
        """Stage a role; its user is checked once every user is known (roles come first)."""
        if org and org not in self.orgs:
            self._missing(at, "orgSourcedId", "orgs", org)
        self._stage("s_role", (user, role_type, role, org, at.row, at.file, int(at.valid)))

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
        for org in orgs:
            if org not in self.orgs:
                self._missing(at, "orgSourcedIds", "orgs", org)
        if primary_org and primary_org not in self.orgs:
            self._missing(at, "primaryOrgSourcedId", "orgs", primary_org)
        for agent in agents:
            self._stage("s_agent", (sid, agent, at.file, at.row))
        if not at.valid:
            self.reject("users", sid)
            return
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

    def demographic(self, at: Where, sid: str, birth: str) -> None:
        """Stage a user's demographics; the user is checked once every user is known."""
        self._stage("s_demo", (sid, (birth or None) if at.valid else None, at.file, at.row))

    def enrollment(self, at: Where, sid: str, klass: str, school: str, user: str, role: str) -> None:
        """Stage an enrollment; its user is checked once every user is known.

        Every role is checked; only students' and teachers' enrollments are kept (Connect
        has no enrollment for administrators and proctors).
        """
        unresolved = klass not in self.classes and self._missing(
            at, "classSourcedId", "classes", klass, "the enrollment"
        )
        school_ok = self._school(at, "schoolSourcedId", school)
        if school_ok and klass in self.classes and self.classes[klass] != school:
            self.diags.warning(
                "school_mismatch",
                f"The class '{klass}' belongs to '{self.classes[klass]}', "
                f"but this enrollment says '{school}'; the class's school was used.",
                "Correct schoolSourcedId to the class's school.",
                file=at.file,
                row=at.row,
                column="schoolSourcedId",
                group="{count} enrollments name another school than their class; the class's school was used",
            )
        keep = at.valid and school_ok and not unresolved
        self._stage("s_enr", (klass, user, at.row, role, at.file, int(keep)))

    # -- finishing -----------------------------------------------------------------
    def finish(self) -> None:
        for file in ("orgs", "academicSessions"):
            self.file_done(file)
        self.flush()
        db = self.snap.db
        db.execute("CREATE INDEX s_role_user ON s_role(user)")
        self._check_users_of("s_role", "userSourcedId", "roles")
        self._check_primary_roles()
        self._emit_users()
        self._check_users_of("s_demo", "sourcedId", "demographics")
        self._emit_links()
        self._emit_enrollments()
        for sid, org in self.orgs.items():
            if org.type == "school":
                grades = sorted(set(org.grades), key=grade_key)
                low, high = (grades[0], grades[-1]) if grades else (None, None)
                self.snap.add("school", sid, (org.name, school_level(org.name, low, high), low, high))
        self.snap.flush()

    def _check_users_of(self, table: str, column: str, file: str) -> None:
        """Report the rows of a staged table whose user is not a (kept) user.

        A warning: such a row only describes its user (a role, demographics), so without
        the user Connect has nothing to keep from it.
        """
        if "users" not in self.loaded or self._delta("users"):
            return
        key = "user" if table == "s_role" else "sid"
        users, what = self.name("users"), self.name(file)
        for user, at_file, row in self.snap.db.cursor().execute(
            f"SELECT t.{key}, t.file, t.row FROM {table} t "  # table names, not values
            f"WHERE NOT EXISTS (SELECT 1 FROM s_user u WHERE u.sid = t.{key}) ORDER BY t.file, t.row"
        ):
            at = Where(at_file, row)
            if self._left_out("users", user) is not None:
                self._missing(at, column, "users", user, "this row")
                continue
            self.diags.warning(
                "unknown_user",
                f"'{user}' is not in {users}; this row was ignored.",
                f"Add '{user}' to {users}, or remove this row.",
                file=at_file,
                row=row,
                column=column,
                group=f"{{count}} rows of {what} are for users that are not in {users}; they were ignored",
            )

    def _check_primary_roles(self) -> None:
        if "roles" not in self.loaded:
            return
        for user, org, rows in self.snap.db.execute(
            "SELECT user, org, group_concat(row, ', ') FROM s_role WHERE role_type='primary' AND ok "
            "GROUP BY user, org HAVING count(*) > 1"
        ):
            self.diags.error(
                "two_primary_roles",
                f"User '{user}' has more than one primary role at '{org}' (rows {rows}).",
                "Keep one role as 'primary' and make the others 'secondary'.",
                file=self.name("roles"),
                row=int(str(rows).split(", ")[-1]),
                column="roleType",
                group="{count} users have more than one primary role at the same org",
            )

    def _user_rows(self) -> Iterator[tuple[Any, ...]]:
        # a role row with errors of its own shows as '!': the user's roles are then unknown
        yield from self.snap.db.execute(
            """SELECT u.sid, u.file, u.row, u.given, u.family, u.email, u.phone, u.ident, u.grade, u.orgs,
                      u.role, u.primary_org, d.birth,
                      (SELECT group_concat(CASE WHEN r.ok THEN r.role_type || ' ' || r.role || ' ' || r.org
                                           ELSE '!' END, '|')
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
                parts = roles.split("|")
                if "!" in parts:
                    continue  # a role of this user has errors, reported in the roles file
                held = sorted(
                    (tuple(r.split(" ", 2)) for r in parts),
                    key=lambda r: r[0] != "primary",
                )
            elif "roles" in self.loaded:
                if not self._delta("roles"):
                    self.diags.error(
                        "no_role",
                        f"User '{sid}' has no row in {self.name('roles')}, so Connect cannot tell "
                        "whether it is a student, a staff member or a contact.",
                        f"Give every user a primary role in {self.name('roles')}.",
                        file=file,
                        row=row,
                        group=f"{{count}} users have no row in {self.name('roles')}",
                    )
                continue
            if "roles" in self.loaded and role is None and not any(r[0] == "primary" for r in held):
                self.diags.warning(
                    "no_primary_role",
                    f"User '{sid}' has no primary role; its secondary roles were used.",
                    f"Mark one of the user's roles as 'primary' in {self.name('roles')}.",
                    file=file,
                    row=row,
                    group="{count} users have no primary role; their secondary roles were used",
                )
            orgs_in_order = [r[2] for r in held]
            if primary_org:
                orgs_in_order.insert(0, primary_org)
            school = next(
                (o for o in orgs_in_order if o in self.orgs and self.orgs[o].type == "school"), None
            )
            if school is None and self._orgs_left_out.intersection(orgs_in_order):
                continue  # its school was left out, as reported where the user points at it
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
                        group="{count} students have no identifier (student number); "
                        "their sourcedIds are used instead",
                    )
                    number = sid
                if school is None:
                    self.diags.error(
                        "student_without_school",
                        f"Student '{sid}' belongs to no org of type school, "
                        "so Connect cannot place the student in a school.",
                        "Link the student to a school (orgSourcedIds, or a role at a school).",
                        file=file,
                        row=row,
                        column="orgSourcedIds" if role else None,
                        group="{count} students belong to no org of type school",
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
                self._missing(Where(file, row), "agentSourcedIds", "users", b, "the link to it")
                continue
            roles_a, roles_b = (kinds_a or "").split(","), (kinds_b or "").split(",")
            if "student" in roles_a and "contact" in roles_b:
                self.snap.add("student_contact", f"{a}:{b}", (a, b, rel_b))
            elif "contact" in roles_a and "student" in roles_b:
                self.snap.add("student_contact", f"{b}:{a}", (b, a, rel_a))

    def _emit_enrollments(self) -> None:
        cur = self.snap.db.cursor()
        rows = cur.execute(
            """SELECT e.klass, e.user, e.role, e.file, e.row, e.ok, k.kinds,
                      (SELECT 1 FROM s_user u WHERE u.sid = e.user)
               FROM s_enr e LEFT JOIN s_kind k ON k.sid = e.user ORDER BY e.klass, e.user, e.row"""
        )
        last: tuple[str, str, str, int] | None = None  # the last enrollment added: duplicates follow it
        users = self.name("roles") if "roles" in self.loaded else self.name("users")
        for klass, user, role, file, row, ok, kinds, exists in rows:
            at = Where(file, row)
            if not exists:
                self._missing(at, "userSourcedId", "users", user, "the enrollment")
                continue
            if role not in ("student", "teacher"):
                continue  # Connect has no enrollment for administrators and proctors
            needed = "student" if role == "student" else "staff"
            if kinds is not None and needed not in kinds.split(","):
                self.diags.error(
                    "role_mismatch",
                    f"'{user}' is enrolled as a {role}, but {_kinds_text(kinds)} in {users}.",
                    f"Correct the role of this enrollment, or the user's role in {users}.",
                    file=file,
                    row=row,
                    column="role",
                    group=f"{{count}} enrollments point at {_kinds_text(kinds, bare=True)} as their {role}",
                )
                continue
            if not ok or klass not in self.classes:
                continue  # its other errors are reported, or the class is only in Connect (delta)
            if last is None or last[:2] != (klass, user):
                last = (klass, user, role, row)
                self.snap.add("enrollment", f"{klass}:{user}", (klass, user, role))
            elif last[2] == role:
                self.diags.warning(
                    "duplicate_enrollment",
                    f"'{user}' is enrolled in '{klass}' more than once (first in row {last[3]}); "
                    "the repeat was ignored.",
                    "Keep one enrollment row per class and user.",
                    file=file,
                    row=row,
                    group="{count} enrollments repeat an earlier one; the repeats were ignored",
                )
            else:
                self.diags.error(
                    "conflicting_enrollment",
                    f"'{user}' is enrolled in '{klass}' as a {last[2]} in row {last[3]} "
                    f"and as a {role} here.",
                    "Keep the one enrollment with the right role.",
                    file=file,
                    row=row,
                    column="role",
                    group="{count} enrollments give a user another role in a class than an earlier row",
                )


def _kinds_text(kinds: str, *, bare: bool = False) -> str:
    """What a user is in Connect: 'is a student', 'has no role Connect uses' (bare: 'a student')."""
    nouns = {"student": "a student", "staff": "a staff member", "contact": "a contact"}
    parts = [nouns[k] for k in kinds.split(",") if k in nouns]
    if not parts:
        return "a user with no role Connect uses" if bare else "has no role Connect uses"
    return " and ".join(parts) if bare else "is " + " and ".join(parts)


_STAGE: dict[str, str] = {
    "s_user": "INSERT OR IGNORE INTO s_user VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "s_role": "INSERT INTO s_role VALUES (?,?,?,?,?,?,?)",
    "s_demo": "INSERT OR IGNORE INTO s_demo VALUES (?,?,?,?)",
    "s_agent": "INSERT INTO s_agent VALUES (?,?,?,?)",
    "s_enr": "INSERT OR IGNORE INTO s_enr VALUES (?,?,?,?,?,?)",
    "s_bad": "INSERT OR IGNORE INTO s_bad VALUES (?,?,?)",
}
"""Staging table -> its insert (the first row of a key wins)."""

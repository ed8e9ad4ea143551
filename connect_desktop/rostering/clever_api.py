"""The Clever API v3 → the snapshot, through the OneRoster assembler's mapping and checks.

source_id is Clever's own object `id`, not `sis_id`: every object has an id (contacts,
terms and many sections have no sis_id), ids are unique across Clever while a sis_id
is unique only within one district and one kind (a student and a teacher may share
one), ids survive a district renumbering its SIS, and every reference in the API
(section.students, term_id, student_relationships) is already an id, so no lookup
table of a million users is needed. The Clever CSV upload has only the district's own
ids; a district that switches between the two sources is re-keyed (see clever_csv).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connect_desktop.rostering.diagnostics import Diagnostics, Renamed
from connect_desktop.rostering.http import JsonHttp, Signer, same_origin, source_error
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.snapshot import TYPES, Snapshot

API_URL = "https://api.clever.com"
REJECTED = "Clever rejected the API token."
USER_ROLES = ("student", "teacher", "staff", "district_admin", "contact")
ROLE_AS = {
    "student": "student",
    "teacher": "teacher",
    "staff": "staff",
    "district_admin": "districtAdministrator",
}
"""Clever user role -> the OneRoster role the assembler maps (contacts: see `relationship`)."""
STEM_AS = {
    "districts": "orgs",
    "schools": "orgs",
    "terms": "academicSessions",
    "courses": "courses",
    "sections": "classes",
}
"""Clever listing -> the OneRoster file the assembler checks references against."""
COLUMNS = {
    "schoolSourcedId": "school",
    "termSourcedIds": "term_id",
    "courseSourcedId": "course",
    "classSourcedId": "id",
    "userSourcedId": "students/teachers",
    "orgSourcedIds": "school",
    "orgSourcedId": "school",
    "agentSourcedIds": "student_relationships",
}


@dataclass(frozen=True, slots=True)
class CleverSource:
    token: str
    url: str = API_URL
    page_size: int = 1000
    timeout: float = 30.0
    retries: int = 3


def relationship(value: object) -> str:
    """A Clever contact relationship as OneRoster's contact role: parent, guardian or relative."""
    text = str(value or "").lower()
    if text in ("parent", "mother", "father", "stepmother", "stepfather", "foster parent"):
        return "parent"
    return "guardian" if text == "guardian" else "relative"


def iso_date(value: object) -> str:
    """A Clever date as YYYY-MM-DD; '' when it is not a real date.

    Accepted: ISO (YYYY-MM-DD, or the date part of an ISO timestamp), M/D/YYYY and M/D/YY
    (a time after a space is ignored, as spreadsheets add one). A two-digit year follows
    the POSIX `%y` rule: 00-69 are 2000-2069 and 70-99 are 1970-1999. That is right for
    term dates, which fall near the present, and for students born from 1970 on; a birth
    date it would put in the future is for the caller to refuse.
    """
    text = str(value or "").strip()
    found = _ISO_DATE.match(text) or _US_DATE.fullmatch(text.split(" ", 1)[0])
    if found is None:
        return ""
    if found.re is _ISO_DATE:
        year, month, day = found.groups()
    else:
        month, day, year = found.groups()
        if len(year) == 2:
            year = f"{20 if int(year) < 70 else 19}{year}"
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\d-])", re.ASCII)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})", re.ASCII)


def read_clever_api(
    source: CleverSource, diags: Diagnostics, *, work_dir: str | Path | None = None
) -> Snapshot:
    """Read a district from the Clever API into a snapshot; raises SourceError when it cannot be read."""
    snap = Snapshot("clever-api", work_dir)
    try:
        with JsonHttp("Clever", rejected=REJECTED, timeout=source.timeout, retries=source.retries) as http:
            headers = {"Authorization": f"Bearer {source.token}", "Accept": "application/json"}
            reader = _Reader(source, http, lambda _url: headers, snap, Renamed(diags, COLUMNS))
            reader.read()
    except BaseException:
        snap.close()
        raise
    return snap.finish()


class _Reader:
    def __init__(
        self, source: CleverSource, http: JsonHttp, sign: Signer, snap: Snapshot, diags: Diagnostics
    ) -> None:
        self.source, self.http, self.sign, self.snap = source, http, sign, snap
        self.model = OneRosterAssembler(snap, diags, {})
        self.model.name = lambda stem: stem

    def pages(self, stem: str, params: Mapping[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of one listing's objects, following links rel=next (starting_after)."""
        url = f"{self.source.url.rstrip('/')}/v3.0/{stem}"
        query: Mapping[str, str | int] | None = {"limit": self.source.page_size, **(params or {})}
        seen: set[str] = set()
        while True:
            body, _ = self.http.get(url, self.sign, query)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise source_error(
                    "malformed_json",
                    f"Clever's answer for {stem} holds no data list.",
                    "Check the API address.",
                    file=stem,
                )
            yield [e["data"] for e in data if isinstance(e, dict) and isinstance(e.get("data"), dict)]
            links = body.get("links") or []
            nxt = next(
                (link.get("uri") for link in links if isinstance(link, dict) and link.get("rel") == "next"),
                None,
            )
            if not nxt or not data:
                return
            url, query = same_origin(url, str(nxt), seen), None

    def read(self) -> None:
        model = self.model
        counter = 0
        for stem in ("districts", "schools", "terms", "courses", "sections"):
            model.loaded.add(STEM_AS[stem])
            for page in self.pages(stem):
                items = [(o, counter + i) for i, o in enumerate(page) if isinstance(o.get("id"), str)]
                counter += len(page)
                fresh = model.claim(stem, stem, [(o["id"], row) for o, row in items])
                for (obj, row), new in zip(items, fresh, strict=True):
                    if new:
                        self._entity(stem, obj, Where(stem, row))
            counter = 0
        model.loaded.update({"classes", "users", "enrollments"})
        for role in USER_ROLES:
            for page in self.pages("users", {"role": role}):
                if role == "contact":
                    model.flush()  # the contacts' students must be readable
                    self._contacts(page, counter)
                else:
                    for i, obj in enumerate(page):
                        self._user(role, obj, Where("users", counter + i))
                counter += len(page)
        self.snap.present = set(TYPES)
        model.finish()

    def _entity(self, stem: str, obj: dict[str, Any], at: Where) -> None:
        model, sid = self.model, obj["id"]
        name = str(obj.get("name") or "")
        if stem in ("districts", "schools"):
            model.org(at, sid, name, "district" if stem == "districts" else "school")
        elif stem == "terms":
            start, end = iso_date(obj.get("start_date")), iso_date(obj.get("end_date"))
            if start and end:
                model.session(at, sid, name, start, end, "")
            else:
                column = "end_date" if start else "start_date"
                model.diags.error(
                    "bad_date",
                    f"The term '{name or sid}' has no valid {column}.",
                    "Fix the term in the SIS.",
                    file=stem,
                    row=at.row,
                    column=column,
                )
                model.reject("academicSessions", sid)
        elif stem == "courses":
            model.course(at, sid, str(obj.get("number") or ""))
        else:
            school = str(obj.get("school") or "")
            model.klass(
                at,
                sid,
                name,
                [str(obj["grade"])] if obj.get("grade") else [],
                str(obj.get("course") or ""),
                str(obj.get("section_number") or ""),
                school,
                [str(obj["term_id"])] if obj.get("term_id") else [],
            )
            teachers = [
                str(t) for t in obj.get("teachers") or ([obj["teacher"]] if obj.get("teacher") else [])
            ]
            for role, users in (
                ("teacher", teachers),
                ("student", [str(s) for s in obj.get("students") or []]),
            ):
                for user in dict.fromkeys(users):
                    model.enrollment(at, f"{sid}:{user}", sid, school, user, role)

    def _user(
        self,
        role: str,
        obj: dict[str, Any],
        at: Where,
        *,
        as_role: str = "",
        school: str = "",
        agents: list[str] | None = None,
    ) -> None:
        sid = obj.get("id")
        if not isinstance(sid, str):
            return
        detail = (obj.get("roles") or {}).get(role) or {}
        name = obj.get("name") or {}
        if role == "district_admin":
            orgs = [str(obj.get("district") or "")]
        elif role == "contact":
            orgs = [school] if school else []
        else:
            orgs = list(
                dict.fromkeys(str(s) for s in [detail.get("school"), *(detail.get("schools") or [])] if s)
            )
        self.model.role(at, sid, "primary", as_role or ROLE_AS[role], orgs[0] if orgs else "")
        ident = detail.get("student_number") or detail.get("teacher_number") or ""
        self.model.user(
            at,
            sid,
            given=str(name.get("first") or ""),
            family=str(name.get("last") or ""),
            email=str(obj.get("email") or ""),
            phone=str(detail.get("phone") or ""),
            identifier=str(ident),
            grades=[str(detail["grade"])] if detail.get("grade") else [],
            orgs=orgs if role == "student" else [],
            role=None,
            primary_org="",
            agents=agents or [],
        )
        if role == "student" and detail.get("dob"):
            self.model.demographic(at, sid, iso_date(detail.get("dob")))

    def _contacts(self, page: list[dict[str, Any]], counter: int) -> None:
        """Contacts take the school of their first student (Clever contacts have none of their own)."""
        links = {
            id(obj): [
                r
                for r in ((obj.get("roles") or {}).get("contact") or {}).get("student_relationships") or []
                if isinstance(r, dict)
            ]
            for obj in page
        }
        students = sorted({str(r.get("student")) for rels in links.values() for r in rels})
        school = self.model.first_orgs(students)
        for i, obj in enumerate(page):
            rels = links[id(obj)]
            agents = [str(r.get("student")) for r in rels]
            first = next((school[a] for a in agents if school.get(a)), "")
            as_role = relationship(rels[0].get("relationship") if rels else "")
            self._user(
                "contact", obj, Where("users", counter + i), as_role=as_role, school=first, agents=agents
            )

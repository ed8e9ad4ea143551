"""Test-only SIS providers on loopback: OneRoster 1.2 / 1.1 REST and the Clever API v3.

Each serves the district of `district.py` from a ThreadingHTTPServer on 127.0.0.1 (port 0)
in a thread, with small page caps so that readers must page. Use as context managers.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from oauthlib.oauth1.rfc5849 import signature, utils

from .district import CLASSES, COURSES, ENROLLMENTS, ORGS, SESSIONS, USERS

CLIENT_ID = "district-client"
CLIENT_SECRET = "s3cret-value"
TOKEN = "clever-district-token"
Json = dict[str, Any]


def _ref(sid: str, type_: str) -> Json:
    return {"href": f"/{type_}s/{sid}", "sourcedId": sid, "type": type_}


def oneroster_json(version: str = "1.2") -> dict[str, list[Json]]:
    """The district as OneRoster REST listings (endpoint -> objects)."""
    common = {"status": "active", "dateLastModified": "2025-06-01T00:00:00.000Z"}
    data: dict[str, list[Json]] = {
        "orgs": [
            {
                **common,
                "sourcedId": s,
                "name": n,
                "type": t,
                "identifier": s.upper(),
                "parent": _ref(p, "org") if p else None,
            }
            for s, n, t, p in ORGS
        ],
        "academicSessions": [
            {**common, "sourcedId": s, "title": ti, "type": ty, "startDate": b, "endDate": e, "schoolYear": y}
            for s, ti, ty, b, e, _p, y in SESSIONS
        ],
        "courses": [
            {**common, "sourcedId": s, "title": t, "courseCode": c, "grades": [g], "org": _ref(o, "org")}
            for s, t, c, g, o in COURSES
        ],
        "classes": [
            {
                **common,
                "sourcedId": s,
                "title": t,
                "grades": g.split(","),
                "course": _ref(c, "course"),
                "classCode": code,
                "classType": ty,
                "school": _ref(sch, "org"),
                "terms": [_ref(term, "academicSession")],
            }
            for s, t, g, c, code, ty, sch, term in CLASSES
        ],
        "enrollments": [
            {
                **common,
                "sourcedId": s,
                "class": _ref(c, "class"),
                "school": _ref(sch, "org"),
                "user": _ref(u, "user"),
                "role": r,
                "primary": False,
            }
            for s, c, sch, u, r in ENROLLMENTS
        ],
        "demographics": [{**common, "sourcedId": u[0], "birthDate": u[10]} for u in USERS if u[10]],
    }
    users = []
    for sid, role, org, given, family, email, phone, ident, grade, agents, _birth in USERS:
        user: Json = {
            **common,
            "sourcedId": sid,
            "enabledUser": True,
            "username": sid,
            "givenName": given,
            "familyName": family,
            "identifier": ident,
            "email": email,
            "phone": phone,
            "agents": [_ref(a, "user") for a in agents.split(",") if a],
            "grades": [grade] if grade else [],
        }
        if version == "1.1":
            user["role"] = {"districtAdministrator": "administrator"}.get(role, role)
            user["orgs"] = [_ref(org, "org")]
        else:
            user["roles"] = [{"roleType": "primary", "role": role, "org": _ref(org, "org")}]
            user["primaryOrg"] = _ref(org, "org")
        users.append(user)
    data["users"] = users
    return data


class Provider:
    """A loopback HTTP server in a thread; subclasses answer `handle(method, path, query, headers, body)`."""

    def __init__(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, headers, payload = provider.handle(
                    method, self.path, dict(self.headers.items()), body
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


def _page(items: list[Json], query: dict[str, list[str]], cap: int) -> tuple[list[Json], int]:
    limit = min(int(query.get("limit", ["100"])[0]), cap)
    offset = int(query.get("offset", ["0"])[0])
    return items[offset : offset + limit], offset + limit


class OneRosterProvider(Provider):
    """OneRoster REST: 1.2 with an OAuth 2 token endpoint, 1.1 with verified OAuth 1.0a signatures.

    Odd endpoints page with `Link: rel="next"`, even ones only with `X-Total-Count`.
    `edit` changes the served data (e.g. to break a reference).
    """

    def __init__(
        self, version: str = "1.2", cap: int = 3, edit: Callable[[dict[str, list[Json]]], None] | None = None
    ) -> None:
        super().__init__()
        self.version = version
        self.cap = cap
        self.data = oneroster_json(version)
        if edit:
            edit(self.data)
        self.base = "/ims/oneroster/rostering/v1p2" if version == "1.2" else "/ims/oneroster/v1p1"
        self.token = "or-token-1"
        self.failures = 0  # 5xx answers still to give (tests retries)
        self.garbage: str | None = None  # an endpoint answered with an HTML page instead of JSON

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(path)
        self.requests.append(f"{method} {split.path}")
        if method == "POST" and split.path == "/oauth/token" and self.version == "1.2":
            return self._token(headers, body)
        if method != "GET" or not split.path.startswith(self.base + "/"):
            return 404, {}, {"error": "not found"}
        if not self._authorised(path, headers):
            return 401, {}, {"error": "unauthorized"}
        if self.failures:
            self.failures -= 1
            return 503, {}, {"error": "busy"}
        stem = split.path[len(self.base) + 1 :]
        if stem not in self.data:
            return 404, {}, {"error": "not found"}
        if stem == self.garbage:
            return 200, {"Content-Type": "text/html"}, b"<html>Sign in</html>"
        query = parse_qs(split.query)
        items, after = _page(self.data[stem], query, self.cap)
        total = len(self.data[stem])
        out: dict[str, str] = {"X-Total-Count": str(total)}
        if list(self.data).index(stem) % 2 == 0 and after < total:
            out = {
                "Link": f'<{self.base}/{stem}?{urlencode({"limit": self.cap, "offset": after})}>; rel="next"'
            }
        return 200, out, {stem: items}

    def _token(self, headers: dict[str, str], body: str) -> tuple[int, dict[str, str], Any]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(body)
        if not hmac.compare_digest(headers.get("Authorization", ""), expected) or form.get("grant_type") != [
            "client_credentials"
        ]:
            return 401, {}, {"error": "invalid_client"}
        return 200, {}, {"access_token": self.token, "token_type": "bearer", "expires_in": 3600}

    def _authorised(self, path: str, headers: dict[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if self.version == "1.2":
            return hmac.compare_digest(auth, f"Bearer {self.token}")
        return verify_oauth1(self.url + path, auth, CLIENT_ID, CLIENT_SECRET)


def verify_oauth1(uri: str, authorization: str, client_id: str, secret: str) -> bool:
    """Recompute the HMAC-SHA256 signature of a GET as RFC 5849 defines it (OneRoster 1.1 and
    ClassLink accept HMAC-SHA256 only, so an HMAC-SHA1 signature is refused)."""
    if not authorization.startswith("OAuth "):
        return False
    oauth = dict(
        signature.collect_parameters(headers={"Authorization": authorization}, exclude_oauth_signature=False)
    )
    if oauth.get("oauth_consumer_key") != client_id or oauth.get("oauth_signature_method") != "HMAC-SHA256":
        return False
    params = signature.collect_parameters(
        uri_query=urlsplit(uri).query, headers={"Authorization": authorization}, exclude_oauth_signature=True
    )
    base = signature.signature_base_string(
        "GET", signature.base_string_uri(uri), signature.normalize_parameters(params)
    )
    key = f"{utils.escape(secret)}&".encode()
    expected = base64.b64encode(hmac.digest(key, base.encode(), "sha256")).decode()
    return hmac.compare_digest(expected, oauth.get("oauth_signature", ""))


def clever_json() -> dict[str, list[Json]]:
    """The district as Clever API v3 objects (ids chosen equal to the OneRoster sourcedIds)."""
    school_of = {s: p for s, _n, _t, p in ORGS}
    course_of = {s: (t, code) for s, t, code, _g, _o in COURSES}
    sections = []
    for sid, title, grades, course, _code, _type, school, term in CLASSES:
        members = [(u, r) for _e, c, _s, u, r in ENROLLMENTS if c == sid]
        teachers = [u for u, r in members if r == "teacher"]
        sections.append(
            {
                "id": sid,
                "name": title,
                "school": school,
                "term_id": term,
                "course": course,
                "grade": grades.split(",")[0],
                "teacher": teachers[0] if teachers else None,
                "teachers": teachers,
                "students": [u for u, r in members if r == "student"],
                "district": school_of[school],
            }
        )
    users: list[Json] = []
    relation = {"parent": "Parent", "guardian": "Guardian", "relative": "Aunt"}
    for sid, role, org, given, family, email, phone, ident, grade, agents, birth in USERS:
        name = {"first": given, "last": family}
        if role == "student":
            detail: Json = {
                "sis_id": sid,
                "student_number": ident,
                "school": org,
                "schools": [org],
                "grade": grade,
            }
            if birth:
                detail["dob"] = "{1}/{2}/{0}".format(*birth.split("-"))
            roles = {"student": detail}
        elif role == "teacher":
            roles = {"teacher": {"sis_id": sid, "teacher_number": ident, "school": org, "schools": [org]}}
        elif role == "districtAdministrator":
            roles = {"district_admin": {}}
        else:
            links = [
                {"student": a, "relationship": relation[role], "type": "Parent/Guardian"}
                for a in agents.split(",")
                if a
            ]
            roles = {"contact": {"sis_id": sid, "phone": phone, "student_relationships": links}}
        users.append({"id": sid, "name": name, "email": email or None, "district": "dist-1", "roles": roles})
    return {
        "districts": [{"id": "dist-1", "name": ORGS[0][1]}],
        "schools": [{"id": s, "name": n, "sis_id": s, "district": p} for s, n, t, p in ORGS if t == "school"],
        "terms": [
            {"id": s, "name": t, "start_date": b, "end_date": e, "district": "dist-1"}
            for s, t, _ty, b, e, _p, _y in SESSIONS
        ],
        "courses": [{"id": c, "name": t, "number": code} for c, (t, code) in course_of.items()],
        "sections": sections,
        "users": users,
    }


class CleverProvider(Provider):
    """Clever API v3: bearer token, paging through `links` rel next (`starting_after`)."""

    def __init__(self, cap: int = 2, edit: Callable[[dict[str, list[Json]]], None] | None = None) -> None:
        super().__init__()
        self.cap = cap
        self.data = clever_json()
        if edit:
            edit(self.data)

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(path)
        self.requests.append(f"{method} {path}")
        if not hmac.compare_digest(headers.get("Authorization", ""), f"Bearer {TOKEN}"):
            return 401, {}, {"message": "invalid token"}
        stem = split.path.removeprefix("/v3.0/")
        if method != "GET" or stem not in self.data:
            return 404, {}, {"message": "not found"}
        query = parse_qs(split.query)
        items = self.data[stem]
        if stem == "users":
            role = query.get("role", [""])[0]
            items = [u for u in items if role in u["roles"]]
        after = query.get("starting_after", [""])[0]
        start = next((i + 1 for i, item in enumerate(items) if item["id"] == after), 0)
        limit = min(int(query.get("limit", ["100"])[0]), self.cap)
        page = items[start : start + limit]
        links = [{"rel": "self", "uri": path}]
        if start + limit < len(items):
            nxt = {k: v[0] for k, v in query.items() if k != "starting_after"}
            nxt["starting_after"] = page[-1]["id"]
            links.append({"rel": "next", "uri": f"{split.path}?{urlencode(nxt)}"})
        return (
            200,
            {},
            {"data": [{"data": item, "uri": f"{split.path}/{item['id']}"} for item in page], "links": links},
        )


def clever_csv_files() -> dict[str, str]:
    """The district as a Clever CSV upload (ids as in OneRoster; terms are known by name)."""
    from .district import to_csv

    term = {s: (t, b, e) for s, t, _ty, b, e, _p, _y in SESSIONS}
    course = {s: code for s, _t, code, _g, _o in COURSES}

    def us(date: str) -> str:
        return "{1}/{2}/{0}".format(*date.split("-")) if date else ""

    files = {
        "schools.csv": to_csv(
            ["School_name", "School_id", "School_number"],  # column order is free
            [[n, s, s.upper()] for s, n, t, _p in ORGS if t == "school"],
        )
    }
    sections = []
    for sid, title, grades, crs, _code, _type, school, term_id in CLASSES:
        teachers = [u for _e, c, _s, u, r in ENROLLMENTS if c == sid and r == "teacher"]
        name, start, end = term[term_id]
        sections.append(
            [school, sid, teachers[0], title, grades.split(",")[0], course[crs], name, us(start), us(end)]
        )
    files["sections.csv"] = to_csv(
        [
            "School_id",
            "Section_id",
            "Teacher_id",
            "Name",
            "Grade",
            "Course_number",
            "Term_name",
            "Term_start",
            "Term_end",
        ],
        sections,
    )
    by_id = {u[0]: u for u in USERS}
    relation = {"parent": "Parent", "guardian": "Guardian", "relative": "Aunt"}
    students = []
    for sid, role, school, given, family, _email, _phone, ident, grade, agents, birth in USERS:
        if role != "student":
            continue
        base = [school, sid, family, given, ident, grade, us(birth)]
        contacts = [by_id[a] for a in agents.split(",") if a]
        for c in contacts or [None]:
            if c is None:
                students.append([*base, "", "", "", "", ""])
            else:
                students.append([*base, c[0], f"{c[3]} {c[4]}", relation[c[1]], c[5], c[6]])
    files["students.csv"] = to_csv(
        [
            "School_id",
            "Student_id",
            "Last_name",
            "First_name",
            "Student_number",
            "Grade",
            "DOB",
            "Contact_sis_id",
            "Contact_name",
            "Contact_relationship",
            "Contact_email",
            "Contact_phone",
        ],
        students,
    )
    files["teachers.csv"] = to_csv(
        ["School_id", "Teacher_id", "Teacher_number", "Last_name", "First_name", "Teacher_email"],
        [[u[2], u[0], u[7], u[4], u[3], u[5]] for u in USERS if u[1] == "teacher"],
    )
    files["staff.csv"] = to_csv(
        ["School_id", "Staff_id", "Staff_email", "First_name", "Last_name", "Role"],
        [
            ["sch-elem", u[0], u[5], u[3], u[4], "District Admin"]
            for u in USERS
            if u[1] == "districtAdministrator"
        ],
    )
    files["enrollments.csv"] = to_csv(
        ["School_id", "Section_id", "Student_id"],
        [[sch, c, u] for _e, c, sch, u, r in ENROLLMENTS if r == "student"],
    )
    return files

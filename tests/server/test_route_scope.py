"""Every route × every role × a record in my school or in another school (table-driven).

The world: two schools synced from a OneRoster package, Oak Elementary (A) and Elm
Middle (B), then a second run held at the threshold that tried to archive students,
contacts, family links and enrollments of both. The users: a district admin, a school
admin of A, a teacher at A, and no token. For every route of the real app the table
gives each role's status; the school admin's and the teacher's answers must never
carry a record of B (ids, source ids, names, e-mails), and the scoped answers must hold
exactly A's records and counts. A route the table does not list fails the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from connect_desktop.api.schema import API_PREFIX
from connect_desktop.domain.entities import EntityType
from connect_server.db import open_database
from connect_server.scope import TABLES
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.server_sync.package import District as Package
from tests.support.server import LiveServer, add_user

PASSWORD = "correct horse battery staple"
TODAY = dt.date(2026, 6, 20)
DISTRICT, SCHOOL, TEACHER, ANON = "district admin", "school admin", "teacher", "no token"
ROLES = (DISTRICT, SCHOOL, TEACHER, ANON)
MINE, OTHER = "in my school", "in another school"
EMAIL = {
    DISTRICT: "district@example.org",
    SCHOOL: "admin.oak@example.org",
    TEACHER: "teacher.oak@example.org",
}

FIRST = Package(students=range(20), second_school=("cls-b",), guardian_of={3: 0})
"""Even students (class cls-a) at A, odd ones (cls-b) at B; s-3 shares s-0's guardian g-0 (at A)."""
GONE_A, GONE_B = (0, 2, 4), (1, 3, 5, 7, 9)
HELD = Package(
    students=[i for i in range(20) if i not in GONE_A + GONE_B], second_school=("cls-b",), guardian_of={3: 0}
)
A_TRIED = {
    "student": {"s-0", "s-2", "s-4"},
    "contact": {"g-0", "g-2", "g-4"},
    "student_contact": {"s-0:g-0", "s-2:g-2", "s-4:g-4"},
    "enrollment": {"cls-a:s-0", "cls-a:s-2", "cls-a:s-4"},
}
"""What the held run tried to archive in A (g-0 is A's own, also linked to s-3 in B)."""
TOTAL_TRIED = {"student": 8, "contact": 7, "student_contact": 8, "enrollment": 8}


@dataclass
class World:
    server: LiveServer
    http: httpx.Client
    tokens: dict[str, str]
    ids: dict[str, dict[str, str]]
    """type -> source_id -> Connect id."""
    school_a: str
    school_b: str
    held_run: str
    markers: set[str] = field(default_factory=set)
    """Strings that only records of school B carry."""

    def headers(self, role: str, token: str | None = None) -> dict[str, str]:
        token = token or self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def sign_in(self, email: str) -> str:
        response = self.http.post("auth/token", json={"username": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def version(self, type_: str, record_id: str) -> int:
        table = TABLES[EntityType(type_)]
        with self.server.sessions() as session:
            return int(session.execute(select(table.c.version).where(table.c.id == record_id)).scalar_one())


def _use(world_sessions: Any, package: Package, path: Path) -> None:
    package.write(path)
    with world_sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(path)}))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("route-scope")
    sessions = open_database(f"sqlite:///{folder / 'server.db'}")
    _use(sessions, FIRST, folder / "first.zip")
    assert run_sync(sessions, today=TODAY).run.status == "succeeded"
    ids: dict[str, dict[str, str]] = {}
    with sessions() as session:
        for kind in ("school", "staff", "student", "contact", "student_contact", "classroom", "enrollment"):
            table = TABLES[EntityType(kind)]
            ids[kind] = {sid: id_ for sid, id_ in session.execute(select(table.c.source_id, table.c.id))}
    school_a, school_b = ids["school"]["sch-1"], ids["school"]["sch-2"]
    add_user(sessions, EMAIL[DISTRICT], "district_admin", PASSWORD)
    add_user(sessions, EMAIL[SCHOOL], "school_admin", PASSWORD, [school_a])
    add_user(sessions, EMAIL[TEACHER], "teacher", PASSWORD, [school_a], staff_id=ids["staff"]["t-cls-a"])
    add_user(sessions, "admin.elm@example.org", "school_admin", PASSWORD, [school_b])
    _use(sessions, HELD, folder / "held.zip")
    held = run_sync(sessions, today=TODAY).run
    assert held.status == "failed_threshold"
    server = LiveServer(sessions)
    with server, httpx.Client(base_url=server.api + "/", timeout=60) as http:
        built = World(server, http, {}, ids, school_a, school_b, held.id)
        built.tokens = {role: built.sign_in(email) for role, email in EMAIL.items()}
        built.markers = _markers_of_b(ids, school_b)
        yield built
    sessions.kw["bind"].dispose()


def _markers_of_b(ids: dict[str, dict[str, str]], school_b: str) -> set[str]:
    """Ids, quoted source ids, names and e-mails of every record of school B."""
    odd = [i for i in range(20) if i % 2]
    guardians = [i for i in odd if i != 3]  # s-3's guardian is g-0, at A
    sids = {
        "staff": ["t-cls-b"],
        "student": [f"s-{i}" for i in odd],
        "contact": [f"g-{i}" for i in guardians],
        "student_contact": [f"s-{i}:g-{0 if i == 3 else i}" for i in odd],
        "classroom": ["cls-b"],
        "enrollment": ["cls-b:t-cls-b", *(f"cls-b:s-{i}" for i in odd)],
    }
    found = {school_b, "Elm Middle", "t-cls-b@example.org"}
    for kind, names in sids.items():
        for sid in names:
            found |= {ids[kind][sid], f'"{sid}"'}
    found |= {f"g-{i}@example.org" for i in guardians} | {f'"{1000 + i}"' for i in odd}
    return found


# -- the table ---------------------------------------------------------------------------------
@dataclass
class Case:
    world: World
    role: str
    target: str
    echoed: set[str] = field(default_factory=set)
    """B ids the request itself names (a client may hear back what it sent)."""

    @property
    def mine(self) -> bool:
        return self.target == MINE

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """`path` under the API, or from the server's root when it starts with "/"."""
        headers = self.world.headers(self.role, token) if self.role != ANON else {}
        url = self.world.server.url + path if path.startswith("/") else path
        return self.world.http.request(method, url, headers=headers, **kwargs)


Send = Callable[[Case], httpx.Response]
Check = Callable[[Case, httpx.Response], None]


@dataclass(frozen=True)
class Row:
    status: Mapping[str, int]
    send: Send
    check: Check | None = None


def _get(path: str, **params: Any) -> Send:
    return lambda case: case.call("GET", path, params=params)


def district_only(ok: int, send: Send, check: Check | None = None) -> Row:
    return Row({DISTRICT: ok, SCHOOL: 403, TEACHER: 403, ANON: 401}, send, check)


def admins(ok: int, send: Send, check: Check | None = None) -> Row:
    return Row({DISTRICT: ok, SCHOOL: ok, TEACHER: 403, ANON: 401}, send, check)


def signed_in(ok: int, send: Send, check: Check | None = None) -> Row:
    return Row({DISTRICT: ok, SCHOOL: ok, TEACHER: ok, ANON: 401}, send, check)


def public(send: Send) -> Row:
    return Row(dict.fromkeys(ROLES, 200), send)


# -- requests and checks of the routes that need more than a GET --------------------------------
def _sign_in(case: Case) -> httpx.Response:
    email = EMAIL.get(case.role, "nobody@example.org")
    password = PASSWORD if case.role != ANON else "wrong password"
    response = case.call("POST", "auth/token", json={"username": email, "password": password})
    if response.status_code == 200:
        assert response.json()["user"]["email"] == email
    return response


def _sign_out(case: Case) -> httpx.Response:
    fresh = case.world.sign_in(EMAIL[case.role]) if case.role != ANON else None
    response = case.call("POST", "auth/logout", token=fresh)
    if fresh is not None:
        assert case.world.http.get("me", headers=case.world.headers(case.role, fresh)).status_code == 401
    return response


def _me(case: Case, response: httpx.Response) -> None:
    user = response.json()
    assert user["email"] == EMAIL[case.role]
    assert user["school_ids"] == ([] if case.role == DISTRICT else [case.world.school_a])


def _operate(case: Case) -> httpx.Response:
    """Unarchive an active student: allowed or refused by scope, and it changes nothing either way."""
    sid = "s-10" if case.mine else "s-11"
    student = case.world.ids["student"][sid]
    case.echoed.add(student)
    version = case.world.version("student", student)
    op = {"op_id": str(uuid.uuid4()), "kind": "unarchive_student",
          "target": {"type": "student", "id": student, "version": version}}  # fmt: skip
    return case.call("POST", "operations", json={"operations": [op]})


def _operated(case: Case, response: httpx.Response) -> None:
    (result,) = response.json()["results"]
    if case.role == DISTRICT or case.mine:
        assert result["status"] == "applied" and "nothing changed" in result["message"], result
        assert [r["id"] for r in result["records"]] == list(case.echoed)
    else:
        assert result["status"] == "rejected" and result["records"] == []


def _held_counts(run: dict[str, Any], role: str) -> None:
    counts = run["data"]["counts"]
    if role == DISTRICT:
        assert {t: counts[t]["tried_to_archive"] for t in TOTAL_TRIED} == TOTAL_TRIED
        assert "school" in counts and "term" in counts
        assert all(c["planned"]["managed"] for t, c in counts.items() if t in TOTAL_TRIED)
        return
    assert {t: c["tried_to_archive"] for t, c in counts.items() if c["tried_to_archive"]} == {
        t: len(sids) for t, sids in A_TRIED.items()
    }
    assert "school" not in counts and "term" not in counts
    assert not any("planned" in c for c in counts.values())  # the plan's numbers are the district's
    message = run["data"]["message"]
    assert "In your schools: 12 records listed" in message and "of 20" not in message


def _runs(case: Case, response: httpx.Response) -> None:
    runs = {r["id"]: r for r in response.json()}
    _held_counts(runs[case.world.held_run], case.role)


def _run(case: Case, response: httpx.Response) -> None:
    _held_counts(response.json(), case.role)


def _changes(case: Case, response: httpx.Response) -> None:
    changes = response.json()["changes"]
    runs = [c for c in changes if c["type"] == "sync_run" and c["id"] == case.world.held_run]
    if case.role == TEACHER:
        assert runs == [] and {c["type"] for c in changes} <= {"school", "term", "staff", "student",
                                                                "classroom", "enrollment"}  # fmt: skip
        return
    (run,) = runs
    _held_counts(run, case.role)
    if case.role == DISTRICT:
        assert case.world.school_b in {c["id"] for c in changes}


def _archives(case: Case) -> httpx.Response:
    params = {"limit": 5_000} if case.mine else {"type": "contact"}
    return case.call("GET", f"sync/runs/{case.world.held_run}/archives", params=params)


def _archived(case: Case, response: httpx.Response) -> None:
    page = response.json()
    listed: dict[str, set[str]] = {}
    for item in page["items"]:
        listed.setdefault(item["type"], set()).add(item["source_id"])
    if case.role == DISTRICT:
        assert page["total"] == (sum(TOTAL_TRIED.values()) if case.mine else TOTAL_TRIED["contact"])
        return
    expected = A_TRIED if case.mine else {"contact": A_TRIED["contact"]}
    assert listed == expected and page["total"] == sum(len(s) for s in expected.values())


def _preview(case: Case, response: httpx.Response) -> None:
    preview = response.json()
    assert preview["ok"] and preview["held"]
    archive = {t: p["archive"] for t, p in preview["types"].items() if p["archive"]}
    if case.role == DISTRICT:
        assert archive == TOTAL_TRIED
        return
    assert archive == {t: len(sids) for t, sids in A_TRIED.items()}
    assert "school" not in preview["types"] and preview["diagnostics"] == []
    assert preview["types"]["student"]["managed"] == 10 and preview["types"]["student"]["unchanged"] == 7


def _run_now(case: Case) -> httpx.Response:
    return case.call("POST", "sync/runs", json={"approve_archives": False})


def _ran(case: Case, response: httpx.Response) -> None:
    run = response.json()["run"]
    assert run["data"]["status"] == "failed_threshold"
    _held_counts(run, case.role)


def _throwaway_token(case: Case) -> tuple[str, str]:
    """A second sign-in of a user of my school (or of B), and its public id (listed by the district)."""
    email = EMAIL[SCHOOL] if case.mine else "admin.elm@example.org"
    world = case.world
    listed = world.http.get("auth/tokens", headers=world.headers(DISTRICT)).json()
    before = {t["id"] for t in listed["tokens"]}
    token = world.sign_in(email)
    listed = world.http.get("auth/tokens", headers=world.headers(DISTRICT)).json()
    (new,) = [t["id"] for t in listed["tokens"] if t["id"] not in before and t["email"] == email]
    return token, new


def _revoke(case: Case) -> httpx.Response:
    token, public_id = _throwaway_token(case)
    response = case.call("DELETE", f"auth/tokens/{public_id}")
    expected = 401 if response.status_code == 204 else 200
    assert case.world.http.get("me", headers={"Authorization": f"Bearer {token}"}).status_code == expected
    return response


def _tokens(case: Case, response: httpx.Response) -> None:
    emails = {t["email"] for t in response.json()["tokens"]}
    assert {EMAIL[DISTRICT], EMAIL[SCHOOL], EMAIL[TEACHER]} <= emails


def _throttle(case: Case, response: httpx.Response) -> None:
    assert isinstance(response.json()["entries"], list)


def _cleared(case: Case, response: httpx.Response) -> None:
    assert response.json()["cleared"] >= 0


def _settings(case: Case, response: httpx.Response) -> None:
    assert response.json()["type"] == "sync_settings"


def _audit(case: Case, response: httpx.Response) -> None:
    assert isinstance(response.json()["entries"], list)


API = API_PREFIX
RUN = "/sync/runs/{run_id}"
TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/openapi.json"): public(lambda case: case.call("GET", "/openapi.json")),
    ("GET", "/docs"): public(lambda case: case.call("GET", "/docs")),
    ("GET", "/docs/oauth2-redirect"): public(lambda case: case.call("GET", "/docs/oauth2-redirect")),
    ("GET", "/redoc"): public(lambda case: case.call("GET", "/redoc")),
    ("POST", f"{API}/auth/token"): Row({DISTRICT: 200, SCHOOL: 200, TEACHER: 200, ANON: 401}, _sign_in),
    ("POST", f"{API}/auth/logout"): signed_in(204, _sign_out),
    ("GET", f"{API}/me"): signed_in(200, _get("me"), _me),
    ("GET", f"{API}/changes"): signed_in(200, _get("changes", limit=50_000), _changes),
    ("POST", f"{API}/operations"): admins(200, _operate, _operated),
    ("GET", f"{API}/audit"): district_only(200, _get("audit"), _audit),
    ("GET", f"{API}/sync/settings"): admins(200, _get("sync/settings"), _settings),
    ("GET", f"{API}/sync/runs"): admins(200, _get("sync/runs"), _runs),
    ("GET", f"{API}{RUN}"): admins(200, lambda c: c.call("GET", f"sync/runs/{c.world.held_run}"), _run),
    ("GET", f"{API}{RUN}/archives"): admins(200, _archives, _archived),
    ("POST", f"{API}/sync/preview"): admins(200, lambda case: case.call("POST", "sync/preview"), _preview),
    ("POST", f"{API}/sync/runs"): district_only(200, _run_now, _ran),
    # district admins' view of sign-ins (added alongside this table)
    ("GET", f"{API}/auth/tokens"): district_only(200, _get("auth/tokens"), _tokens),
    ("DELETE", f"{API}/auth/tokens/{{token_id}}"): district_only(204, _revoke),
    ("GET", f"{API}/auth/throttle"): district_only(200, _get("auth/throttle"), _throttle),
    ("DELETE", f"{API}/auth/throttle"): district_only(
        200, lambda case: case.call("DELETE", "auth/throttle"), _cleared
    ),
}


def app_routes(server: LiveServer) -> set[tuple[str, str]]:
    """(method, path) of every route the real app serves (HEAD goes with GET)."""
    return {
        (method, str(route.path))
        for route in iter_route_contexts(server.app.routes)
        for method in (route.methods or ())
        if method != "HEAD"
    }


def test_the_table_lists_every_route_of_the_app(world: World) -> None:
    routes = app_routes(world.server)
    assert routes - TABLE.keys() == set(), "a route without a row in TABLE: add one"
    assert TABLE.keys() - routes == set(), "a row for a route the app does not serve"


@pytest.mark.parametrize("target", [MINE, OTHER])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(TABLE), ids=" ".join)
def test_route_answers_within_the_callers_scope(
    world: World, route: tuple[str, str], role: str, target: str
) -> None:
    row = TABLE[route]
    case = Case(world, role, target)
    response = row.send(case)
    assert response.status_code == row.status[role], response.text
    if role in (SCHOOL, TEACHER):
        leaked = {m for m in world.markers - case.echoed if m in response.text}
        assert leaked == set(), f"other-school data in the answer: {sorted(leaked)[:5]}"
    if response.status_code < 300 and row.check is not None:
        row.check(case, response)

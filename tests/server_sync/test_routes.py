"""The sync endpoints: who may run, approve, preview and read what a run tried to archive."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import API_PREFIX
from connect_server import routes_sync
from tests.server_sync.package import District
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Iterator[httpx.Client]:
    server = LiveServer(sessions)
    if not any(getattr(r, "path", "") == f"{API_PREFIX}/sync/preview" for r in server.app.routes):
        server.app.include_router(routes_sync.router, prefix=API_PREFIX)  # until the lead wires it in
    school = RecordBuilder(sessions).school(name="Manual School")["id"]
    add_user(sessions, "district@example.org", "district_admin", PASSWORD)
    add_user(sessions, "school@example.org", "school_admin", PASSWORD, [school])
    add_user(sessions, "teacher@example.org", "teacher", PASSWORD, [school])
    with server, httpx.Client(base_url=server.api + "/", timeout=60) as http:
        yield http


def headers(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post("auth/token", json={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


def test_run_approve_and_read_archives(client: httpx.Client, use_district) -> None:  # type: ignore[no-untyped-def]
    admin, school = headers(client, "district@example.org"), headers(client, "school@example.org")
    use_district(District())
    first = client.post("sync/runs", json={}, headers=admin)
    assert first.status_code == 200, first.text
    assert first.json()["run"]["type"] == "sync_run" and first.json()["run"]["data"]["status"] == "succeeded"
    use_district(District(students=range(3, 10)))
    preview = client.post("sync/preview", headers=admin).json()
    assert preview["held"] and preview["types"]["student"]["archive"] == 3
    # the school admin's school is not the synced one: held, but none of it is theirs
    theirs = client.post("sync/preview", headers=school).json()
    assert theirs["held"] and theirs["types"]["student"]["archive"] == 0
    held = client.post("sync/runs", json={"approve_archives": False}, headers=admin).json()["run"]
    assert held["data"]["status"] == "failed_threshold"
    assert held["data"]["counts"]["student"]["tried_to_archive"] == 3
    page = client.get(
        f"sync/runs/{held['id']}/archives", params={"type": "student", "limit": 2}, headers=admin
    ).json()
    assert page["total"] == 3 and page["has_more"] and not page["archived"]
    assert [i["source_id"] for i in page["items"]] == ["s-0", "s-1"]
    rest = client.get(
        f"sync/runs/{held['id']}/archives", params={"type": "student", "offset": 2}, headers=admin
    ).json()
    assert [i["source_id"] for i in rest["items"]] == ["s-2"] and not rest["has_more"]
    none = client.get(f"sync/runs/{held['id']}/archives", headers=school).json()
    assert (none["total"], none["items"], none["has_more"]) == (0, [], False)
    approved = client.post("sync/runs", json={"approve_archives": True}, headers=admin).json()["run"]
    assert approved["data"]["status"] == "succeeded" and approved["data"]["approved_archives"]
    assert client.get(f"sync/runs/{approved['id']}", headers=school).json()["version"] == 2


def test_only_district_admins_run_and_teachers_read_nothing(client: httpx.Client, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District())
    school, teacher = headers(client, "school@example.org"), headers(client, "teacher@example.org")
    assert client.post("sync/runs", json={}, headers=school).status_code == 403
    assert client.post("sync/runs", json={}, headers=teacher).status_code == 403
    assert client.post("sync/preview", headers=teacher).status_code == 403
    assert client.post("sync/runs", json={}).status_code == 401
    admin = headers(client, "district@example.org")
    assert client.get("sync/runs/nope/archives", headers=admin).status_code == 404
    assert client.get("sync/runs/nope/archives", params={"type": "bus"}, headers=admin).status_code == 422

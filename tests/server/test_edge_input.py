"""Input no database can take is refused with 422, never a 500 (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from tests.server.conftest import DISTRICT, Api, District
from tests.support.server import LiveServer

TOO_BIG = 2**63
Connect = Callable[..., Api]


def _raw(body: str) -> bytes:
    """JSON text as sent: `body` may hold escapes such as a lone `\\ud800`."""
    return body.encode()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/changes", {"since": TOO_BIG}),
        ("/changes", {"since": 1, "scope": TOO_BIG}),
        ("/audit", {"after": TOO_BIG}),
    ],
)
def test_positions_beyond_64_bits_get_422(
    connect: Connect, district: District, path: str, params: dict[str, int]
) -> None:
    client = connect(DISTRICT)
    response = client.http.get(path, params=params)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"])
def test_a_lone_surrogate_or_nul_in_the_username_gets_422(live_server: LiveServer, bad: str) -> None:
    api = Api(live_server)
    try:
        body = '{"username": "admin' + bad + '@example.org", "password": "x"}'
        response = api.http.post(
            "/auth/token", content=_raw(body), headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
    finally:
        api.close()


@pytest.mark.parametrize("field", ["op_id", "target_id", "params"])
@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"])
def test_a_lone_surrogate_or_nul_in_an_operation_gets_422(
    connect: Connect, district: District, field: str, bad: str
) -> None:
    client = connect(DISTRICT)
    op = {
        "op_id": str(uuid.uuid4()),
        "kind": "archive_student",
        "target": {"type": "student", "id": district.student_a1["id"], "version": 1},
        "params": {},
    }
    text = json.dumps({"operations": [op]})
    marker = {"op_id": op["op_id"], "target_id": district.student_a1["id"], "params": "{}"}[field]
    replacement = {
        "op_id": op["op_id"] + bad,
        "target_id": district.student_a1["id"] + bad,
        "params": '{"note": "x' + bad + '"}',
    }[field]
    text = text.replace(
        marker if field != "params" else '"params": {}',
        replacement if field != "params" else '"params": ' + replacement,
    )
    response = client.http.post(
        "/operations", content=_raw(text), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    after = client.http.get("/changes", params={"since": 0}).json()["changes"]
    [student] = [c for c in after if c["id"] == district.student_a1["id"]]
    assert student["data"]["status"] == "active"  # nothing was applied


def test_a_refused_sign_in_never_echoes_the_password(live_server: LiveServer) -> None:
    api = Api(live_server)
    try:
        response = api.http.post("/auth/token", json={"username": "", "password": "my-secret-typo"})
        assert response.status_code == 422
        assert "my-secret-typo" not in response.text
        assert response.json()["detail"][0]["loc"] == ["body", "username"]
    finally:
        api.close()

"""Request-size limits: oversized bodies get 413 unread, oversized fields 422, and the largest
request the desktop can build still fits."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.api.errors import WrongCredentials
from connect_desktop.api.limits import (
    MAX_DEFAULT_BODY_BYTES,
    MAX_ID_LENGTH,
    MAX_KIND_LENGTH,
    MAX_OPERATIONS_BODY_BYTES,
    MAX_OPERATIONS_PER_REQUEST,
    MAX_PARAMS_BYTES,
    MAX_PASSWORD_LENGTH,
    MAX_RELATED_TARGETS,
    MAX_TOKEN_BODY_BYTES,
    MAX_USERNAME_LENGTH,
    MAX_VERSION,
    encode_body,
)
from connect_desktop.api.schema import API_PREFIX, Operation, OperationsRequest
from tests.server.conftest import DISTRICT, PASSWORD, Api, District, op
from tests.support.server import LiveServer

Connect = Callable[..., Api]
WORST_CHAR = "\x01"
"""The character that takes the most bytes in compact JSON (`\\u0001`)."""
HUGE = 1 << 30


class Counted:
    """A request body streamed in 64 KiB chunks (chunked encoding), counting what was taken."""

    def __init__(self, total: int = HUGE) -> None:
        self.total = total
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        chunk = b"x" * 65_536
        while self.taken < self.total:
            self.taken += len(chunk)
            yield chunk


def test_a_huge_chunked_sign_in_body_gets_413_without_being_read(live_server: LiveServer) -> None:
    body = Counted()
    started = time.monotonic()
    response = httpx.post(
        live_server.api + "/auth/token",
        content=iter(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request is too large: at most {MAX_TOKEN_BODY_BYTES:,} bytes are accepted here."
    }
    assert response.headers["connection"] == "close"
    # The server stopped reading after a few KB; what else left the generator only filled
    # the sockets' buffers before the connection was closed.
    assert body.taken < 32 * 1024 * 1024, body.taken
    assert elapsed < 10


def test_a_declared_oversize_body_gets_413_before_any_of_it_is_sent(live_server: LiveServer) -> None:
    head = (
        f"POST {API_PREFIX}/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 104857600\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as connection:
        connection.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = connection.recv(4096)
            assert data, "the server closed the connection without an answer"
            answer += data
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_other_routes_have_small_limits(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    assert client.http.post("/sync/runs", content=b" " * (MAX_DEFAULT_BODY_BYTES + 1)).status_code == 413
    response = client.http.post("/operations", content=b" " * (MAX_OPERATIONS_BODY_BYTES + 1))
    assert response.status_code == 413


def test_the_limits_hold_behind_a_proxy_with_a_root_path(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    token = connect(DISTRICT).http.headers["Authorization"]
    student = district.student_a1
    batch = {
        "operations": [op("archive_student", "student", student) for _ in range(MAX_OPERATIONS_PER_REQUEST)]
    }
    assert len(encode_body(batch)) > MAX_DEFAULT_BODY_BYTES  # the /operations limit, not the default
    with LiveServer(live_server.sessions, root_path="/connect") as proxied:
        response = httpx.post(
            proxied.api + "/operations", json=batch, headers={"Authorization": token}, timeout=30
        )
        assert response.status_code == 200, response.text
        huge = httpx.post(proxied.api + "/auth/token", content=b" " * (MAX_TOKEN_BODY_BYTES + 1), timeout=30)
        assert huge.status_code == 413


def _rss_peak_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_a_100_mb_sign_in_body_leaves_the_server_memory_as_it_was(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; from connect_server.cli import main; sys.exit(main())",
               "serve", "--db", f"sqlite:///{tmp_path / 'server.db'}", "--port", "0"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as server:
        try:
            assert server.stdout is not None
            api = server.stdout.readline().strip().rsplit(" ", 1)[1]
            wrong = {"username": "nobody@example.org", "password": "wrong"}
            assert httpx.post(api + "/auth/token", json=wrong, timeout=30).status_code == 401  # warm up
            before = _rss_peak_kb(server.pid)
            for headers in ({}, {"Content-Length": str(100 * 1024 * 1024)}):
                body = Counted(100 * 1024 * 1024)
                response = httpx.post(
                    api + "/auth/token",
                    content=iter(body),
                    headers={"Content-Type": "application/json", **headers},
                    timeout=30,
                )
                assert response.status_code == 413
            growth_mb = (_rss_peak_kb(server.pid) - before) / 1024
            assert growth_mb < 20, f"the server's peak memory grew by {growth_mb:.0f} MB"
        finally:
            server.terminate()
            server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()


def test_more_operations_than_a_batch_may_hold_get_422(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    student = district.student_a1
    operations = [op("archive_student", "student", student) for _ in range(MAX_OPERATIONS_PER_REQUEST + 1)]
    response = client.http.post("/operations", json={"operations": operations})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "operations"]
    assert f"at most {MAX_OPERATIONS_PER_REQUEST} items" in error["msg"]


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("op_id", lambda o: o.update(op_id="x" * (MAX_ID_LENGTH + 1)), "at most 64 characters"),
        ("kind", lambda o: o.update(kind="k" * (MAX_KIND_LENGTH + 1)), "at most 64 characters"),
        ("id", lambda o: o["target"].update(id="i" * (MAX_ID_LENGTH + 1)), "at most 64 characters"),
        ("version", lambda o: o["target"].update(version=MAX_VERSION + 1), "less than or equal to"),
        (
            "params",
            lambda o: o.update(params={"pauses": ["p" * MAX_PARAMS_BYTES]}),
            f"params may take at most {MAX_PARAMS_BYTES} bytes as JSON",
        ),
    ],
)
def test_oversized_operation_fields_get_422(
    connect: Connect, district: District, field: str, change: Any, message: str
) -> None:
    client = connect(DISTRICT)
    operation = op("update_sync_settings", "sync_settings", {"id": district.sync_settings_id, "version": 1})
    change(operation)
    response = client.http.post("/operations", json={"operations": [operation]})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    assert message in error["msg"]


def test_an_over_long_password_gets_422(connect: Connect, district: District) -> None:
    body = {"username": DISTRICT, "password": "p" * (MAX_PASSWORD_LENGTH + 1)}
    response = connect().http.post("/auth/token", json=body)
    assert response.status_code == 422
    assert "at most 1024 characters" in response.json()["detail"][0]["msg"]


def _largest_operation(n: int) -> Operation:
    """An operation at every field limit, in the characters that take the most bytes."""
    padding = (MAX_PARAMS_BYTES - len(encode_body({"k": ""}))) // len(encode_body(WORST_CHAR)[1:-1])
    return Operation.model_validate(
        {
            "op_id": f"{n:04d}".ljust(MAX_ID_LENGTH, WORST_CHAR),
            "kind": WORST_CHAR * MAX_KIND_LENGTH,
            "target": {"type": "student_contact", "id": WORST_CHAR * MAX_ID_LENGTH, "version": MAX_VERSION},
            "params": {"k": WORST_CHAR * padding},
            "also": [
                {
                    "type": "student_contact",
                    "id": f"{i:02d}".ljust(MAX_ID_LENGTH, WORST_CHAR),
                    "version": MAX_VERSION,
                }
                for i in range(MAX_RELATED_TARGETS)
            ],
        }
    )


def test_the_largest_batch_the_desktop_can_build_fits_the_server_limit(
    live_server: LiveServer, district: District
) -> None:
    operations = [_largest_operation(n) for n in range(MAX_OPERATIONS_PER_REQUEST)]
    assert len(encode_body(operations[0].params)) == MAX_PARAMS_BYTES
    size = len(encode_body(OperationsRequest(operations=operations).model_dump(mode="json")))
    assert 0.9 * MAX_OPERATIONS_BODY_BYTES < size <= MAX_OPERATIONS_BODY_BYTES
    with ApiClient(live_server.url, retry=RetryPolicy(attempts=1)) as client:
        client.set_token(client.sign_in(DISTRICT, PASSWORD).access_token)
        response = client.operations(operations)
    assert len(response.results) == MAX_OPERATIONS_PER_REQUEST
    assert {r.status.value for r in response.results} == {"rejected"}  # read and judged: no such kind


def test_the_largest_sign_in_the_desktop_can_build_fits_the_server_limit(
    live_server: LiveServer, district: District
) -> None:
    username, password = WORST_CHAR * MAX_USERNAME_LENGTH, WORST_CHAR * MAX_PASSWORD_LENGTH
    assert len(encode_body({"username": username, "password": password})) > 0.9 * MAX_TOKEN_BODY_BYTES
    with (
        ApiClient(live_server.url, retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(WrongCredentials) as caught,
    ):
        client.sign_in(username, password)
    assert caught.value.status == 401  # the server read the body and judged the password

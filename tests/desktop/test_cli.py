"""`connect-desktop` commands: output, exit codes, and a pull killed with SIGKILL."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from connect_desktop import cli
from connect_desktop.domain import words
from connect_desktop.settings import load_account
from connect_desktop.store.db import open_cache
from connect_server import feed
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District
from tests.desktop.serverdata import add_students, cache_snapshot, server_snapshot
from tests.support.server import LiveServer


def run(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = cli.main(list(args))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def login_run(
    capsys: pytest.CaptureFixture[str], server: LiveServer, password: str = ADMIN_PASSWORD
) -> tuple[int, str, str]:
    """`connect-desktop login` as the admin: exit code, stdout, stderr."""
    return run(
        capsys,
        "login",
        "--server",
        server.url,
        "--user",
        ADMIN_EMAIL,
        "--password-stdin",
        stdin=password + "\n",
    )


def login(capsys: pytest.CaptureFixture[str], server: LiveServer, password: str = ADMIN_PASSWORD) -> int:
    return login_run(capsys, server, password)[0]


def test_a_whole_session(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert run(capsys, "status")[0] == cli.SIGNED_OUT
    code, _, err = run(
        capsys,
        "login",
        "--server",
        live_server.url,
        "--user",
        ADMIN_EMAIL,
        "--password-stdin",
        stdin="wrong password\n",
    )
    assert code == cli.SIGNED_OUT and "not correct" in err and "Traceback" not in err
    code, _, err = run(
        capsys,
        "login",
        "--server",
        live_server.url,
        "--user",
        ADMIN_EMAIL,
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == cli.OK
    assert "keyring" in err  # the file fallback is announced
    code, _, err = run(capsys, "sync")
    assert code == cli.OK and "download" in err
    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    assert code == cli.OK and status["counts"]["student"] == len(district.students) and status["cursor"] > 0
    student = district.students[0]["id"]
    code, out, _ = run(capsys, "stage", "archive_student", "--id", student, "--step", "students", "--json")
    op_id = json.loads(out)["op_id"]
    assert run(capsys, "stage", "archive_student", "--id", "no-such-id")[0] == cli.FAILED
    assert run(capsys, "stage", "no_such_kind", "--id", student)[0] == cli.FAILED
    code, out, _ = run(capsys, "pending", "--json")
    assert [op["op_id"] for op in json.loads(out)["operations"]] == [op_id]
    code, out, _ = run(capsys, "pending")  # in the words of the workbook and the review page
    assert code == cli.OK and f"{op_id}  {words.state_text('pending')}" in out
    assert f"{words.kind_text('archive_student')}: {words.noun('student', 1)} {student}" in out
    assert f"1  {words.state_text('pending')}" in run(capsys, "status")[1]
    # kept for later (as unchecked in Review): a sync leaves it staged and says so
    assert run(capsys, "keep", op_id)[0] == cli.OK
    assert f"({words.KEPT_TEXT})" in run(capsys, "pending")[1]
    code, _, err = run(capsys, "sync", "--push-only")
    assert code == cli.OK and "Sent 0 change(s)" in err and "1 change(s) kept for later were not sent" in err
    assert json.loads(run(capsys, "pending", "--json")[1])["operations"][0]["kept"] is True
    assert run(capsys, "keep", "--send", op_id)[0] == cli.OK
    assert f"({words.KEPT_TEXT})" not in run(capsys, "pending")[1]
    assert run(capsys, "sync", "--push-only")[0] == cli.OK
    code, out, _ = run(capsys, "pending", "--json")
    assert json.loads(out)["total"] == 0
    assert run(capsys, "discard")[0] == cli.USAGE
    assert run(capsys, "frobnicate")[0] == cli.USAGE
    assert run(capsys, "--help")[0] == cli.OK
    assert run(capsys, "logout")[0] == cli.OK
    assert run(capsys, "sync")[0] == cli.SIGNED_OUT
    assert login(capsys, live_server) == cli.OK
    account = load_account()
    assert account is not None and account.cache_path.exists()
    assert run(capsys, "remove-local-data")[0] == cli.OK
    assert not account.cache_path.exists()


def test_unreachable_server_exit_code(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    live_server.stop()
    try:
        code, _, err = run(capsys, "sync", "--pull-only")
    finally:
        live_server.start()
    assert code == cli.UNREACHABLE and "cannot be reached" in err


def _cursor(path: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:
        row = connection.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.Error:
        return 0
    finally:
        connection.close()
    return int(row[0]) if row else 0


class _FeedGate:
    """Holds the server's changes feed from the `held_from`-th page on, until released: a
    pull is then stopped mid-way for certain, however loaded the machine is."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, held_from: int = 3) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self._pages = 0
        self._held_from = held_from
        read_page = feed.read_page

        def gated(*args: Any, **kwargs: Any) -> Any:
            self._pages += 1
            if self._pages >= self._held_from:
                self.reached.set()
                self.released.wait(timeout=GATE_TIMEOUT_S)
            return read_page(*args, **kwargs)

        monkeypatch.setattr(feed, "read_page", gated)


GATE_TIMEOUT_S = 60


def _killed_mid_pull(cache: Path, gate: _FeedGate) -> int:
    """Run `sync --pull-only` in a process, SIGKILL it while the server holds its third page
    and once its cursor moved; its cursor then."""
    env = {**os.environ, "CONNECT_DESKTOP_PAGE_SIZE": "10"}
    process = subprocess.Popen(
        [sys.executable, "-m", "connect_desktop.cli", "sync", "--pull-only"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert gate.reached.wait(timeout=GATE_TIMEOUT_S), "the pull never asked for its third page"
        deadline = time.monotonic() + GATE_TIMEOUT_S
        while _cursor(cache) == 0 and time.monotonic() < deadline:  # the first pages being written
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        gate.released.set()
    assert process.returncode == -signal.SIGKILL
    return _cursor(cache)


def test_a_pull_killed_mid_way_resumes_to_an_identical_cache(
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    district: District,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_students(live_server.sessions, district.schools[0]["id"], 1500)
    with live_server.sessions() as session:
        end = session.execute(text("SELECT value FROM feed_counter")).scalar_one()
    assert login(capsys, live_server) == cli.OK
    account = load_account()
    assert account is not None
    gate = _FeedGate(monkeypatch)
    reached = _killed_mid_pull(account.cache_path, gate)
    assert 0 < reached < end
    assert run(capsys, "sync", "--pull-only")[0] == cli.OK
    with open_cache(account.cache_path) as cache:
        assert cache_snapshot(cache) == server_snapshot(live_server.sessions)
    assert _cursor(account.cache_path) == end


def test_new_records_and_field_updates_from_the_command_line(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync")[0] == cli.OK
    kid = district.students[3]
    contact = ["first_name=Maria", "last_name=Lopez", f"school_id={kid['school_id']}"]
    args = [arg for pair in (("--param", p) for p in contact) for arg in pair]
    code, out, _ = run(capsys, "stage", "create_contact", "--id", "new", *args, "--json")
    assert code == cli.OK
    contact_id = json.loads(out)["id"]
    link = ["--param", f"student_id={kid['id']}", "--param", f"contact_id={contact_id}"]
    code, out, err = run(
        capsys, "stage", "link_contact", "--id", "new", *link, "--param", "relationship=aunt"
    )
    assert code == cli.OK and "New record id:" in out, err
    update = '{"last_name": "Lopez-Ruiz"}'
    assert (
        run(capsys, "stage", "update_student", "--id", kid["id"], "--param", f"fields={update}")[0] == cli.OK
    )
    code, _, err = run(
        capsys, "stage", "update_student", "--id", kid["id"], "--param", 'fields={"grade": "14"}'
    )
    assert code == cli.FAILED and "Grade must be one of" in err and "Traceback" not in err
    assert run(capsys, "sync", "--push-only")[0] == cli.OK
    server = server_snapshot(live_server.sessions)
    assert contact_id in server["contact"] and "Lopez-Ruiz" in server["student"][kid["id"]]
    assert any(contact_id in row and "aunt" in row for row in server["student_contact"].values())

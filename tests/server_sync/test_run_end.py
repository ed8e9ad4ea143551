"""Every sync run ends in a final state, with a message people may read.

An unexpected database error is stored and answered as a plain sentence with a
reference, never the SQL and its parameters (which quote names); a source that
cannot be read fails the run plainly; a run left `running` by a killed process is
closed as interrupted by the next run and at the server's start-up, while a run that
is still going elsewhere is left alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from connect_server import sync_runner
from connect_server.app import create_app
from connect_server.cli import main as connect_server
from connect_server.models import SyncRun
from connect_server.sync_runner import close_interrupted_runs, run_sync
from connect_server.syncing.run_lock import run_lock
from connect_server.syncing.runs import INTERRUPTED
from tests.server_sync.conftest import state, use_source
from tests.server_sync.package import District
from tests.support.server import LiveServer, add_user
from tests.support.small_disk import SmallDisk, disk  # noqa: F401 - the fixture

TODAY = dt.date(2025, 6, 20)
NAMED = District(students=range(5), renamed={i: f"Perpetua{i}" for i in range(5)})
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(r"\b(INSERT|UPDATE|SELECT|VALUES|parameters)\b|\[SQL", re.IGNORECASE)


def start_up(app: FastAPI) -> None:
    """What the server does when it starts serving (and at once stop)."""

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(serve())


def runs(sessions: sessionmaker[Session]) -> list[SyncRun]:
    with sessions() as session:
        return list(session.scalars(select(SyncRun).order_by(SyncRun.started_at)))


@pytest.fixture
def grade_must_be_unique(sessions: sessionmaker[Session]) -> Iterator[None]:
    """A unique index the first run breaks: every student of `NAMED` is in grade 03."""
    engine = sessions.kw["bind"]
    with engine.begin() as connection:
        connection.execute(text("CREATE UNIQUE INDEX test_one_per_grade ON student (grade)"))
    yield
    with engine.begin() as connection:  # the PostgreSQL test database is reused
        connection.execute(text("DROP INDEX test_one_per_grade"))


@pytest.mark.usefixtures("grade_must_be_unique")
def test_a_database_error_is_stored_and_answered_without_sql_or_names(
    sessions: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    use_source(sessions, NAMED.write(tmp_path / "named.zip"))
    add_user(sessions, "district@example.org", "district_admin", PASSWORD)
    before = state(sessions)
    caplog.set_level(logging.INFO)
    with LiveServer(sessions) as server, httpx.Client(base_url=server.api + "/", timeout=60) as http:
        token = http.post("auth/token", json={"username": "district@example.org", "password": PASSWORD})
        http.headers["Authorization"] = "Bearer " + token.json()["access_token"]
        answer = http.post("sync/runs", json={})
        listed = http.get("sync/runs").text
    assert answer.status_code == 200, answer.text
    run = answer.json()["run"]["data"]
    assert run["status"] == "failed"
    message = run["message"]
    reference = re.fullmatch(
        r"The sync stopped on an unexpected problem on the server; nothing was changed\. "
        r"The server's log has the details \(reference (R-[0-9A-F]{8})\)\.",
        message,
    )
    assert reference, message
    with sessions() as session:
        stored = session.scalar(select(SyncRun.message).where(SyncRun.id == answer.json()["run"]["id"]))
    for shown in (stored, answer.text, listed):
        assert "Perpetua" not in shown and "Family" not in shown and not SQL.search(shown), shown
    # the log says where and what (type, database code) under the same reference, without the data
    logged = caplog.text
    assert reference.group(1) in logged and "IntegrityError" in logged
    assert ("SQLSTATE 23505" in logged) or ("SQLITE_CONSTRAINT_UNIQUE" in logged), logged
    for data in ("Perpetua", "Family", "[SQL", "INSERT INTO", "[parameters"):
        assert data not in logged, data
    assert state(sessions) == before


def test_a_source_that_cannot_be_read_fails_the_run_plainly(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    disk: SmallDisk,  # noqa: F811
) -> None:
    use_source(sessions, District().write(tmp_path / "district.zip"))
    before = state(sessions)
    disk.read_only()  # where the run keeps its working copy of the export
    failed = run_sync(sessions, today=TODAY, work_dir=disk.path).run
    assert (failed.status, failed.message) == (
        "failed",
        "The sync source could not be read (Read-only file system); nothing was changed. "
        "Fix that and run the sync again.",
    )
    assert state(sessions) == before
    disk.read_only(False)
    assert run_sync(sessions, today=TODAY, work_dir=disk.path).run.status == "succeeded"


def test_an_unexpected_error_while_reading_fails_the_run_without_its_text(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_source(sessions, NAMED.write(tmp_path / "named.zip"))

    def broken(*_args: Any) -> None:
        raise ValueError("could not parse 'Perpetua0 Family0'")

    monkeypatch.setattr(sync_runner, "read_source", broken)
    run = run_sync(sessions, today=TODAY).run
    assert run.status == "failed" and run.finished_at is not None
    assert "unexpected problem" in (run.message or "") and "Perpetua" not in (run.message or "")
    assert [r.status for r in runs(sessions)] == ["failed"]


# -- runs whose process died ---------------------------------------------------------------
_STALL = """
import sys
from connect_server import sync_runner
from connect_server.db import open_database
from connect_server.syncing.apply import PlanApplier

where = sys.argv[2]
def stall():
    print("stalled", flush=True)
    sys.stdin.read()  # until killed

if where == "reading":
    sync_runner.read_source = lambda *args: stall()
else:
    applying = PlanApplier.apply
    def apply(self, allow_archives):
        result = applying(self, allow_archives)
        self.session.flush()  # every record written, not yet committed
        stall()
        return result
    PlanApplier.apply = apply
sync_runner.run_sync(open_database(sys.argv[1]))
"""


@pytest.fixture
def stalled(db_url: str) -> Iterator[Any]:
    """`stalled(where)`: a process running the sync, stopped while "reading" or "applying"."""
    started: list[subprocess.Popen[str]] = []

    def start(where: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_STALL), db_url, where],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "stalled\n"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_a_run_killed_while_applying_changed_nothing_and_the_next_run_closes_it(
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    stalled: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_source(sessions, District().write(tmp_path / "district.zip"))
    before = state(sessions)
    kill(stalled("applying"))
    [left] = runs(sessions)
    assert left.status == "running"
    assert state(sessions) == before, "a killed run's writes never landed"
    assert connect_server(["sync", "run", "--db", db_url]) == 0
    closed, done = runs(sessions)
    assert (closed.id, closed.status, closed.message) == (left.id, "failed", INTERRUPTED)
    assert closed.finished_at is not None and done.status == "succeeded"
    assert done.counts["student"]["created"] == 10, "the new run did all of the work again"
    assert "succeeded" in capsys.readouterr().out


def test_start_up_closes_the_runs_of_a_dead_process_and_leaves_a_live_one(
    sessions: sessionmaker[Session], tmp_path: Path, stalled: Any
) -> None:
    use_source(sessions, District().write(tmp_path / "district.zip"))
    live = stalled("reading")
    [going] = runs(sessions)
    assert close_interrupted_runs(sessions) == []
    start_up(create_app(sessions))
    assert [r.status for r in runs(sessions)] == ["running"], "a run still going is not closed"
    kill(live)
    with run_lock(sessions.kw["bind"]):  # wait until the system has released the dead process's lock
        pass
    start_up(create_app(sessions))
    [closed] = runs(sessions)
    assert (closed.id, closed.status, closed.message) == (going.id, "failed", INTERRUPTED)
    assert closed.version == going.version + 1 and closed.seq > going.seq, "the apps are told too"

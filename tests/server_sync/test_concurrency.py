"""SIS sync runs while four admins send year-end operations: no deadlock, nothing lost or doubled.

The sync locks the feed counter and then writes records; an operation locks its
record and then takes the counter. Taken in opposite orders, the two deadlock on
PostgreSQL (one side gets HTTP 500), so every writer takes the counter first
(docs/server-locking.md). Two readers pull the feed all along; what they end up
holding must equal a fresh pull, and the district admin's the database. A database
that fails under a batch is answered plainly, without the SQL and the data it quotes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_server import handlers
from connect_server.models import AppliedOperation, AuditLog, FeedCounter, SyncRun
from connect_server.scope import TABLES, TOMBSTONE
from tests.server_sync.conftest import rows
from tests.server_sync.package import District
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user

PASSWORD = "correct horse battery staple"
WRITERS = 4
SECONDS = 4.0
CLASSES = ("cls-a", "cls-b", "cls-c", "cls-d")
STUDENTS = range(40)
# Two packages the runs alternate between: every student renamed, and two classes with
# their students and families swapping schools (so the scope-change hook writes too).
PACKAGES = (
    District(students=STUDENTS, classes=CLASSES, second_school=("cls-d",)),
    District(
        students=STUDENTS,
        classes=CLASSES,
        second_school=("cls-c",),
        renamed={i: f"Renamed{i}" for i in STUDENTS},
    ),
)

Held = dict[tuple[str, str], int]


class Reader:
    """A client pulling the feed incrementally, as the desktop does: (type, id) -> version."""

    def __init__(self, http: httpx.Client) -> None:
        self.http, self.held, self.since, self.scope = http, {}, 0, None
        self.errors: list[str] = []

    def pull(self) -> None:
        while True:
            params: dict[str, Any] = {"since": self.since, "limit": 200}
            if self.scope is not None:
                params["scope"] = self.scope
            response = self.http.get("changes", params=params)
            if response.status_code != 200:
                self.errors.append(f"{response.status_code} {response.text[:300]}")
                return
            page = response.json()
            if page.get("reset"):
                self.held.clear()
            for change in page["changes"]:
                key = (change["type"], change["id"])
                if change["deleted"]:
                    self.held.pop(key, None)
                else:
                    self.held[key] = change["version"]
            self.since, self.scope = page["next_since"], page["scope"]
            if not page["has_more"]:
                return


def sign_in(server: LiveServer, email: str, clients: ExitStack) -> httpx.Client:
    http = clients.enter_context(httpx.Client(base_url=server.api + "/", timeout=120))
    response = http.post("auth/token", json={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    http.headers["Authorization"] = "Bearer " + response.json()["access_token"]
    return http


def current(sessions: sessionmaker[Session], kind: EntityType, ids: list[str]) -> list[Any]:
    table = TABLES[kind]
    with sessions() as session:
        return list(
            session.execute(select(table.c.id, table.c.version, table.c.status).where(table.c.id.in_(ids)))
        )


def toggle(kind: EntityType, row: Any) -> dict[str, Any]:
    verb = "unarchive" if row.status == "archived" else "archive"
    name = "student" if kind is EntityType.STUDENT else "classroom"
    return {
        "op_id": str(uuid.uuid4()),
        "kind": f"{verb}_{name}",
        "target": {"type": kind.value, "id": row.id, "version": row.version},
        "params": {},
    }


def database_state(sessions: sessionmaker[Session]) -> tuple[Held, list[int], int]:
    """Every record's version, every seq in the feed tables, and the feed counter."""
    held: Held = {}
    seqs: list[int] = []
    with sessions() as session:
        for kind, table in TABLES.items():
            for row in session.execute(select(table.c.id, table.c.version, table.c.seq)):
                held[(kind.value, row.id)] = row.version
                seqs.append(row.seq)
        seqs += session.scalars(select(TOMBSTONE.c.seq))
        counter = int(session.scalar(select(FeedCounter.value)) or 0)
    return held, seqs, counter


def in_threads(*jobs: Callable[[], None]) -> list[BaseException]:
    """Run the jobs side by side; the exceptions they ended with."""
    failures: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # reported by the test
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (a deadlock?)"
    return failures


def test_sync_runs_and_four_writers_neither_deadlock_nor_lose_or_double_anything(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from tests.server_sync.conftest import use_source

    packages = [p.write(tmp_path / f"package-{i}.zip") for i, p in enumerate(PACKAGES)]
    add_user(sessions, "district@example.org", "district_admin", PASSWORD)
    use_source(sessions, packages[1])
    server = LiveServer(sessions)
    with server, ExitStack() as clients:
        admin = sign_in(server, "district@example.org", clients)
        first = admin.post("sync/runs", json={})
        assert first.status_code == 200 and first.json()["run"]["data"]["status"] == "succeeded", first.text
        school_1 = rows(sessions, "school")["sch-1"].id
        add_user(sessions, "school@example.org", "school_admin", PASSWORD, [school_1])
        students = sorted(r.id for r in rows(sessions, "student").values())
        classrooms = sorted(r.id for r in rows(sessions, "classroom").values())
        writers = [sign_in(server, "district@example.org", clients) for _ in range(WRITERS)]
        readers = [
            Reader(sign_in(server, e, clients)) for e in ("district@example.org", "school@example.org")
        ]
        for reader in readers:
            reader.pull()

        deadline = time.monotonic() + SECONDS
        answers: list[str] = []  # every unexpected answer, from any thread
        sent: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (operation, its result)
        runs: list[dict[str, Any]] = []

        def write(n: int) -> None:
            mine = {EntityType.STUDENT: students[n::WRITERS], EntityType.CLASSROOM: classrooms[n::WRITERS]}
            while time.monotonic() < deadline:
                batch = [toggle(k, row) for k, ids in mine.items() for row in current(sessions, k, ids)]
                answered = [writers[n].post("operations", json={"operations": batch}) for _ in range(2)]
                if any(response.status_code != 200 for response in answered):
                    answers.extend(f"operations: {r.status_code} {r.text[:300]}" for r in answered)
                    return
                results, again = (response.json()["results"] for response in answered)
                sent.extend(zip(batch, results, strict=True))
                if again != results:  # the second send is answered from the stored results
                    answers.append("a repeated batch answered differently")

        def sync() -> None:
            turn = 0
            while time.monotonic() < deadline or turn < 2:
                use_source(sessions, packages[turn % 2])
                response = admin.post("sync/runs", json={})
                if response.status_code != 200:
                    answers.append(f"sync/runs: {response.status_code} {response.text[:300]}")
                    return
                runs.append(response.json()["run"]["data"])
                turn += 1

        def read(reader: Reader) -> Callable[[], None]:
            def job() -> None:
                while time.monotonic() < deadline:
                    reader.pull()

            return job

        failures = in_threads(
            *(lambda n=n: write(n) for n in range(WRITERS)), sync, *(read(r) for r in readers)
        )
        assert not failures and not answers, (failures, answers[:5])
        assert [r["status"] for r in runs] == ["succeeded"] * len(runs) and len(runs) >= 2, runs
        for reader in readers:
            reader.pull()
            assert not reader.errors, reader.errors[:3]
        fresh = [Reader(sign_in(server, e, clients)) for e in ("district@example.org", "school@example.org")]
        for reader in fresh:
            reader.pull()

    statuses = Counter(result["status"] for _, result in sent)
    assert set(statuses) <= {"applied", "conflict"} and statuses["applied"] > WRITERS, statuses
    with sessions() as session:
        audited = Counter(session.scalars(select(AuditLog.op_id)))
        claimed = session.scalar(select(func.count()).select_from(AppliedOperation))
        running = session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.status == "running"))
    changed = {
        op["op_id"]
        for op, result in sent
        if result["status"] == "applied" and "nothing" not in result["message"]
    }
    assert audited == Counter(changed), "every applied change is audited exactly once, nothing else"
    assert claimed == len(sent) and running == 0

    held, seqs, counter = database_state(sessions)
    assert len(seqs) == len(set(seqs)) and max(seqs) <= counter, "every change has its own seq"
    assert readers[0].held == fresh[0].held == held, "the district admin's feed holds every record"
    assert readers[1].held == fresh[1].held, "the school admin's pulls miss nothing and keep nothing extra"
    assert any(t == "student" for t, _ in readers[1].held)


def test_a_database_failing_under_a_batch_is_answered_plainly_and_sending_again_applies_it_once(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build = RecordBuilder(sessions)
    school = build.school()["id"]
    first, second = build.student(school, first_name="Perpetua"), build.student(school, first_name="Perpetua")
    add_user(sessions, "district@example.org", "district_admin", PASSWORD)
    batch = [
        toggle(EntityType.STUDENT, current(sessions, EntityType.STUDENT, [record["id"]])[0])
        for record in (first, second)
    ]
    applying = handlers.apply

    def busy_on_the_second(session: Session, principal: Any, op: Any) -> Any:
        if op.target.id == second["id"]:
            raise OperationalError(
                "UPDATE student SET status=? WHERE id=?",
                {"first_name": "Perpetua"},
                sqlite3.OperationalError("database is locked"),
            )
        return applying(session, principal, op)

    caplog.set_level(logging.INFO)
    with LiveServer(sessions) as server, ExitStack() as clients:
        http = sign_in(server, "district@example.org", clients)
        monkeypatch.setattr(handlers, "apply", busy_on_the_second)
        busy = http.post("operations", json={"operations": batch})
        monkeypatch.undo()
        again = http.post("operations", json={"operations": batch})
    assert busy.status_code == 503, busy.text
    detail = busy.json()["detail"]
    assert detail.startswith("The server's database is busy or unavailable; the first 1 operation(s)")
    reference = detail[detail.index("(reference ") + 11 : -2]
    assert "Perpetua" not in busy.text and "UPDATE" not in busy.text and "status=" not in busy.text
    assert reference in caplog.text and "Perpetua" not in caplog.text and "[SQL" not in caplog.text
    assert [r["status"] for r in again.json()["results"]] == ["applied", "applied"]
    with sessions() as session:
        audited = Counter(session.scalars(select(AuditLog.op_id)))
    assert audited == Counter(op["op_id"] for op in batch), "each applied once, also the one sent twice"

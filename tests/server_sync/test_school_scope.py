"""Sync runs, archive lists and previews per school: what each school's admin reads.

Two schools synced from one package: A (Oak Elementary, even students) and B (Elm
Middle, odd students); s-3 at B shares s-0's guardian g-0, whose own school is A.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from connect_server.db import alembic_config, open_database
from connect_server.models import FeedCounter, School, SyncRun, SyncRunArchive
from tests.server_sync.conftest import use_source
from tests.server_sync.package import District
from tests.support.server import LiveServer, add_user

PASSWORD = "correct horse battery staple"
FIRST = District(students=range(20), second_school=("cls-b",), guardian_of={3: 0})
HELD = District(students=range(10, 20), second_school=("cls-b",), guardian_of={3: 0})
"""Students 0-9 leave: 5 of A's, 5 of B's, with their guardians (g-0 with s-0 and s-3)."""
GONE = {
    "A": {"student": 5, "contact": 5, "student_contact": 5, "enrollment": 5},
    "B": {"student": 5, "contact": 5, "student_contact": 5, "enrollment": 5},  # g-0 through s-3's link
    "district": {"student": 10, "contact": 9, "student_contact": 10, "enrollment": 10},
}


class Admins:
    """HTTP clients of the district admin and of each school's admin, on a live server."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.headers: dict[str, dict[str, str]] = {}

    def sign_in(self, name: str, email: str) -> None:
        response = self.http.post("auth/token", json={"username": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.headers[name] = {"Authorization": "Bearer " + response.json()["access_token"]}

    def get(self, name: str, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params, headers=self.headers[name])
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, name: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=body, headers=self.headers[name])
        assert response.status_code == 200, response.text
        return response.json()

    def listed(self, name: str, run_id: str) -> dict[str, set[str]]:
        page = self.get(name, f"sync/runs/{run_id}/archives", limit=5_000)
        found: dict[str, set[str]] = {}
        for item in page["items"]:
            found.setdefault(item["type"], set()).add(item["source_id"])
        assert page["total"] == sum(len(s) for s in found.values())
        return found


@pytest.fixture
def admins(sessions: sessionmaker[Session], use_district) -> Iterator[Admins]:  # type: ignore[no-untyped-def]
    use_district(FIRST)
    server = LiveServer(sessions)
    with server, httpx.Client(base_url=server.api + "/", timeout=60) as http:
        found = Admins(http)
        add_user(sessions, "district@example.org", "district_admin", PASSWORD)
        found.sign_in("district", "district@example.org")
        found.post("district", "sync/runs", {})
        with sessions() as session:
            schools = {s.source_id: s.id for s in session.scalars(select(School))}
        add_user(sessions, "a@example.org", "school_admin", PASSWORD, [schools["sch-1"]])
        add_user(sessions, "b@example.org", "school_admin", PASSWORD, [schools["sch-2"]])
        add_user(sessions, "ab@example.org", "school_admin", PASSWORD, list(schools.values()))
        for name in ("A", "B", "AB"):
            found.sign_in(name, f"{name.lower()}@example.org")
        yield found


def tried(run: dict[str, Any], key: str = "tried_to_archive") -> dict[str, int]:
    return {t: c[key] for t, c in run["data"]["counts"].items() if c[key]}


def test_each_school_admin_reads_their_schools_part_of_a_held_run(admins: Admins, use_district) -> None:  # type: ignore[no-untyped-def]
    first = admins.get("A", "sync/runs")[0]
    assert first["data"]["counts"]["student"]["created"] == 10 and "school" not in first["data"]["counts"]
    district_first = admins.get("district", "sync/runs")[0]["data"]["counts"]
    for t in ("student", "contact", "student_contact", "enrollment", "classroom", "staff"):
        parts = [admins.get(n, "sync/runs")[0]["data"]["counts"][t]["created"] for n in ("A", "B")]
        assert sum(parts) == district_first[t]["created"], t  # each record counted in one school
    assert admins.get("AB", "sync/runs")[0]["data"]["counts"]["contact"]["created"] == 19  # g-0 once

    use_district(HELD)
    preview = {n: admins.post(n, "sync/preview") for n in ("A", "B", "district")}
    for name, preview_of in preview.items():
        assert {t: p["archive"] for t, p in preview_of["types"].items() if p["archive"]} == GONE[name]
    assert "Counts are for your schools only" in preview["A"]["message"] and preview["A"]["held"]

    held = admins.post("district", "sync/runs", {"approve_archives": False})["run"]
    assert tried(held) == GONE["district"]
    for name in ("A", "B"):
        run = admins.get(name, f"sync/runs/{held['id']}")
        assert tried(run) == GONE[name]  # the same numbers as the preview said
        assert "In your schools: 20 records listed as 'tried to archive'" in run["data"]["message"]
    assert tried(admins.get("AB", f"sync/runs/{held['id']}")) == GONE["district"]
    a, b = admins.listed("A", held["id"]), admins.listed("B", held["id"])
    assert a["contact"] == {f"g-{i}" for i in (0, 2, 4, 6, 8)}
    assert b["contact"] == {f"g-{i}" for i in (0, 1, 5, 7, 9)}  # g-0 through the family link of s-3
    assert b["student"] == {f"s-{i}" for i in (1, 3, 5, 7, 9)} and b["student_contact"] >= {"s-3:g-0"}
    assert "s-3:g-0" not in a["student_contact"]
    everything = admins.listed("district", held["id"])
    assert {t: len(s) for t, s in everything.items()} == GONE["district"]

    approved = admins.post("district", "sync/runs", {"approve_archives": True})["run"]
    assert tried(approved, "archived") == GONE["district"]
    assert tried(admins.get("A", f"sync/runs/{approved['id']}"), "archived") == GONE["A"]
    # g-0 is gone now: it stays filed under its own school, A
    after_b = {**GONE["B"], "contact": 4}
    assert tried(admins.get("B", f"sync/runs/{approved['id']}"), "archived") == after_b
    assert admins.listed("B", approved["id"])["contact"] == {f"g-{i}" for i in (1, 5, 7, 9)}
    assert "g-0" in admins.listed("A", approved["id"])["contact"]


def test_school_admins_read_the_feeds_runs_like_the_routes(admins: Admins, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(HELD)
    held = admins.post("district", "sync/runs", {})["run"]
    for name in ("A", "district"):
        feed = admins.get(name, "changes", limit=50_000)["changes"]
        (run,) = [c for c in feed if c["id"] == held["id"]]
        assert run == admins.get(name, f"sync/runs/{held['id']}")


def test_migration_files_old_archive_lists_under_schools_and_sends_runs_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = create_engine(url)
    with engine.begin() as connection:
        for sql in (
            "INSERT INTO student (seq, id, version, origin, school_id, student_number, first_name, last_name,"
            " grade, status) VALUES (1, 'st-1', 1, 'sync', 'sch-a', '1', 'Ann', 'Lee', '3', 'active')",
            "INSERT INTO contact (seq, id, version, origin, first_name, last_name, language)"
            " VALUES (2, 'co-1', 1, 'sync', 'Bo', 'Lee', 'en')",
            "INSERT INTO student_contact (seq, id, version, origin, student_id, contact_id, relationship,"
            " school_id) VALUES (3, 'li-1', 1, 'sync', 'st-1', 'co-1', 'parent', 'sch-a')",
        ):
            connection.execute(text(sql))
        listed = (("student", "st-1"), ("contact", "co-1"), ("student", "gone"), ("school", "sch-a"))
        for type_, record_id in listed:
            connection.execute(
                text(
                    "INSERT INTO sync_run_archive (run_id, type, record_id, source_id, label)"
                    " VALUES ('run-1', :type, :record_id, 'x', '')"
                ),
                {"type": type_, "record_id": record_id},
            )
        connection.execute(
            text(
                "INSERT INTO sync_run (seq, id, version, origin, started_at, status, trigger,"
                " approved_archives, counts)"
                " VALUES (4, 'run-1', 1, 'sync', '2026-05-01 02:00:00', 'succeeded', 'daily', 0, '{}')"
            )
        )
        connection.execute(text("INSERT INTO feed_counter (id, value) VALUES (1, 4)"))
    engine.dispose()
    sessions = open_database(url)
    try:
        with sessions() as session:
            filed = dict(session.execute(select(SyncRunArchive.record_id, SyncRunArchive.school_id)).all())
            assert filed == {"st-1": "sch-a", "co-1": "sch-a", "gone": None, "sch-a": None}
            run = session.get(SyncRun, "run-1")
            assert run is not None and run.counts_by_school is None  # "not recorded"
            # sent again on the feed (same version), so caches holding district counts get the narrowed run
            assert (run.seq, run.version) == (5, 1)
            assert (session.scalar(select(FeedCounter.value)) or 0) >= 5  # the counter moved past it
    finally:
        sessions.kw["bind"].dispose()


def test_a_failed_run_and_preview_tell_school_admins_nothing_of_the_source(
    admins: Admins, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    use_source(sessions, tmp_path / "missing.zip")
    failed = admins.post("district", "sync/runs", {})["run"]
    assert failed["data"]["status"] == "failed" and "missing.zip" in failed["data"]["message"]
    seen = admins.get("A", f"sync/runs/{failed['id']}")["data"]
    assert seen["counts"] == {} and "missing.zip" not in seen["message"]
    assert seen["message"] == "The sync stopped without changing anything. A district admin can see why."
    preview = admins.post("A", "sync/preview")
    assert not preview["ok"] and preview["diagnostics"] == [] and "missing.zip" not in preview["message"]
    assert "missing.zip" in admins.post("district", "sync/preview")["message"]

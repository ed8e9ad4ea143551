"""The demo story on a seeded district: seed with packages, sync, roll over, held, approve.

Every expectation about what a run archives is computed independently from the
packages (read with the csv module) and checked against the seed's answer key.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.follow_on import REMOVED_WITH_CONTACT
from connect_server.cli_sync import add_sync_commands, run_sync_command
from connect_server.db import open_database
from connect_server.models import FeedCounter, SyncRunArchive, SyncSettings
from connect_server.scope import TABLES
from connect_server.syncing.config import load_source
from tests.server_sync.conftest import Demo, rows, state
from tests.server_sync.exports import source_ids, without_students

TYPES = ("school", "term", "staff", "student", "contact", "student_contact", "classroom", "enrollment")


def sync(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """`connect-server sync …`; the exit code and, for `--json` actions, the output."""
    parser = argparse.ArgumentParser(prog="connect-server")
    add_sync_commands(parser.add_subparsers(dest="command", required=True))
    capsys.readouterr()
    code = run_sync_command(parser.parse_args(["sync", *argv]))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv else {}


def tried(sessions: sessionmaker[Session], run_id: str) -> dict[str, set[str]]:
    """The record ids a run archived (or tried to), per type."""
    found: dict[str, set[str]] = {t: set() for t in TYPES}
    with sessions() as session:
        for type_, record_id in session.execute(
            select(SyncRunArchive.type, SyncRunArchive.record_id).where(SyncRunArchive.run_id == run_id)
        ):
            found[type_].add(record_id)
    return found


def rows_by_id(sessions: sessionmaker[Session], kind: str) -> list[Any]:
    with sessions() as session:
        return list(session.execute(select(TABLES[EntityType(kind)])))


def counter(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(FeedCounter.value)) or 0)


@pytest.fixture
def story(demo: Demo, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = demo.copy(tmp_path)
    sessions = open_database(url)
    yield url, sessions
    sessions.kw["bind"].dispose()


def test_the_rollover_story(demo: Demo, story, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    url, sessions = story
    # seeding with packages made current.zip the source
    with sessions() as session:
        source = load_source(session)
    assert source is not None and source.kind == "oneroster-csv"
    assert Path(source.config["path"]) == demo.current and Path(source.config["path"]).is_absolute()

    # 1. a sync from today's export changes nothing: no version bump, only the run's own seqs
    before, seq = state(sessions), counter(sessions)
    code, first = sync(capsys, "run", "--db", url, "--json")
    assert (code, first["status"]) == (0, "succeeded"), first["message"]
    done = [v for counts in first["counts"].values() for k, v in counts.items() if k != "planned"]
    assert all(v == 0 for v in done), first["counts"]
    assert state(sessions) == before
    assert counter(sessions) == seq + 2  # the run record: started, finished

    # 2. the SIS rolled over: the run is held, creates and updates apply, nothing is archived
    now, later = source_ids(demo.current), source_ids(demo.next_year)
    expected_gone = {t: now[t] - later[t] for t in TYPES}
    assert sync(capsys, "set-source", "--db", url, "oneroster-csv", str(demo.next_year))[0] == 0
    code, held = sync(capsys, "run", "--db", url, "--json")
    assert (code, held["status"]) == (3, "failed_threshold")
    counts = held["counts"]
    attempt = tried(sessions, held["id"])
    by_sid = {t: {r.source_id: r for r in rows(sessions, t).values() if r.origin == "sync"} for t in TYPES}
    planned_gone = {t: {by_sid[t][sid].id for sid in expected_gone[t]} for t in TYPES}
    # a contact that goes takes every family link to it along, also links the plan does not
    # archive (of archived students, or added by hand): the held list names them too
    with_contacts = {
        r.id
        for r in rows_by_id(sessions, "student_contact")
        if r.contact_id in attempt["contact"] and r.id not in planned_gone["student_contact"]
    }
    assert with_contacts, "the demo has links that go with their contact"
    for type_ in TYPES:
        also = len(with_contacts) if type_ == "student_contact" else 0
        assert counts[type_]["created"] == len(later[type_] - now[type_]), type_
        assert counts[type_]["archived"] == 0, type_
        assert counts[type_]["tried_to_archive"] == len(expected_gone[type_]) + also, type_
        assert counts[type_]["planned"]["removed_with_parent"] == also, type_
        assert "skipped" not in counts[type_], type_
    # every continuing student moved up a grade
    assert counts["student"]["updated"] == len(now["student"] & later["student"])
    for type_ in TYPES:
        also = with_contacts if type_ == "student_contact" else set()
        assert attempt[type_] == planned_gone[type_] | also, type_
    with sessions() as session:  # listed by name, saying why they go
        labels = session.scalars(
            select(SyncRunArchive.label).where(
                SyncRunArchive.run_id == held["id"], SyncRunArchive.record_id.in_(with_contacts)
            )
        ).all()
    assert len(labels) == len(with_contacts)
    assert all(label.endswith(REMOVED_WITH_CONTACT) and " of " in label for label in labels), labels[:3]
    # the answer key agrees: the synced graduates go, the synced staff who left go
    synced_students = {r.id for r in by_sid["student"].values()}
    assert attempt["student"] == set(demo.truth["graduating_students"]) & synced_students
    synced_staff = {r.id for r in by_sid["staff"].values()}
    assert set(demo.truth["staff_who_left"]) & synced_staff <= attempt["staff"]
    assert all(
        r.status == "active" for r in rows(sessions, "classroom").values() if r.id in attempt["classroom"]
    )

    # 3. approve this one run: exactly what it tried to archive is archived
    code, approved = sync(capsys, "run", "--db", url, "--approve-archives", "--json")
    assert (code, approved["status"]) == (0, "succeeded"), approved["message"]
    assert all(approved["counts"][t]["created"] == 0 for t in TYPES)
    assert tried(sessions, approved["id"]) == attempt
    for type_ in TYPES:
        assert approved["counts"][type_]["archived"] == len(attempt[type_]), type_
    assert not with_contacts & {r.id for r in rows_by_id(sessions, "student_contact")}
    students = rows(sessions, "student")
    assert all(students[sid].status == "archived" for sid in expected_gone["student"])
    assert not expected_gone["enrollment"] & set(rows(sessions, "enrollment"))
    with sessions() as session:
        assert session.scalar(select(SyncSettings.thresholds)) == {}  # the approval changed no setting

    # 4. the threshold still holds: a later export missing a fifth of the students is held again
    smaller = tmp_path / "smaller.zip"
    gone = without_students(demo.next_year, smaller, lambda sid: zlib.crc32(sid.encode()) % 5 == 0)
    assert sync(capsys, "set-source", "--db", url, "oneroster-csv", str(smaller))[0] == 0
    code, again = sync(capsys, "run", "--db", url, "--json")
    assert (code, again["status"]) == (3, "failed_threshold")
    assert again["counts"]["student"]["tried_to_archive"] == len(gone)
    assert all(again["counts"][t]["archived"] == 0 for t in TYPES)

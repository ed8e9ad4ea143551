"""The year-end commands of `connect-desktop` end to end, on the seeded demo district.

Signs in to the real server over loopback, downloads, plans and stages a clean-up,
sends it, writes reports, validates an export and previews the rollover.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from connect_desktop import cli
from connect_server.models import Classroom, Student
from tests.desktop.test_cli import run
from tests.support.demo import DEMO_AS_OF, Demo
from tests.support.server import LiveServer, make_database

DEMO_ADMIN = ("admin@demo.connect.test", "connect-demo-admin")


@pytest.fixture
def demo_server(demo: Demo, tmp_path: Path) -> Iterator[LiveServer]:
    sessions = make_database(demo.copy(tmp_path))
    try:
        with LiveServer(sessions) as server:
            yield server
    finally:
        sessions.kw["bind"].dispose()


@pytest.fixture
def signed_in(capsys: pytest.CaptureFixture[str], demo_server: LiveServer) -> LiveServer:
    email, password = DEMO_ADMIN
    args = ("login", "--server", demo_server.url, "--user", email, "--password-stdin")
    assert run(capsys, *args, stdin=password + "\n")[0] == cli.OK
    assert run(capsys, "sync")[0] == cli.OK
    return demo_server


def test_plan_stage_and_send_archives_exactly_the_ended_years_manual_classrooms(
    capsys: pytest.CaptureFixture[str], signed_in: LiveServer, demo: Demo
) -> None:
    as_of = DEMO_AS_OF.isoformat()
    code, out, _ = run(capsys, "plan", "classrooms", "--as-of", as_of, "--stage", "--json")
    assert code == cli.OK
    plan = json.loads(out)
    planned = {item["id"] for item in plan["items"]}
    assert planned == set(demo.truth["manual_classrooms_ended"])
    assert plan["count"] == len(planned)

    code, out, _ = run(capsys, "pending", "--json")
    pending = json.loads(out)
    assert code == cli.OK
    assert sum(1 for op in pending["operations"] if op["kind"] == "archive_classroom") == len(planned)

    assert run(capsys, "sync")[0] == cli.OK
    with signed_in.sessions() as session:
        archived = set(session.scalars(select(Classroom.id).where(Classroom.status == "archived")))
    assert planned <= archived
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["pending"].get("pending", 0) == 0


def test_deleting_students_needs_the_typed_phrase(
    capsys: pytest.CaptureFixture[str], signed_in: LiveServer
) -> None:
    args = ("plan", "students", "--rule", "withdrawn", "--action", "delete", "--stage")
    code, _, err = run(capsys, *args)
    assert code == cli.USAGE
    assert "--confirm" in err
    assert json.loads(run(capsys, "pending", "--json")[1])["operations"] == []
    with signed_in.sessions() as session:
        before = len(session.scalars(select(Student.id)).all())
    assert run(capsys, "sync")[0] == cli.OK
    with signed_in.sessions() as session:
        assert len(session.scalars(select(Student.id)).all()) == before


def test_reports_are_written_from_the_cache(
    capsys: pytest.CaptureFixture[str], signed_in: LiveServer, tmp_path: Path
) -> None:
    out_dir = tmp_path / "reports"
    code, out, _ = run(capsys, "report", "students", "--out", str(out_dir), "--quiet")
    assert code == cli.OK
    (path,) = [Path(line) for line in out.splitlines()]
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = [row for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)]
    finally:
        workbook.close()
    header = rows.index(next(row for row in rows if row and row[0] == "Student number"))
    ids_column = rows[header].index("Connect ID")
    reported = [row[ids_column] for row in rows[header + 1 :]]
    with signed_in.sessions() as session:
        students = set(session.scalars(select(Student.id)))
    assert sorted(reported) == sorted(students)  # every student, exactly once
    # Asking again does not overwrite silently.
    code, _, err = run(capsys, "report", "students", "--out", str(out_dir), "--quiet")
    assert code == 1
    assert "exists" in err.lower()


def test_validate_and_preview_rollover_of_next_years_export(
    capsys: pytest.CaptureFixture[str], signed_in: LiveServer, demo: Demo
) -> None:
    code, out, _ = run(capsys, "validate", str(demo.next_year), "--json")
    assert code == cli.OK
    assert json.loads(out)["errors"] == []

    code, out, _ = run(
        capsys, "preview-rollover", str(demo.next_year), "--today", DEMO_AS_OF.isoformat(), "--json"
    )
    assert code == cli.OK
    preview = json.loads(out)
    assert preview["held"] is True
    students = preview["types"]["student"] if "types" in preview else preview["student"]
    with signed_in.sessions() as session:
        synced_graduates = set(
            session.scalars(
                select(Student.id).where(
                    Student.id.in_(demo.truth["graduating_students"]), Student.origin == "sync"
                )
            )
        )
    assert students["archive"] == len(synced_graduates) > 0
    assert students["held"] is True


def test_validate_reports_a_broken_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.csv").write_text("propertyName,value\nmanifest.version,1.0\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(broken), "--json")
    assert code == 1
    assert json.loads(out)["errors"]

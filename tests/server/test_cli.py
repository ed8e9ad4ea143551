"""`connect-server`: users add, seed and serve, with plain errors and exit codes."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from connect_server.cli import main
from connect_server.models import User
from connect_server.security import verify_password
from tests.support.records import RecordBuilder
from tests.support.server import make_database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(argv: list[str], stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    assert monkeypatch is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(argv)


def test_users_add_creates_a_user_who_can_sign_in(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = make_database(sqlite_db)
    school = RecordBuilder(sessions).school()
    argv = ["users", "add", "--db", sqlite_db, "--email", "Head@School.example", "--role", "school_admin",
            "--school", school["id"], "--name", "Head", "--password-stdin"]  # fmt: skip
    assert run(argv, "s3cret pass\n", monkeypatch) == 0
    assert capsys.readouterr().out.startswith("Added user ")
    with sessions() as session:
        user = session.scalars(select(User)).one()
    assert (user.email, user.role, user.school_ids, user.display_name) == (
        "head@school.example",
        "school_admin",
        [school["id"]],
        "Head",
    )
    assert verify_password(user.password_hash, "s3cret pass")
    assert run(argv, "again\n", monkeypatch) == 1
    assert "already exists" in capsys.readouterr().err
    sessions.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "janitor"], "Unknown role 'janitor'"),
        (["--role", "school_admin", "--school", "no-such-school"], "No school with id no-such-school"),
        (["--role", "school_admin"], "needs at least one school"),
    ],
)
def test_users_add_explains_bad_input_with_exit_2(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], extra: list[str],
    message: str
) -> None:  # fmt: skip
    argv = ["users", "add", "--db", sqlite_db, "--email", "x@example.org", *extra, "--password-stdin"]
    assert run(argv, "pw\n", monkeypatch) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_and_unreachable_databases_are_plain_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CONNECT_SERVER_DB", raising=False)
    base = ["users", "add", "--email", "x@example.org", "--role", "district_admin", "--password-stdin"]
    assert run(base, "pw\n", monkeypatch) == 2
    assert "No database given" in capsys.readouterr().err
    unreachable = "postgresql+psycopg://nobody:secret@127.0.0.1:1/connect"
    assert run([*base, "--db", unreachable], "pw\n", monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.startswith("connect-server: Cannot open the database")
    assert "secret" not in err and "Traceback" not in err


def test_db_defaults_to_the_environment(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONNECT_SERVER_DB", sqlite_db)
    argv = ["users", "add", "--email", "d@example.org", "--role", "district_admin", "--password-stdin"]
    assert run(argv, "pw\n", monkeypatch) == 0


def test_seed_calls_the_seeder_and_prints_its_summary(
    sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Any, ...]] = []

    class Summary:
        def describe(self) -> str:
            return "Seeded 12 students"

    def seed_district(*args: Any) -> Summary:
        calls.append(args)
        return Summary()

    monkeypatch.setitem(
        sys.modules, "connect_server.seed", types.SimpleNamespace(seed_district=seed_district)
    )
    argv = ["seed", "--db", sqlite_db, "--students", "12", "--seed", "7", "--truth", str(tmp_path / "t.json"),
            "--as-of", "2026-06-15"]  # fmt: skip
    assert run(argv, "", monkeypatch) == 0
    assert capsys.readouterr().out.strip() == "Seeded 12 students"
    assert calls == [(sqlite_db, 12, 7, tmp_path / "t.json", None, dt.date(2026, 6, 15))]


def test_serve_prints_its_url_and_answers(sqlite_db: str) -> None:
    command = [sys.executable, "-c", "import sys; from connect_server.cli import main; sys.exit(main())",
               "serve", "--db", sqlite_db, "--port", "0"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("Connect server listening on http://127.0.0.1:")
            api = line.rsplit(" ", 1)[1]
            assert api.endswith("/api/v1")
            assert httpx.get(api + "/me", timeout=30).status_code == 401
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()

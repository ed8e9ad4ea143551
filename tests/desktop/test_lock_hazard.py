"""SQLite's lock hazard ("How To Corrupt An SQLite Database File", §2.2), and how the app avoids it.

SQLite's POSIX advisory locks belong to a process: when code in a process that holds a
database opens and closes the file by other means (a file dialog sniffing it, a copy, a
hash), the process loses its locks. Another process closing the database then believes it
is the last user: it checkpoints and deletes the live WAL under the holder, whose writes
from then on go to a deleted file and are later written back over the other's.
Windows locks per handle, so there the hazard does not exist and nothing is lost either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

from connect_desktop.api.schema import API_PREFIX
from connect_desktop.store.db import backup_file, open_cache
from connect_server.db import open_database
from tests.support.server import LiveServer, add_user, make_database
from ui.demo import DemoLayout, start_demo

POSIX_LOCKS = os.name != "nt"
TIMEOUT_S = 120

HOLDER = r"""
import sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t (x TEXT)")
print("ready", flush=True)
for line in sys.stdin:
    command, _, value = line.strip().partition(" ")
    if command == "write":
        db.execute("INSERT INTO t VALUES (?)", (value,))
    elif command == "sniff":  # what a file dialog's preview, a copy or a hash does
        with open(path, "rb") as file:
            file.read(4096)
    print("done", flush=True)
db.close()
"""
READ_AND_CLOSE = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('SELECT 1 FROM t').fetchall(); db.close()"  # noqa: E501
WRITE_AND_CLOSE = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], isolation_level=None); db.execute('INSERT INTO t VALUES (?)', (sys.argv[2],)); db.close()"  # noqa: E501
ROWS = "import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(json.dumps(sorted(r[0] for r in db.execute('SELECT x FROM t')))); db.close()"  # noqa: E501
SERVER_STATE = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(json.dumps({
    "check": db.execute("PRAGMA integrity_check").fetchone()[0],
    "version": db.execute("SELECT version FROM sync_settings").fetchone()[0],
    "users": sorted(row[0] for row in db.execute("SELECT email FROM app_user")),
}))
db.close()
"""


def python(code: str, *args: str, stdin: str | None = None) -> str:
    """Run `code` in a new Python process; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wal(database: Path) -> Path:
    return Path(f"{database}-wal")


def sniff(database: Path) -> None:
    """In this process: open and close the database file as a file dialog or a copy would."""
    with database.open("rb") as file:
        file.read(4096)


class Holder:
    """Process A: holds a WAL database open and writes to it when told."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def send(self, command: str) -> None:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()
        assert self._line() == "done"

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=TIMEOUT_S)
        self.process.stdout.close()
        assert code == 0


def story(database: Path, *, sniffed: bool) -> tuple[list[str], bool]:
    """A writes, (sniffs,) B reads and closes, both write; the rows after all closed, and
    whether the live WAL survived B's close."""
    with Holder(database) as a:
        a.send("write a1")
        if sniffed:
            a.send("sniff")
        python(READ_AND_CLOSE, str(database))
        wal_kept = wal(database).exists()
        a.send("write a2")
        python(WRITE_AND_CLOSE, str(database), "b1")
        a.send("write a3")
    return json.loads(python(ROWS, str(database))), wal_kept


def test_a_process_that_opens_its_database_by_other_means_lets_another_process_write_be_lost(
    tmp_path: Path,
) -> None:
    assert story(tmp_path / "plain.db", sniffed=False) == (["a1", "a2", "a3", "b1"], True)
    rows, wal_kept = story(tmp_path / "sniffed.db", sniffed=True)
    if POSIX_LOCKS:
        assert not wal_kept, "B found no other user and deleted the live WAL under A"
        assert rows == ["a1", "a2", "a3"], "B's committed write was overwritten by A's checkpoint"
    else:
        assert (rows, wal_kept) == (["a1", "a2", "a3", "b1"], True)


# -- the server and the cache, as the product runs them ------------------------------------


def connect_server(*args: str, stdin: str | None = None) -> None:
    """`connect-server ARGS` in a process of its own: it opens and closes the database."""
    python(
        "import sys; from connect_server.cli import main; sys.exit(main(sys.argv[1:]))", *args, stdin=stdin
    )


def server_state(database: Path) -> dict[str, Any]:
    """The database as a new process sees it."""
    return json.loads(python(SERVER_STATE, str(database)))


@dataclass
class Acknowledged:
    """What the server and the other processes said they wrote."""

    version: int
    users: list[str]
    wal_kept: list[bool]


def exercise(url: str, database: Path, email: str, password: str, rounds: int = 2) -> Acknowledged:
    """Each round: this process opens and closes the server's database file as a file dialog
    would, `connect-server sync runs` opens and closes it, the server changes the sync
    settings (over HTTP), and `connect-server users add` adds a user."""
    http = requests.Session()
    answer = http.post(f"{url}{API_PREFIX}/auth/token", json={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    settings = http.get(f"{url}{API_PREFIX}/sync/settings").json()
    db_url = f"sqlite:///{database}"
    done = Acknowledged(settings["version"], [], [])
    daily = bool(settings["data"]["daily_sync"])
    for round_ in range(rounds):
        sniff(database)
        connect_server("sync", "runs", "--db", db_url)
        done.wal_kept.append(wal(database).exists())
        daily = not daily
        op = {
            "op_id": str(uuid.uuid4()),
            "kind": "update_sync_settings",
            "target": {"type": "sync_settings", "id": settings["id"], "version": done.version},
            "params": {"daily_sync": daily},
        }
        [result] = http.post(f"{url}{API_PREFIX}/operations", json={"operations": [op]}).json()["results"]
        assert result["status"] == "applied", result
        done.version = result["records"][0]["version"]
        done.users.append(f"clerk{round_}@district.test")
        connect_server(
            "users", "add", "--db", db_url, "--email", done.users[-1], "--role", "district_admin",
            "--password-stdin", stdin="clerk password 123\n",
        )  # fmt: skip
    http.close()
    return done


def test_the_demo_server_in_its_own_process_loses_nothing_when_the_app_opens_its_file(
    tmp_path: Path,
) -> None:
    district = start_demo(tmp_path / "demo", students=50)
    database = DemoLayout(district.folder).database
    try:
        assert district.pid != os.getpid()
        done = exercise(district.url, database, district.email, district.password)
        assert done.wal_kept == [True, True], "the live WAL stays under the running server"
        running = server_state(database)
        assert running["check"] == "ok"
        assert running["version"] == done.version, "the server's writes are seen by other processes"
        assert set(done.users) <= set(running["users"])
    finally:
        district.stop()
    stopped = server_state(database)
    assert stopped["check"] == "ok"
    assert stopped["version"] == done.version
    assert set(done.users) <= set(stopped["users"])


def test_with_the_server_in_the_app_process_the_same_check_finds_the_hazard(tmp_path: Path) -> None:
    """The layout the demo had before: the check above can fail."""
    database = tmp_path / "server.db"
    sessions = make_database(f"sqlite:///{database}")
    add_user(sessions, "admin@district.test", "district_admin", "admin password 123")
    with LiveServer(sessions) as server:
        done = exercise(server.url, database, "admin@district.test", "admin password 123")
        running = server_state(database)
    sessions.kw["bind"].dispose()
    if POSIX_LOCKS:
        assert done.wal_kept[0] is False, "the live WAL was deleted under the running server"
        assert running["version"] < done.version, "an acknowledged write was invisible to others"
    else:
        assert done.wal_kept == [True, True] and running["version"] == done.version


def held_wal_survives_another_process(database: Path) -> bool:
    """While this process holds `database`, another process reads and closes it: is the WAL kept?"""
    connect = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA user_version').fetchall(); db.close()"  # noqa: E501
    python(connect, str(database))
    return wal(database).exists()


def test_opening_and_backing_up_a_cache_this_process_holds_keeps_its_locks(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    with open_cache(path) as held:
        with held.raw() as connection:
            connection.execute("PRAGMA user_version").fetchall()
        assert held_wal_survives_another_process(path)
        with open_cache(path) as second, second.raw() as connection:  # e.g. a background task's
            connection.execute("PRAGMA user_version").fetchall()
        backup_file(path, tmp_path / "backup.sqlite3")
        assert held_wal_survives_another_process(path)
        sniff(path)  # the control: what opening the file by other means does
        assert held_wal_survives_another_process(path) is not POSIX_LOCKS


def test_opening_a_server_database_this_process_holds_again_keeps_its_locks(tmp_path: Path) -> None:
    database = tmp_path / "server.db"
    held = open_database(f"sqlite:///{database}")
    try:
        with held() as session:
            session.connection().exec_driver_sql("SELECT 1").fetchall()
        open_database(f"sqlite:///{database}").kw["bind"].dispose()
        assert held_wal_survives_another_process(database)
    finally:
        held.kw["bind"].dispose()

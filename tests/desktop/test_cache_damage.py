"""A damaged cache file: a plain message on every command, and a rescue that keeps the staged changes.

Each test signs in, downloads, stages changes, then damages the closed cache file the way
disks, copies and other programs do: garbage over the whole file or over pages in the
middle, zeroed pages, a cut-off end, a zero-length file, another program's database, a
cache of a newer version.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from connect_desktop import cli
from connect_desktop import session as accounts
from connect_desktop.settings import load_account
from connect_desktop.store.db import open_cache
from connect_desktop.store.errors import CacheDamagedError, CacheTooNewError
from connect_desktop.store.salvage import salvage
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District
from tests.desktop.serverdata import add_students, cache_snapshot, server_snapshot
from tests.desktop.test_cli import login, login_run, run
from tests.support.server import LiveServer

PAGE = 4096
OUTBOX = (
    "pending_operation",
    "sqlite_autoindex_pending_operation_1",
    "ix_pending_state",
    "ix_pending_target",
)
COMMANDS = (("status",), ("pending",), ("report", "archive", "--out", "reports"), ("sync",))


def _staged_cache(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> tuple[Path, list[str]]:
    """A signed-in, downloaded cache with three staged changes, closed; (its path, their op_ids)."""
    add_students(live_server.sessions, district.schools[0]["id"], 400)
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync", "--pull-only")[0] == cli.OK
    op_ids = []
    for student in district.students[:3]:
        code, out, err = run(capsys, "stage", "archive_student", "--id", student["id"], "--json")
        assert code == cli.OK, err
        op_ids.append(json.loads(out)["op_id"])
    account = load_account()
    assert account is not None
    path = account.cache_path
    assert not Path(f"{path}-wal").exists()  # closed and checkpointed: the file is all there is
    return path, op_ids


def _pages(path: Path) -> dict[str, set[int]]:
    """Which pages each table and index of a healthy cache uses (SQLite's dbstat)."""
    connection = sqlite3.connect(path)
    try:
        pages: dict[str, set[int]] = {}
        for name, page in connection.execute("SELECT name, pageno FROM dbstat"):
            pages.setdefault(name, set()).add(page)
        return pages
    finally:
        connection.close()


def _middle_pages(path: Path) -> list[int]:
    """Pages of downloaded records in the middle third of the file (never the outbox's or schema's)."""
    pages = _pages(path)
    kept = set().union(*(pages.get(name, set()) for name in (*OUTBOX, "sqlite_schema")))
    total = path.stat().st_size // PAGE
    middle = [
        page
        for name, numbers in pages.items()
        if name not in (*OUTBOX, "sqlite_schema")
        for page in numbers
        if total // 3 <= page <= 2 * total // 3 and page not in kept
    ]
    assert len(middle) >= 8, "the cache is too small for this test"
    return sorted(middle)


def _overwrite(path: Path, pages: list[int], fill: Callable[[int], bytes]) -> None:
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * PAGE : page * PAGE] = fill(PAGE)
    path.write_bytes(bytes(data))


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _garbage_in_the_middle(path: Path) -> None:
    _overwrite(path, _middle_pages(path), os.urandom)


def _zeroed_in_the_middle(path: Path) -> None:
    _overwrite(path, _middle_pages(path), bytes)


def _header_zeroed(path: Path) -> None:
    _overwrite(path, [1], bytes)  # the SQLite header and the start of the schema: only a page scan helps


def _truncated(path: Path) -> None:
    pages = _pages(path)
    needed = max(max(pages[name]) for name in (*OUTBOX, "sqlite_schema"))
    size = path.stat().st_size
    cut = max(needed * PAGE, size // 2)
    assert cut < size - 4 * PAGE
    os.truncate(path, cut)


def _emptied(path: Path) -> None:
    os.truncate(path, 0)


def _foreign(path: Path) -> None:
    path.unlink()
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, caption TEXT)")
    other.execute("INSERT INTO photo (caption) VALUES ('summer')")
    other.commit()
    other.close()


def _newer(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()


KEEPS = {  # damage → (what the message says, the staged changes can be read back)
    "garbage in the middle": (_garbage_in_the_middle, "damaged", True),
    "zeroed pages in the middle": (_zeroed_in_the_middle, "damaged", True),
    "header zeroed": (_header_zeroed, "damaged", True),
    "end cut off": (_truncated, "damaged", True),
    "newer version": (_newer, "newer version", True),
    "garbage": (_garbage, "damaged", False),
    "zero length": (_emptied, "empty file", False),
    "another program's file": (_foreign, "another program", False),
}


def _staged(capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The op_ids `pending` lists as waiting to be sent."""
    code, out, err = run(capsys, "pending", "--json")
    assert code == cli.OK, err
    return {op["op_id"] for op in json.loads(out)["operations"] if op["state"] == "pending"}


@pytest.mark.parametrize("kind", list(KEEPS))
def test_a_damaged_cache_says_so_plainly_and_the_rescue_keeps_the_staged_changes(
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    district: District,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    damage, words, keeps = KEEPS[kind]
    monkeypatch.chdir(tmp_path)
    path, op_ids = _staged_cache(capsys, live_server, district)
    damage(path)
    damaged = path.read_bytes()
    in_the_middle = kind in ("garbage in the middle", "zeroed pages in the middle")

    for command in COMMANDS:
        code, _, err = run(capsys, *command)
        assert "Traceback" not in err
        if command == ("sync",) or not in_the_middle:
            assert code == cli.LOCAL_DATA, (command, err)
            assert words in err and "connect-desktop rescue" in err, err
        else:  # the damage is in pages these commands may not read
            assert code in (cli.OK, cli.LOCAL_DATA), err
    code, _, err = login_run(capsys, live_server)
    assert code == cli.LOCAL_DATA and "connect-desktop rescue" in err  # signing in reads every page
    assert path.read_bytes() == damaged  # refused, not "repaired" into a new empty account

    code, _, err = run(capsys, "rescue")
    assert code == cli.OK, err
    assert "set aside" in err and "connect-desktop sync" in err
    aside = next(path.parent.glob(f"{path.name}.damaged-*[0-9]"))
    assert aside.read_bytes() == damaged  # kept as it was, never deleted
    if keeps:
        saved = Path(err.split(" saved in ", 1)[1].split(".json", 1)[0] + ".json")
        assert {op["op_id"] for op in json.loads(saved.read_text())["operations"]} == set(op_ids)
        assert _staged(capsys) == set(op_ids)  # staged again in the new copy
    else:
        assert "No staged changes could be read" in err

    code, _, err = run(capsys, "sync")
    assert code == cli.OK, err
    account = load_account()
    assert account is not None
    with open_cache(account.cache_path) as cache:
        assert cache_snapshot(cache) == server_snapshot(live_server.sessions)
    if keeps:  # sent once the rest was downloaded again
        assert _staged(capsys) == set()
        with open_cache(account.cache_path) as cache, cache.raw() as raw:
            states = dict(raw.execute("SELECT op_id, state FROM pending_operation"))
            statuses = dict(raw.execute("SELECT id, status FROM student"))
        assert states == dict.fromkeys(op_ids, "applied")
        assert {statuses[s["id"]] for s in district.students[:3]} == {"archived"}


def test_a_healthy_cache_is_not_rescued(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    path, op_ids = _staged_cache(capsys, live_server, district)
    before = path.read_bytes()
    code, _, err = run(capsys, "rescue")
    assert code == cli.OK and "not damaged" in err
    assert path.read_bytes() == before and not list(path.parent.glob("*.damaged-*"))
    assert _staged(capsys) == set(op_ids)


def test_saved_changes_can_be_staged_again_once_and_only_into_their_account(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, tmp_path: Path
) -> None:
    path, op_ids = _staged_cache(capsys, live_server, district)
    _garbage_in_the_middle(path)
    saved = tmp_path / "my changes.json"
    code, _, err = run(capsys, "rescue", "--to", str(saved))
    assert code == cli.OK and str(saved) in err
    code, _, err = run(capsys, "rescue", "--restore", str(saved))  # again: nothing doubled
    assert code == cli.OK and "3 were there already" in err
    assert _staged(capsys) == set(op_ids)

    other = json.loads(saved.read_text())
    other["user_id"], other["email"] = "someone-else", "other@district.example"
    stranger = tmp_path / "theirs.json"
    stranger.write_text(json.dumps(other))
    code, _, err = run(capsys, "rescue", "--restore", str(stranger))
    assert code == cli.USAGE and "other@district.example" in err and "Traceback" not in err

    not_ours = tmp_path / "notes.json"
    not_ours.write_text('{"shopping": ["milk"]}')
    for bad in (not_ours, tmp_path / "missing.json"):
        code, _, err = run(capsys, "rescue", "--restore", str(bad))
        assert code == cli.USAGE and str(bad) in err and "Traceback" not in err
    assert _staged(capsys) == set(op_ids)

    assert run(capsys, "remove-local-data")[0] == cli.OK  # the damaged copy goes with the rest
    assert not list(path.parent.glob(f"{path.name}*"))


def test_signing_in_from_the_window_rescues_a_damaged_cache(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    """The GUI signs in with `rescue_damaged`: the way out its message points to."""
    path, op_ids = _staged_cache(capsys, live_server, district)
    _header_zeroed(path)
    with pytest.raises(CacheDamagedError):  # the command line's sign-in only refuses it
        accounts.login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    signed_in = accounts.login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD, rescue_damaged=True)
    assert signed_in.rescued is not None and "set aside" in signed_in.rescued.message
    assert signed_in.rescued.unsent == 3
    assert _staged(capsys) == set(op_ids)
    with open_cache(path) as cache, cache.raw() as raw:
        assert raw.execute("SELECT email FROM account").fetchone() == (ADMIN_EMAIL,)


def test_a_newer_cache_is_left_to_its_version_at_sign_in(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    path, _ = _staged_cache(capsys, live_server, district)
    _newer(path)
    before = path.read_bytes()
    with pytest.raises(CacheTooNewError):
        accounts.login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD, rescue_damaged=True)
    assert path.read_bytes() == before


def test_a_page_scan_reads_back_a_large_outbox_with_long_details(tmp_path: Path) -> None:
    """Hundreds of rows over many pages, some too long for one page: each comes back whole."""
    path = tmp_path / "cache.sqlite3"
    long = {"note": "é" * 5000}  # spills to overflow pages
    with open_cache(path) as cache, cache.raw() as raw:
        rows = [
            (
                str(uuid.uuid4()),
                "archive_student",
                "student",
                str(uuid.uuid4()),
                n,
                json.dumps(long if n % 50 == 0 else {"n": n}),
                "students",
                "2026-06-01 10:00:00.000000",
                "pending",
            )
            for n in range(300)
        ]
        raw.executemany(
            "INSERT INTO pending_operation (op_id, kind, target_type, target_id, base_version, params, step,"
            " created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        raw.commit()
    _header_zeroed(path)
    found = salvage(path)
    assert found.scanned and not found.complete
    assert {op["op_id"]: json.loads(op["params"]) for op in found.operations} == {
        row[0]: json.loads(row[5]) for row in rows
    }

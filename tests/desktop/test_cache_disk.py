"""A full disk or a read-only folder under the cache: a plain message, a consistent cache, and the
next run after the disk is fixed just works.

The app's data folder (`CONNECT_DESKTOP_HOME`, as the conftest sets it) is put on a real
small tmpfs (tests/support/small_disk.py) that fills up or is remounted read-only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from connect_desktop import cli
from connect_desktop.settings import load_account
from connect_desktop.store.db import alembic_config, current_revision, head_revision, make_engine, open_cache
from connect_desktop.store.paths import HOME_ENV
from connect_desktop.sync import pull
from connect_desktop.sync.pull import PAGE_SIZE_ENV
from tests.desktop.conftest import District
from tests.desktop.serverdata import add_students, cache_snapshot, server_snapshot
from tests.desktop.test_cli import login, run
from tests.support.server import LiveServer
from tests.support.small_disk import SmallDisk, small_disk

FULL = "The disk holding Connect Desktop's data"


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    """A 4 MB disk holding the app's data folder."""
    with small_disk(tmp_path / "small-disk", 4096) as mounted:
        monkeypatch.setenv(HOME_ENV, str(mounted.path / "home"))
        yield mounted
        mounted.read_only(False)


def _cache_path() -> Path:
    account = load_account()
    assert account is not None
    return account.cache_path


def _plain(err: str) -> None:
    assert "Traceback" not in err and "sqlite3" not in err and "OperationalError" not in err, err


def _cache_equals_server(live_server: LiveServer) -> None:
    with open_cache(_cache_path()) as cache:
        assert cache_snapshot(cache) == server_snapshot(live_server.sessions)


def _integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def _staged(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run(capsys, "pending", "--json")
    assert code == cli.OK, err
    return [op["op_id"] for op in json.loads(out)["operations"] if op["state"] in ("pending", "sending")]


def test_a_pull_that_fills_the_disk_stops_plainly_and_the_next_one_completes(
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    district: District,
    disk: SmallDisk,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PAGE_SIZE_ENV, "250")
    monkeypatch.setattr(pull, "COMMIT_EVERY_RECORDS", 250)  # every page committed: the disk fills mid-way
    add_students(live_server.sessions, district.schools[0]["id"], 3000)
    assert login(capsys, live_server) == cli.OK
    disk.fill(leave=600 * 1024)  # far less than the download needs
    code, _, err = run(capsys, "sync", "--pull-only")
    assert code == cli.LOCAL_DATA
    assert FULL in err and "is full" in err and "Nothing was lost" in err
    _plain(err)
    code, out, err = run(capsys, "status", "--json")  # still full: the cache opens, reads what it has
    assert code == cli.OK, err
    assert 0 < json.loads(out)["counts"]["student"] < len(district.students) + 3000
    disk.free()
    assert _integrity(_cache_path()) == "ok"
    code, _, err = run(capsys, "sync")
    assert code == cli.OK, err
    _cache_equals_server(live_server)


def test_staging_on_a_full_disk_is_refused_plainly_and_works_once_there_is_space(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, disk: SmallDisk
) -> None:
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync")[0] == cli.OK
    student = district.students[0]["id"]
    disk.fill()
    code, _, err = run(capsys, "stage", "archive_student", "--id", student)
    assert code == cli.LOCAL_DATA and FULL in err and "Free some space" in err
    _plain(err)
    disk.free()
    assert _staged(capsys) == []  # nothing half-staged
    code, out, err = run(capsys, "stage", "archive_student", "--id", student)
    assert code == cli.OK, err
    assert _staged(capsys) == [out.strip()]
    assert run(capsys, "sync")[0] == cli.OK
    assert _staged(capsys) == []
    _cache_equals_server(live_server)


def test_a_push_on_a_full_disk_loses_nothing_and_the_next_one_sends_once(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, disk: SmallDisk
) -> None:
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync")[0] == cli.OK
    op_ids = [
        run(capsys, "stage", "archive_student", "--id", s["id"])[1].strip() for s in district.students[:4]
    ]
    disk.fill()
    # The push's bookkeeping (rows marked `sending` before they go out) cannot be written.
    code, _, err = run(capsys, "sync", "--push-only")
    assert code == cli.LOCAL_DATA and FULL in err
    _plain(err)
    disk.free()
    assert sorted(_staged(capsys)) == sorted(op_ids)
    code, _, err = run(capsys, "sync")
    assert code == cli.OK, err
    assert "4 applied" in err
    assert _staged(capsys) == []
    _cache_equals_server(live_server)


def test_an_upgrade_on_a_full_disk_leaves_the_old_cache_as_it_was(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, disk: SmallDisk
) -> None:
    assert login(capsys, live_server) == cli.OK
    path = _cache_path()
    path.unlink()
    engine = make_engine(path)  # a cache of the first version, as an older program left it
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
    finally:
        engine.dispose()
    disk.fill()
    code, _, err = run(capsys, "status")
    assert code == cli.LOCAL_DATA and FULL in err
    _plain(err)
    assert not list(path.parent.glob("*.bak-*"))  # no half-written backup left behind
    disk.free()
    engine = make_engine(path)
    try:
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()
    assert run(capsys, "sync")[0] == cli.OK
    with open_cache(path) as cache:
        assert current_revision(cache.engine) == head_revision()
    _cache_equals_server(live_server)


def test_a_read_only_folder_is_reported_plainly_and_writes_work_once_it_is_writable(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, disk: SmallDisk
) -> None:
    add_students(live_server.sessions, district.schools[0]["id"], 50)
    assert login(capsys, live_server) == cli.OK
    assert run(capsys, "sync")[0] == cli.OK
    add_students(live_server.sessions, district.schools[1]["id"], 50, prefix="Late")
    disk.read_only()
    code, out, err = run(capsys, "status", "--json")  # reading needs no writes
    assert code == cli.OK, err
    assert json.loads(out)["counts"]["student"] == len(district.students) + 50
    for args in (("sync",), ("stage", "archive_student", "--id", district.students[0]["id"])):
        code, _, err = run(capsys, *args)
        assert code == cli.LOCAL_DATA and "read-only" in err and "Nothing was lost" in err, err
        _plain(err)
    disk.read_only(False)
    assert _staged(capsys) == []
    assert run(capsys, "sync")[0] == cli.OK
    _cache_equals_server(live_server)


def test_a_new_cache_on_a_full_disk_is_not_left_half_made(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, disk: SmallDisk
) -> None:
    assert login(capsys, live_server) == cli.OK
    path = _cache_path()
    path.unlink()
    disk.fill()
    code, _, err = run(capsys, "sync")
    assert code == cli.LOCAL_DATA and FULL in err
    _plain(err)
    assert not path.exists() and not list(path.parent.glob(f"{path.name}*"))
    disk.free()
    assert run(capsys, "sync")[0] == cli.OK
    _cache_equals_server(live_server)

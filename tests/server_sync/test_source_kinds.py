"""Every source kind `sync set-source` offers, set up and synced through the real CLI.

Each kind serves the district of tests/rostering/district.py (a CSV package, a Clever
upload, or a loopback SIS); after `set-source` and `sync run` the server must hold that
district's people, classrooms and enrollments. A source that cannot be read is refused
by `set-source` and nothing is saved.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.cli import main
from connect_server.models import SyncSettings, SyncSourceSecret
from tests.rostering.district import CLASSES, ENROLLMENTS, USERS, oneroster_files, write_folder, write_zip
from tests.rostering.providers import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN,
    CleverProvider,
    OneRosterProvider,
    clever_csv_files,
)
from tests.server_sync.conftest import rows

SourceArgs = Callable[[Path], Iterator[list[str]]]
STAFF_ROLES = ("teacher", "districtAdministrator")
CONTACT_ROLES = ("parent", "guardian", "relative")


@contextmanager
def oneroster_zip(tmp_path: Path) -> Iterator[list[str]]:
    yield ["oneroster-csv", str(write_zip(tmp_path / "district.zip", oneroster_files("1.2")))]  # type: ignore[arg-type]


@contextmanager
def oneroster_11_folder(tmp_path: Path) -> Iterator[list[str]]:
    yield ["oneroster-csv", str(write_folder(tmp_path / "export-1.1", oneroster_files("1.1")))]  # type: ignore[arg-type]


@contextmanager
def clever_folder(tmp_path: Path) -> Iterator[list[str]]:
    yield ["clever-csv", str(write_folder(tmp_path / "clever", clever_csv_files()))]  # type: ignore[arg-type]


@contextmanager
def oneroster_12_server(tmp_path: Path) -> Iterator[list[str]]:
    with OneRosterProvider("1.2") as sis:
        url = sis.url + "/ims/oneroster/rostering/v1p2"
        yield ["oneroster-rest", url, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]


@contextmanager
def classlink_server(tmp_path: Path) -> Iterator[list[str]]:
    """OneRoster 1.1 that accepts only OAuth 1.0a HMAC-SHA256 signatures, given by its root URL."""
    with OneRosterProvider("1.1") as sis:
        yield ["classlink", sis.url, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]


@contextmanager
def clever_server(tmp_path: Path) -> Iterator[list[str]]:
    with CleverProvider() as clever:
        yield ["clever-api", "--token", TOKEN, "--api-url", clever.url]


KINDS = [
    pytest.param(oneroster_zip, id="oneroster-csv-zip"),
    pytest.param(oneroster_11_folder, id="oneroster-csv-1.1-folder"),
    pytest.param(clever_folder, id="clever-csv"),
    pytest.param(oneroster_12_server, id="oneroster-rest"),
    pytest.param(classlink_server, id="classlink"),
    pytest.param(clever_server, id="clever-api"),
]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run `connect-server ARGV` in-process; the exit code and everything it printed."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def stored(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """The saved source and the settings record that shows it."""
    with sessions() as session:
        secret = session.execute(select(SyncSourceSecret.kind, SyncSourceSecret.config)).all()
        settings = session.execute(
            select(SyncSettings.source_kind, SyncSettings.source_label, SyncSettings.version)
        ).all()
    return [tuple(r) for r in secret], [tuple(r) for r in settings]


def district_on_server(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """What the server holds, keyed by source ids; enrollments as (class, person) pairs."""
    students, staff = rows(sessions, "student"), rows(sessions, "staff")
    classrooms, contacts = rows(sessions, "classroom"), rows(sessions, "contact")
    person = {r.id: sid for sid, r in (*students.items(), *staff.items())}
    classroom = {r.id: sid for sid, r in classrooms.items()}
    return {
        "student": {sid: (r.first_name, r.last_name) for sid, r in students.items()},
        "staff": {sid: (r.first_name, r.last_name) for sid, r in staff.items()},
        "contact": {sid: (r.first_name, r.last_name) for sid, r in contacts.items()},
        "classroom": {sid: r.name for sid, r in classrooms.items()},
        "enrollment": {
            (classroom[r.classroom_id], person[r.person_id]) for r in rows(sessions, "enrollment").values()
        },
    }


EXPECTED = {
    "student": {u[0]: (u[3], u[4]) for u in USERS if u[1] == "student"},
    "staff": {u[0]: (u[3], u[4]) for u in USERS if u[1] in STAFF_ROLES},
    "contact": {u[0]: (u[3], u[4]) for u in USERS if u[1] in CONTACT_ROLES},
    "classroom": {c[0]: c[1] for c in CLASSES},
    "enrollment": {(klass, user) for _e, klass, _s, user, _r in ENROLLMENTS},
}


@pytest.mark.parametrize("source", KINDS)
def test_each_kind_syncs_the_district(
    source: SourceArgs,
    db_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with source(tmp_path) as args:
        code, said = cli(capsys, "sync", "set-source", "--db", db_url, *args)
        assert code == 0, said
        assert "Sync source set: " + args[0] in said
        assert CLIENT_SECRET not in said and TOKEN not in said
        [(kind, _config)], [(shown_kind, label, _version)] = stored(sessions)
        assert kind == shown_kind == args[0]
        assert CLIENT_SECRET not in label and TOKEN not in label

        code, said = cli(capsys, "sync", "run", "--db", db_url, "--json")
        assert code == 0, said
        run = json.loads(said)
        assert run["status"] == "succeeded", run["message"]
        assert district_on_server(sessions) == EXPECTED

        code, said = cli(capsys, "sync", "run", "--db", db_url, "--json")  # the same source again
        assert code == 0, said
        counts = json.loads(said)["counts"].values()
        assert all(not any(v for k, v in c.items() if k != "planned") for c in counts)


def crc_broken_zip(path: Path) -> Path:
    """A package whose users.csv no longer matches its CRC (as a cut-short copy or bad disk gives)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, text in oneroster_files("1.2").items():
            archive.writestr(name, text)
    data = path.read_bytes()
    assert data.count(b"Archer") == 1  # only in users.csv, stored uncompressed
    path.write_bytes(data.replace(b"Archer", b"Archex"))
    return path


def refuses(
    capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session], db_url: str, *args: str
) -> str:
    """Run a set-source that must be refused without changing what is stored; what it said."""
    before = stored(sessions)
    code, said = cli(capsys, "sync", "set-source", "--db", db_url, *args)
    assert code != 0, said
    assert "Traceback" not in said
    assert stored(sessions) == before
    return said


def test_unreadable_files_are_refused(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_zip(tmp_path / "good.zip", oneroster_files("1.2"))  # type: ignore[arg-type]
    assert cli(capsys, "sync", "set-source", "--db", db_url, "oneroster-csv", str(good))[0] == 0

    said = refuses(capsys, sessions, db_url, "oneroster-csv", str(tmp_path / "missing.zip"))
    assert "missing.zip does not exist" in said

    said = refuses(capsys, sessions, db_url, "oneroster-csv", str(crc_broken_zip(tmp_path / "bad.zip")))
    assert "bad.zip is damaged" in said and "users.csv" in said and "Nothing was saved" in said

    notes = tmp_path / "notes.zip"
    notes.write_text("not a zip at all")
    assert "neither a zip file nor a folder" in refuses(capsys, sessions, db_url, "clever-csv", str(notes))

    clever = write_folder(tmp_path / "clever", clever_csv_files())  # type: ignore[arg-type]
    said = refuses(capsys, sessions, db_url, "oneroster-csv", str(clever))
    assert "looks like a Clever CSV upload" in said and "clever-csv" in said

    files = clever_csv_files()
    del files["sections.csv"]
    said = refuses(capsys, sessions, db_url, "clever-csv", str(write_folder(tmp_path / "part", files)))  # type: ignore[arg-type]
    assert "sections.csv is not in the upload" in said

    files = oneroster_files("1.2")
    del files["roles.csv"]
    said = refuses(capsys, sessions, db_url, "oneroster-csv", str(write_zip(tmp_path / "noroles.zip", files)))  # type: ignore[arg-type]
    assert "roles.csv" in said


def test_servers_that_refuse_the_credentials_are_refused(
    db_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "wrong-secret-123"
    with OneRosterProvider("1.2") as v12, OneRosterProvider("1.1") as v11, CleverProvider() as clever:
        for args in (
            ["oneroster-rest", v12.url, "--client-id", CLIENT_ID, "--client-secret", wrong],
            ["classlink", v11.url, "--client-id", CLIENT_ID, "--client-secret", wrong],
        ):
            said = refuses(capsys, sessions, db_url, *args)
            assert "rejected the client id/secret" in said and wrong not in said
        said = refuses(capsys, sessions, db_url, "clever-api", "--token", wrong, "--api-url", clever.url)
        assert "Clever rejected the API token" in said and wrong not in said
        # a 1.2 client pointed at a 1.1 address is told which kind to use
        said = refuses(capsys, sessions, db_url, "oneroster-rest", v11.url + "/ims/oneroster/v1p1",
                       "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET)  # fmt: skip
        assert "is a OneRoster 1.1 address: set it up with `classlink`" in said
    assert stored(sessions)[0] == []  # no source was ever saved


def test_offline_server_is_refused_unless_no_check(
    db_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    with OneRosterProvider("1.1") as sis:
        offline = sis.url  # nothing listens there once the provider stopped
    args = ["classlink", offline, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    said = refuses(capsys, sessions, db_url, *args)
    assert "could not be reached" in said and "--no-check" in said
    code, said = cli(
        capsys, "sync", "set-source", *args, "--db", db_url, "--no-check"
    )  # options after the kind
    assert code == 0, said
    assert stored(sessions)[0] == [("classlink", {
        "url": offline, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "version": "1.1",
    })]  # fmt: skip
    code, said = cli(capsys, "sync", "run", "--db", db_url)
    assert code == 1 and "could not be reached" in said and "Traceback" not in said


def test_plain_http_to_another_host_is_refused(
    db_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    said = refuses(capsys, sessions, db_url, "oneroster-rest", "http://sis.example.org",
                   "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET)  # fmt: skip
    assert "https://" in said

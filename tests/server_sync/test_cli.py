"""`connect-server sync …` through `run_sync_command`: set-source, run --json, runs --json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.cli_sync import add_sync_commands, run_sync_command
from connect_server.models import SyncSettings, SyncSourceSecret
from tests.rostering.providers import CLIENT_ID, CLIENT_SECRET, OneRosterProvider
from tests.server_sync.package import District


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="connect-server")
    add_sync_commands(parser.add_subparsers(dest="command", required=True))
    return run_sync_command(parser.parse_args(["sync", *argv]))


def test_set_source_run_and_list_as_json(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = District().write(tmp_path / "current.zip")
    assert cli("set-source", "--db", db_url, "oneroster-csv", str(package)) == 0
    with sessions() as session:
        assert session.scalar(select(SyncSourceSecret.config))["path"] == str(package)
        assert session.scalar(select(SyncSettings.source_label)) == str(package)
    capsys.readouterr()
    assert cli("run", "--db", db_url, "--json") == 0
    run = json.loads(capsys.readouterr().out)
    assert run["status"] == "succeeded" and run["counts"]["student"]["created"] == 10
    assert set(run["counts"]["student"]) == {"created", "updated", "archived", "tried_to_archive", "planned"}
    District(students=range(5)).write(package)
    assert cli("run", "--db", db_url, "--json") == 3  # held
    held = json.loads(capsys.readouterr().out)
    assert held["status"] == "failed_threshold" and held["counts"]["student"]["tried_to_archive"] == 5
    assert cli("run", "--db", db_url, "--approve-archives") == 0
    assert "archived" in capsys.readouterr().out
    assert cli("runs", "--db", db_url, "--json") == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in runs] == ["succeeded", "failed_threshold", "succeeded"]
    assert runs[0]["approved_archives"] and runs[0]["counts"]["student"]["archived"] == 5


def test_preview_as_json_in_the_wire_shape(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = District().write(tmp_path / "current.zip")
    assert cli("set-source", "--db", db_url, "oneroster-csv", str(package)) == 0
    assert cli("run", "--db", db_url) == 0
    District(students=range(5)).write(package)
    capsys.readouterr()
    assert cli("preview", "--db", db_url, "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["held"] and body["held_types"] == ["student", "contact", "student_contact", "enrollment"]
    assert body["types"]["student"] == {
        "create": 0, "update": 0, "archive": 5, "unchanged": 5, "managed": 10, "threshold": 10.0,
        "archive_percent": 50.0, "paused": False, "in_source": True, "held": True,
        "moved_with_parent": 0, "removed_with_parent": 0,
    }  # fmt: skip


def test_rest_source_is_stored_and_runs(
    db_url: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    with OneRosterProvider("1.2") as provider:
        base = provider.url + "/ims/oneroster/rostering/v1p2"
        assert cli("set-source", "--db", db_url, "oneroster-rest", base,
                   "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET) == 0  # fmt: skip
        with sessions() as session:
            assert session.scalar(select(SyncSourceSecret.config))["client_secret"] == CLIENT_SECRET
            assert CLIENT_SECRET not in (session.scalar(select(SyncSettings.source_label)) or "")
        assert CLIENT_SECRET not in capsys.readouterr().out
        assert cli("run", "--db", db_url, "--json") == 0
        run = json.loads(capsys.readouterr().out)
        assert run["status"] == "succeeded" and run["counts"]["student"]["created"] == 4
        assert cli("set-source", "--db", db_url, "--no-check", "oneroster-rest", provider.url,
                   "--client-id", CLIENT_ID, "--client-secret", "wrong") == 0  # fmt: skip
        capsys.readouterr()
        assert cli("run", "--db", db_url, "--json") == 1
        assert "The SIS rejected the client id/secret" in json.loads(capsys.readouterr().out)["message"]
    assert cli("set-source", "--db", db_url, "oneroster-csv", "/no/such/file.zip") == 2

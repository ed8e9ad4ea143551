"""`connect-desktop validate` and `preview-rollover` through `run_rostering_command`."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, create_engine

from connect_desktop.rostering.cli import add_rostering_commands, run_rostering_command
from connect_desktop.store.models import CacheBase
from tests.rostering.district import oneroster_files, write_zip


def cli(*argv: str, open_cache: Callable[[], Connection] | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_rostering_commands(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    code = run_rostering_command(parser.parse_args(list(argv)), open_cache, out, err)
    return code, out.getvalue(), err.getvalue()


def good(tmp_path: Path) -> Path:
    return write_zip(tmp_path / "good.zip", dict(oneroster_files()))


def broken(tmp_path: Path) -> Path:
    files: dict[str, str | bytes] = dict(oneroster_files())
    files["classes.csv"] = files["classes.csv"].replace("sch-elem", "sch-nowhere", 1)  # type: ignore[union-attr]
    return write_zip(tmp_path / "broken.zip", files)


def empty_cache(tmp_path: Path) -> Callable[[], Connection]:
    engine = create_engine(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    CacheBase.metadata.create_all(engine)
    return engine.connect


def test_validate_a_good_package(tmp_path: Path) -> None:
    code, out, _ = cli("validate", str(good(tmp_path)), "--json")
    body = json.loads(out)
    assert code == 0 and body["errors"] == [] and body["counts"]["student"] > 0
    assert body["kind"].startswith("oneroster-")  # what validate recognised it as
    code, out, _ = cli("validate", str(good(tmp_path)))
    assert code == 0 and "0 errors" in out and "can be used" in out


def test_validate_a_broken_package(tmp_path: Path) -> None:
    code, out, _ = cli("validate", str(broken(tmp_path)), "--json")
    body = json.loads(out)
    assert code == 1 and body["errors"]
    assert set(body["errors"][0]) >= {"file", "row", "column", "message"}
    assert any(e["file"] == "classes.csv" and "sch-nowhere" in e["message"] for e in body["errors"])
    assert isinstance(body["warnings"], list)
    code, out, _ = cli("validate", str(broken(tmp_path)))
    assert code == 1 and "cannot be used" in out


def test_validate_a_file_that_is_no_package(tmp_path: Path) -> None:
    path = tmp_path / "not.zip"
    path.write_bytes(b"not a zip at all")
    code, out, _ = cli("validate", str(path), "--json")
    assert code == 1 and json.loads(out)["errors"]


def test_preview_against_the_cache(tmp_path: Path) -> None:
    code, out, _ = cli("preview-rollover", str(good(tmp_path)), "--json", open_cache=empty_cache(tmp_path))
    body = json.loads(out)
    assert code == 0 and body["ok"] and body["held"] is False and body["errors"] == []
    student = body["types"]["student"]
    assert set(student) >= {"create", "update", "archive", "managed", "threshold", "archive_percent", "held"}
    assert student["create"] > 0 and student["managed"] == 0 and student["threshold"] == 10.0
    code, out, _ = cli("preview-rollover", str(good(tmp_path)), open_cache=empty_cache(tmp_path))
    assert code == 0 and "would apply all" in out


def test_preview_of_a_broken_package_or_without_an_account(tmp_path: Path) -> None:
    code, out, _ = cli("preview-rollover", str(broken(tmp_path)), "--json", open_cache=empty_cache(tmp_path))
    body = json.loads(out)
    assert code == 1 and not body["ok"] and body["errors"] and body["types"] == {}
    code, _, err = cli("preview-rollover", str(good(tmp_path)))
    assert code == 2 and "Sign in" in err


def test_validate_piped_into_a_reader_that_stops_early_prints_no_traceback(tmp_path: Path) -> None:
    """`connect-desktop validate … | head -1`: the pipe closes before the output is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from connect_desktop import cli; sys.exit(cli.main())",
                "validate",
                str(broken(tmp_path)),
            ],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 0

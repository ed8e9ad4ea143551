"""`connect-desktop report NAME|all --out DIR`, run through its own argparse wiring."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connect_desktop.reports import REPORTS
from connect_desktop.reports.cli import add_report_command, run_report_command


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_report_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_report_command(parse(*argv), lambda: engine, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_report_all_writes_every_report_and_prints_paths(engine: Engine, out_dir: Path) -> None:
    code, out, err = run(engine, "report", "all", "--out", str(out_dir))
    assert (code, err) == (0, "")
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == len(REPORTS) and all(p.exists() for p in paths)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in paths)


def test_existing_file_is_exit_1_then_overwrite(engine: Engine, out_dir: Path) -> None:
    assert run(engine, "report", "staff", "--out", str(out_dir))[0] == 0
    code, out, err = run(engine, "report", "staff", "--out", str(out_dir))
    assert code == 1 and out == "" and "already exists" in err
    assert run(engine, "report", "staff", "--out", str(out_dir), "--overwrite")[0] == 0


def test_usage_errors_are_exit_2(engine: Engine, out_dir: Path) -> None:
    not_a_folder = out_dir / "file.txt"
    not_a_folder.write_text("x")
    assert run(engine, "report", "staff", "--out", str(not_a_folder))[0] == 2
    with pytest.raises(SystemExit) as info:
        parse("report", "grades")
    assert info.value.code == 2


def test_open_cache_may_return_a_context_manager(engine: Engine, out_dir: Path) -> None:
    args = parse("report", "sync-history", "--out", str(out_dir), "--quiet")
    with engine.connect() as connection:
        code = run_report_command(args, lambda: connection, stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 0
    code = run_report_command(
        parse("report", "changes", "--out", str(out_dir)),
        engine.connect,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code == 0 and len(list(out_dir.iterdir())) == 2


def test_with_the_stores_own_cache_opener(tmp_path: Path, out_dir: Path) -> None:
    """The real cache file (migrations, pragmas, WAL) through `store.db.open_cache`."""
    from sqlalchemy import func, select

    from connect_desktop.store import models as m
    from connect_desktop.store.db import open_cache
    from tests.reports.conftest import build_district

    path = tmp_path / "account.sqlite"
    with open_cache(path) as cache, cache.sessions() as session:
        build_district(session)
        students = session.scalar(select(func.count()).select_from(m.Student))
    out, err = io.StringIO(), io.StringIO()
    code = run_report_command(parse("report", "archive", "--out", str(out_dir)), lambda: open_cache(path),
                              stdout=out, stderr=err)  # fmt: skip
    assert (code, err.getvalue()) == (0, "")
    from tests.reports.helpers import read_sheet

    assert len(read_sheet(Path(out.getvalue().strip()), "Students")[1]) == students

"""A batch of reports: one snapshot for every file, and replace / keep both / skip per file."""

from __future__ import annotations

import argparse
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine

from connect_desktop.reports import (
    REPORTS,
    FileResult,
    Outcome,
    Policy,
    ReportBatch,
    ReportExistsError,
    export_all,
    report_filename,
)
from connect_desktop.reports import batch as batch_module
from connect_desktop.reports.cli import add_report_command, run_report_command
from tests.reports.conftest import TODAY
from tests.reports.helpers import records
from tests.reports.test_files import Recorder

OLDER = b"the older file"
ACCOUNT = "Demo District"


def target(folder: Path, name: str) -> Path:
    return folder / report_filename(REPORTS[name], ACCOUNT, TODAY)


def older(folder: Path, *names: str) -> dict[str, Path]:
    """Put a file of each report's name into `folder`, as an earlier export would have."""
    paths = {name: target(folder, name) for name in names}
    for path in paths.values():
        path.write_bytes(OLDER)
    return paths


def is_workbook(path: Path) -> bool:
    return path.read_bytes()[:2] == b"PK"


def snapshot_times(path: Path) -> set[str]:
    """The 'as last downloaded' time every sheet's third title row states."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        lines = [next(ws.iter_rows(min_row=3, max_row=3, values_only=True))[0] for ws in wb.worksheets]
    finally:
        wb.close()
    return {match for line in lines for match in re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", str(line))}


def test_each_existing_file_is_replaced_kept_or_skipped_as_asked(engine: Engine, out_dir: Path) -> None:
    paths = older(out_dir, "staff", "students", "families", "messages")
    asked = {"staff": Policy.REPLACE, "students": Policy.KEEP_BOTH, "families": Policy.SKIP}
    names = ["staff", "students", "families", "messages", "classrooms"]
    with ReportBatch(engine, out_dir, names, today=TODAY, account_name=ACCOUNT) as batch:
        assert [t.exists for t in batch.targets] == [True, True, True, True, False]
        results = batch.write(asked)

    outcome = {r.name: r.outcome for r in results}
    assert outcome == {
        "staff": Outcome.REPLACED,
        "students": Outcome.KEPT_BOTH,
        "families": Outcome.SKIPPED,
        "messages": Outcome.FAILED,  # no word for it: never overwritten silently
        "classrooms": Outcome.WRITTEN,
    }
    by_name = {r.name: r for r in results}
    assert by_name["staff"].path == paths["staff"] and is_workbook(paths["staff"])
    kept = by_name["students"].path
    assert kept == paths["students"].with_name(paths["students"].stem + " (2).xlsx") and is_workbook(kept)
    assert paths["students"].read_bytes() == OLDER
    assert by_name["families"].path == paths["families"] and paths["families"].read_bytes() == OLDER
    assert "already exists" in by_name["messages"].message and paths["messages"].read_bytes() == OLDER
    assert is_workbook(target(out_dir, "classrooms"))
    assert [r.outcome.saved for r in results] == [True, True, False, False, True]


def test_keep_both_takes_the_next_free_number(engine: Engine, out_dir: Path) -> None:
    path = older(out_dir, "staff")["staff"]
    path.with_name(path.stem + " (2).xlsx").write_bytes(OLDER)
    with ReportBatch(engine, out_dir, ["staff"], today=TODAY, account_name=ACCOUNT) as batch:
        (result,) = batch.write(Policy.KEEP_BOTH)
    assert result.path == path.with_name(path.stem + " (3).xlsx") and is_workbook(result.path)


def test_every_file_shows_the_snapshot_the_batch_began_with(tmp_path: Path, engine: Engine) -> None:
    """A pull that commits between two files changes neither the second file's data nor its
    'as last downloaded' time (the cache is in WAL mode, as the app's is)."""
    writer = sqlite3.connect(str(engine.url.database))  # this test's own copy of the cache
    writer.execute("PRAGMA journal_mode=WAL")
    first_name = writer.execute("SELECT first_name FROM staff WHERE role = 'district_admin'").fetchone()[0]

    def pull_lands(result: FileResult) -> None:
        if result.name == "staff":
            with writer:
                writer.execute("UPDATE sync_state SET last_pull_at = '2026-06-12 09:45:00'")
                writer.execute("UPDATE staff SET first_name = 'Renamed' WHERE role = 'district_admin'")

    with ReportBatch(engine, tmp_path / "out", ["staff", "archive"], today=TODAY) as batch:
        staff, archive = batch.write(after_file=pull_lands)
    assert staff.path is not None and archive.path is not None
    assert snapshot_times(staff.path) == snapshot_times(archive.path) == {"2026-06-11 16:30"}
    admins = [r for r in records(archive.path, "Staff") if r["Role"] == "District admin"]
    assert [r["First name"] for r in admins] == [first_name]
    assert writer.execute("SELECT last_pull_at FROM sync_state").fetchone()[0].startswith("2026-06-12")
    writer.close()


def test_export_all_refuses_a_file_without_a_policy_before_writing_any(engine: Engine, out_dir: Path) -> None:
    older(out_dir, "students")
    progress = Recorder()
    with pytest.raises(ReportExistsError):
        export_all(
            engine, out_dir, names=["staff", "students"], progress=progress, today=TODAY, account_name=ACCOUNT
        )
    assert progress.calls == []  # not a row read: the check comes first
    assert sorted(p.name for p in out_dir.iterdir()) == [target(out_dir, "students").name]


def test_export_all_removes_its_new_files_on_failure_but_keeps_a_replaced_one(
    engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = older(out_dir, "staff")
    write = batch_module.write_workbook
    calls: list[str] = []

    def second_breaks(*args: Any) -> None:
        calls.append(args[2].name)
        if len(calls) == 3:
            raise RuntimeError("disk unplugged")
        write(*args)

    monkeypatch.setattr(batch_module, "write_workbook", second_breaks)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        export_all(
            engine, out_dir, names=["staff", "students", "families"], on_exists=Policy.REPLACE,
            today=TODAY, account_name=ACCOUNT,
        )  # fmt: skip
    assert calls == ["staff", "students", "families"]
    assert [p.name for p in out_dir.iterdir()] == [paths["staff"].name]  # "students" is removed again
    assert is_workbook(paths["staff"])  # the new copy: the older one cannot be put back


# -- the command ----------------------------------------------------------------------------------


def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_report_command(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run_report_command(parser.parse_args(["report", *argv]), lambda: engine, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("policy", "printed", "older_kept"),
    [("keep-both", " (2).xlsx", True), ("skip", None, True), ("replace", ".xlsx", False)],
)
def test_the_command_keeps_both_skips_or_replaces(
    engine: Engine, out_dir: Path, policy: str, printed: str | None, older_kept: bool
) -> None:
    code, out, _err = run(engine, "staff", "--out", str(out_dir))
    assert code == 0
    first = Path(out.strip())
    first.write_bytes(OLDER)
    code, out, err = run(engine, "staff", "--out", str(out_dir), "--if-exists", policy)
    assert code == 0
    if printed is None:
        assert out == "" and f"Skipped Staff and access: {first} is kept" in err
    else:
        written = Path(out.strip())
        assert written.name == first.stem + printed and is_workbook(written)
    assert (first.read_bytes() == OLDER) is older_kept


def test_overwrite_and_if_exists_do_not_go_together(engine: Engine, out_dir: Path) -> None:
    with pytest.raises(SystemExit) as info:
        run(engine, "staff", "--out", str(out_dir), "--overwrite", "--if-exists", "skip")
    assert info.value.code == 2

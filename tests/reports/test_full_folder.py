"""Reports into a folder that fills up, disappears or is read-only: a plain message, nothing half-written.

The folders are real small file systems (tests/support/small_disk.py), so the errors are
the operating system's own. openpyxl spools sheets to the system temp folder; each test
points that at a folder of its own, so "no temporary file left" can be checked exactly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import openpyxl
import pytest
from openpyxl.worksheet._writer import ALL_TEMP_FILES
from sqlalchemy import Engine

from connect_desktop.reports import FileResult, Outcome, ReportBatch, export_all, export_report
from connect_desktop.reports import batch as batch_module
from connect_desktop.reports.cli import add_report_command, run_report_command
from connect_desktop.reports.errors import (
    FolderFullError,
    FolderGoneError,
    FolderReadOnlyError,
    ReportError,
    TempSpaceError,
)
from connect_desktop.store.db import Cache
from connect_desktop.syncadmin.archives import export_archives
from tests.reports.helpers import records, sheet_names
from tests.support.small_disk import SmallDisk, disk, small_disk
from ui.errors import known_problem

__all__ = ["disk"]  # the fixture, imported for the tests below

ROOM = 16 * 1024
"""Free space left on a filled disk: room for the probe and a small file, less than a big one."""
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp folder, as openpyxl sees it, for this test alone."""
    path = tmp_path / "system-temp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_report_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def report(engine: Engine, *argv: str) -> tuple[int, str, str]:
    """`connect-desktop report ARGV…`: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = run_report_command(parse("report", *argv), lambda: engine, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def names(folder: Path | int) -> list[str]:
    return sorted(os.listdir(folder))  # noqa: PTH208 - also through a folder handle (an int)


def undated(paths: Any) -> list[str]:
    """File names without their date ('Students - District'), as the command dates them today."""
    return sorted(Path(p).name.rsplit(" - ", 1)[0] for p in paths)


def assert_no_temp_files(spool: Path) -> None:
    assert names(spool) == []
    assert ALL_TEMP_FILES == []


def assert_same_workbook(path: Path | io.BytesIO, reference: Path) -> None:
    """Opens in openpyxl, with the reference's sheets and every data row."""
    wb = openpyxl.load_workbook(path)
    try:
        assert wb.sheetnames == sheet_names(reference)
    finally:
        wb.close()
    if isinstance(path, Path):
        for sheet in sheet_names(reference):
            if sheet != "Summary":
                assert records(path, sheet) == records(reference, sheet)


@pytest.fixture
def reference(engine: Engine, tmp_path: Path) -> dict[str, Path]:
    """Every report, written into an ordinary folder (dated today, as the command does)."""
    results = export_all(engine, tmp_path / "reference")
    return {result.name: cast(Path, result.path) for result in results}


def as_cache(engine: Engine) -> Cache:
    """What the GUI's report step uses of the opened cache: its engine."""
    return cast(Cache, SimpleNamespace(engine=engine))


def check_folder(cache: Cache, folder: Path) -> None:
    """The GUI's first step: make and check the folder, see which files are there."""
    with ReportBatch(cache, folder, ["staff"], today=dt.date.today()) as batch:
        assert batch.targets


def free_space(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


class OnFirstProgress:
    """A progress sink that does `act()` once, while the first rows are being written."""

    def __init__(self, act: Any) -> None:
        self.act = act
        self.calls = 0

    def on_progress(self, done_rows: int, total_rows: int) -> None:
        self.calls += 1
        if self.calls == 1:
            self.act()


class OnProgressAfterFirstFile:
    """Passes progress on to `inner` only once a file of the batch is done."""

    def __init__(self, inner: OnFirstProgress, done: list[FileResult]) -> None:
        self.inner = inner
        self.done = done

    def on_progress(self, done_rows: int, total_rows: int) -> None:
        if self.done:
            self.inner.on_progress(done_rows, total_rows)


def unplug(path: Path) -> None:
    """As if the USB stick were pulled: the folder's file system goes (a lazy unmount)."""
    subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True)


# -- a folder that fills up ---------------------------------------------------------------------


def test_a_full_folder_is_a_plain_message_and_leaves_nothing(
    engine: Engine, disk: SmallDisk, spool: Path, reference: dict[str, Path]
) -> None:
    disk.fill(leave=ROOM)
    assert reference["archive"].stat().st_size > free_space(disk.path)
    code, out, err = report(engine, "all", "--out", str(disk.path))
    assert (code, out) == (1, "")
    assert err == f"{FolderFullError(disk.path)}\n"
    assert err.startswith(f"The folder {disk.path} is full: free some space or choose another folder.")
    assert "Traceback" not in err
    assert names(disk.path) == [".ballast"]  # neither the reports that fitted, nor a part of one
    assert_no_temp_files(spool)

    disk.free()
    code, out, err = report(engine, "all", "--out", str(disk.path))
    assert (code, err) == (0, "")
    written = [Path(line) for line in out.splitlines()]
    assert undated(names(disk.path)) == undated(reference.values())
    for path, ref in zip(written, reference.values(), strict=True):
        assert_same_workbook(path, ref)
    assert_no_temp_files(spool)


def test_the_command_prints_only_the_message(
    cache: tuple[Engine, Any], disk: SmallDisk, tmp_path: Path
) -> None:
    """In a process of its own, so nothing Python prints on its own (a finaliser's error) is missed."""
    engine, _ids = cache
    spool = tmp_path / "system-temp"
    spool.mkdir()
    driver = textwrap.dedent(
        """
        import argparse, sys
        from sqlalchemy import create_engine
        from connect_desktop.reports.cli import add_report_command, run_report_command
        parser = argparse.ArgumentParser(prog="connect-desktop")
        add_report_command(parser.add_subparsers(dest="command"))
        engine = create_engine("sqlite:///" + sys.argv[1])
        sys.exit(run_report_command(parser.parse_args(sys.argv[2:]), lambda: engine))
        """
    )
    disk.fill(leave=ROOM)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            driver,
            str(engine.url.database),
            "report",
            "archive",
            "--out",
            str(disk.path),
        ],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(spool)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"{FolderFullError(disk.path)}\n"
    assert names(disk.path) == [".ballast"]
    assert names(spool) == []


def test_a_disk_with_no_room_is_refused_before_any_work(engine: Engine, disk: SmallDisk, spool: Path) -> None:
    disk.fill()
    progress = OnFirstProgress(lambda: None)
    with pytest.raises(FolderFullError) as info:
        export_report(engine, "archive", disk.path, progress=progress)
    assert progress.calls == 0
    problem = known_problem(info.value)  # the GUI: a fixable problem, not a bug report
    assert problem is not None and problem.message == str(info.value)
    with pytest.raises(FolderFullError):
        check_folder(as_cache(engine), disk.path)
    assert names(disk.path) == [".ballast"]
    assert_no_temp_files(spool)


def test_a_full_system_temp_folder_is_a_plain_message(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    with small_disk(tmp_path / "system-temp") as temp_disk:
        monkeypatch.setattr(tempfile, "tempdir", str(temp_disk.path))
        temp_disk.fill(leave=ROOM)
        code, stdout, err = report(engine, "archive", "--out", str(out))
        assert (code, stdout) == (1, "")
        assert err == f"{TempSpaceError(temp_disk.path)}\n"
        assert f"temporary files, {temp_disk.path}, has no space left" in err
        assert names(out) == []
        assert names(temp_disk.path) == [".ballast"] and ALL_TEMP_FILES == []

        temp_disk.free()
        code, stdout, err = report(engine, "archive", "--out", str(out))
        assert (code, err) == (0, "")
        assert_same_workbook(Path(stdout.strip()), reference["archive"])
        assert names(temp_disk.path) == []


# -- a folder that disappears ---------------------------------------------------------------------


def test_a_folder_deleted_mid_batch_is_a_plain_message(
    engine: Engine, tmp_path: Path, spool: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    write = batch_module.write_workbook
    calls: list[Path] = []

    def deleted_during_the_second(*args: Any) -> None:
        calls.append(args[3])
        if len(calls) == 2:  # its temporary file is made: the folder goes while it is written
            shutil.rmtree(out)
        write(*args)

    monkeypatch.setattr(batch_module, "write_workbook", deleted_during_the_second)
    code, stdout, err = report(engine, "all", "--out", str(out))
    assert (code, stdout) == (1, "")
    assert err == f"{FolderGoneError(out)}\n"
    assert "is no longer there" in err and "Traceback" not in err
    assert len(calls) == 2 and not out.exists()  # not made anew for the rest of the batch
    assert_no_temp_files(spool)

    monkeypatch.setattr(batch_module, "write_workbook", write)
    code, stdout, err = report(engine, "all", "--out", str(out))
    assert (code, err) == (0, "")
    assert undated(names(out)) == undated(reference.values())


def test_a_folder_deleted_while_rows_stream_leaves_nothing(
    engine: Engine, tmp_path: Path, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connect_desktop.reports.source.CacheReader.__init__.__defaults__", (10,))
    out = tmp_path / "out"
    progress = OnFirstProgress(lambda: shutil.rmtree(out))
    with pytest.raises(FolderGoneError) as info:
        export_report(engine, "archive", out, progress=progress)
    assert info.value.folder == out and progress.calls > 1  # it was deleted mid-way
    assert not out.exists()
    assert_no_temp_files(spool)


def test_a_stick_pulled_mid_batch_keeps_the_finished_files_whole(
    engine: Engine, disk: SmallDisk, spool: Path, reference: dict[str, Path]
) -> None:
    """The GUI's batch: one result per file. The stick is pulled while the second file's rows
    stream; what is on it is read through a handle on its folder, held from before (as if
    plugged in again)."""
    cache, today = as_cache(engine), dt.date.today()
    with ReportBatch(cache, disk.path, ["staff"], today=today) as checked:
        stamp = checked.stamp  # the folder as the user chose it
    done: list[FileResult] = []
    progress = OnFirstProgress(lambda: unplug(disk.path))
    armed = OnProgressAfterFirstFile(progress, done)

    stick = os.open(disk.path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with ReportBatch(
            cache, disk.path, ["staff", "archive", "families"], today=today, stamp=stamp
        ) as batch:
            targets = batch.targets
            first, pulled, after = batch.write(progress=armed, after_file=done.append)

        assert first.outcome is Outcome.WRITTEN and progress.calls >= 1
        gone = str(FolderGoneError(disk.path))
        assert (pulled.outcome, pulled.message) == (Outcome.FAILED, gone)
        assert (after.outcome, after.message) == (Outcome.FAILED, gone)
        assert names(stick) == [targets[0].path.name]  # the finished file, no part of the next one
        assert names(disk.path) == []  # nothing written where the stick's folder was
        fd = os.open(targets[0].path.name, os.O_RDONLY, dir_fd=stick)
        with os.fdopen(fd, "rb") as fh:
            assert_same_workbook(io.BytesIO(fh.read()), reference["staff"])
    finally:
        os.close(stick)
    assert_no_temp_files(spool)


# -- a read-only folder ---------------------------------------------------------------------------


def test_a_read_only_folder_is_refused_before_any_work(
    engine: Engine, disk: SmallDisk, spool: Path, reference: dict[str, Path]
) -> None:
    disk.read_only()
    code, out, err = report(engine, "all", "--out", str(disk.path))
    assert (code, out) == (1, "")
    assert err == f"{FolderReadOnlyError(disk.path)}\n"
    assert "cannot be written to" in err and "Traceback" not in err
    progress = OnFirstProgress(lambda: None)
    with pytest.raises(FolderReadOnlyError):
        export_all(engine, disk.path, progress=progress)
    assert progress.calls == 0
    with pytest.raises(FolderReadOnlyError):
        check_folder(as_cache(engine), disk.path)
    assert names(disk.path) == []
    assert_no_temp_files(spool)

    disk.read_only(False)
    code, out, err = report(engine, "staff", "--out", str(disk.path))
    assert (code, err) == (0, "")
    assert_same_workbook(Path(out.strip()), reference["staff"])


# -- the other export: the sync rollover's "tried to archive" list ----------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    label: str
    source_id: str


class Archives:
    def __init__(self, rows: int) -> None:
        self.rows = rows

    def iter_all(self) -> Iterator[Item]:
        for i in range(self.rows):
            yield Item(f"{i:032x}", "student", f"Student number {i} of a big district", f"SIS-{i:08d}")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_tried_to_archive_list_into_a_full_folder(disk: SmallDisk, spool: Path, suffix: str) -> None:
    path = disk.path / f"Tried to archive - 2026-06-12{suffix}"
    disk.fill(leave=ROOM)
    with pytest.raises(FolderFullError) as info:
        export_archives(Archives(5_000), path)
    assert isinstance(info.value, ReportError) and info.value.folder == disk.path
    assert names(disk.path) == [".ballast"]
    assert_no_temp_files(spool)

    disk.free()
    assert export_archives(Archives(5_000), path) == 5_000
    assert names(disk.path) == [path.name]
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            assert sum(1 for _ in wb["Tried to archive"].iter_rows()) == 5_001
        finally:
            wb.close()
    else:
        assert len(path.read_text(encoding="utf-8-sig").splitlines()) == 5_001
    assert_no_temp_files(spool)

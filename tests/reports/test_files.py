"""Files: names, atomic writing, no silent overwrite, cancel and failure leave nothing."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from openpyxl.worksheet._writer import ALL_TEMP_FILES
from sqlalchemy import Engine, text

from connect_desktop.reports import (
    REPORTS,
    Cancelled,
    ReportExistsError,
    UnknownReportError,
    export_all,
    export_report,
    report_filename,
)
from connect_desktop.reports import workbook as workbook_module
from connect_desktop.rollover.roster_file import read_student_numbers
from tests.reports.conftest import TODAY
from tests.reports.helpers import load, read_sheet, records, sheet_names


class Recorder:
    def __init__(self, fail_after: int | None = None, cancel: threading.Event | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.fail_after = fail_after
        self.cancel = cancel

    def on_progress(self, done_rows: int, total_rows: int) -> None:
        self.calls.append((done_rows, total_rows))
        if self.cancel is not None:
            self.cancel.set()
        if self.fail_after is not None and len(self.calls) > self.fail_after:
            raise RuntimeError("disk unplugged")


def test_file_name_is_sanitised() -> None:
    name = report_filename(REPORTS["students"], 'North/South: "District" <1>.', TODAY)
    assert name == "Students - North South District 1 - 2026-06-12.xlsx"
    assert report_filename(REPORTS["staff"], "///", TODAY) == "Staff and access - Connect - 2026-06-12.xlsx"


def test_existing_file_is_not_overwritten_unless_asked(engine: Engine, out_dir: Path) -> None:
    path = out_dir / report_filename(REPORTS["students"], "Demo District", TODAY)
    path.write_bytes(b"keep me")
    with pytest.raises(ReportExistsError) as info:
        export_report(engine, "students", out_dir, today=TODAY, account_name="Demo District")
    assert isinstance(info.value, FileExistsError) and info.value.path == path
    assert path.read_bytes() == b"keep me"
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]
    assert (
        export_report(engine, "students", out_dir, today=TODAY, account_name="Demo District", overwrite=True)
        == path
    )
    assert sheet_names(path) == ["Students"]


def test_cancel_leaves_no_file_behind(engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connect_desktop.reports.source.CHUNK_ROWS", 10)
    monkeypatch.setattr("connect_desktop.reports.source.CacheReader.__init__.__defaults__", (10,))
    cancel = threading.Event()
    progress = Recorder(cancel=cancel)
    with pytest.raises(Cancelled):
        export_report(engine, "archive", out_dir, progress=progress, cancel=cancel, today=TODAY)
    assert list(out_dir.iterdir()) == []
    assert ALL_TEMP_FILES == []
    assert len(progress.calls) == 1


def test_cancel_before_start(engine: Engine, out_dir: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        export_report(engine, "students", out_dir, cancel=cancel, today=TODAY)
    assert list(out_dir.iterdir()) == []


def test_failure_mid_write_leaves_no_file_behind(
    engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connect_desktop.reports.source.CacheReader.__init__.__defaults__", (10,))
    with pytest.raises(RuntimeError, match="disk unplugged"):
        export_report(engine, "archive", out_dir, progress=Recorder(fail_after=3), today=TODAY)
    assert list(out_dir.iterdir()) == []
    assert ALL_TEMP_FILES == []


def test_export_all_is_all_or_nothing(engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connect_desktop.reports.source.CacheReader.__init__.__defaults__", (10,))
    progress = Recorder(fail_after=30)
    with pytest.raises(RuntimeError):
        export_all(engine, out_dir, progress=progress, today=TODAY)
    assert list(out_dir.iterdir()) == []
    results = export_all(
        engine, out_dir, names=["staff", "families"], progress=(rec := Recorder()), today=TODAY
    )
    assert [r.path.name.split(" - ")[0] for r in results if r.path] == ["Staff and access", "Families"]
    assert rec.calls[-1][0] == rec.calls[-1][1]  # progress reaches the total across files
    assert all(b >= a for (a, _), (b, _) in zip(rec.calls, rec.calls[1:], strict=False))


def test_unknown_report(engine: Engine, out_dir: Path) -> None:
    with pytest.raises(UnknownReportError, match="no report called 'grades'"):
        export_report(engine, "grades", out_dir)


def test_sheets_split_past_the_row_limit(
    engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook_module, "MAX_ROWS", 50)
    path = export_report(engine, "archive", out_dir, today=TODAY)
    names = sheet_names(path)
    assert names[:4] == ["Summary", "Staff", "Students", "Students (2)"]
    assert {"Rosters", "Rosters (2)", "Rosters (3)"} <= set(names)

    students_header, first = read_sheet(path, "Students")
    header2, _ = read_sheet(path, "Students (2)")
    assert header2 == students_header and len(first) == 45
    ids = Counter(r["Connect ID"] for name in ("Students", "Students (2)") for r in records(path, name))
    assert sum(ids.values()) == 60 and set(ids.values()) == {1}

    roster_rows = Counter(
        (r["Classroom ID"], r["Student ID"])
        for n in names
        if n.startswith("Rosters")
        for r in records(path, n)
    )
    whole = export_report(engine, "classrooms", out_dir / "whole", today=TODAY)  # limit applies here too
    monkeypatch.setattr(workbook_module, "MAX_ROWS", workbook_module.MAX_ROWS * 1000)
    whole = export_report(engine, "classrooms", out_dir / "whole", today=TODAY, overwrite=True)
    assert roster_rows == Counter((r["Classroom ID"], r["Student ID"]) for r in records(whole, "Rosters"))
    wb = load(path)
    try:
        for name in ("Students", "Students (2)", "Rosters (3)"):
            ws = wb[name]
            assert ws.max_row <= 50 and ws.freeze_panes == "A6"
            assert ws.auto_filter.ref == f"A5:{ws.auto_filter.ref.split(':')[1][0]}{ws.max_row}"
    finally:
        wb.close()


def test_progress_counts_every_row(engine: Engine, out_dir: Path) -> None:
    rec = Recorder()
    export_report(engine, "classrooms", out_dir, progress=rec, today=TODAY)
    done, total = rec.calls[-1]
    rows = len(read_sheet(next(out_dir.iterdir()), "Classrooms")[1])
    rows += len(read_sheet(next(out_dir.iterdir()), "Rosters")[1])
    assert done == total == rows


def test_reads_one_snapshot_and_leaves_the_connection_as_found(engine: Engine, out_dir: Path) -> None:
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        path = export_report(connection, "staff", out_dir, today=TODAY)
        assert not raw.in_transaction
        raw.execute("BEGIN")
        export_report(connection, "staff", out_dir, today=TODAY, overwrite=True)
        assert raw.in_transaction  # the caller's transaction is left to the caller
        raw.rollback()
    assert path.exists()


def test_works_when_the_driver_refuses_other_threads(tmp_path: Path, engine: Engine, out_dir: Path) -> None:
    from sqlalchemy import create_engine

    strict = create_engine(engine.url, connect_args={"check_same_thread": True})
    try:
        path = export_report(strict, "families", out_dir, today=TODAY)
    finally:
        strict.dispose()
    assert len(read_sheet(path, "Families")[1]) == 40


def test_read_ahead_passes_errors_and_stops_its_thread() -> None:
    import threading as th

    from connect_desktop.reports.readahead import read_ahead

    def chunks():  # type: ignore[no-untyped-def]
        yield [(1,)]
        raise ValueError("broken query")

    with pytest.raises(ValueError, match="broken query"):
        list(read_ahead(chunks))
    endless = read_ahead(lambda: iter([[(i,)] for i in range(10_000)]))
    assert next(endless) == [(0,)]
    endless.close()
    assert not any(t.name == "report-read-ahead" for t in th.enumerate())


def test_the_students_report_read_back_as_next_years_file_gives_its_student_numbers(
    engine: Engine, out_dir: Path
) -> None:
    """The upload-file rule (step 5) reads this app's own Students report: its title rows
    above the header are not student numbers."""
    path = export_report(engine, "students", out_dir, today=TODAY, account_name="Demo District")
    read = read_student_numbers(path)
    listed = {row["Student number"] for row in records(path, "Students") if row.get("Student number")}
    assert read.numbers == listed and read.column == "Student number"
    with engine.connect() as connection:
        known = {number for (number,) in connection.execute(text("SELECT student_number FROM student"))}
    assert read.numbers <= known

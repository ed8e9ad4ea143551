"""Merges of duplicate students and pairs marked "not the same child" in the year-end reports.

A real cache file: two records of one child are merged through the outbox, the merge is
marked applied and the duplicate removed as a push does with the server's answer, and a
third pair is dismissed. The workbooks are opened back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete, update

from connect_desktop.reports import export_report
from connect_desktop.rollover.dismissals import dismiss
from connect_desktop.rollover.merge import merge_operation, merge_preview
from connect_desktop.store import models as m
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.sync.outbox import Outbox
from tests.reports.conftest import TODAY, CacheBuilder
from tests.reports.helpers import records, sheet_names


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with open_cache(tmp_path / "cache.sqlite3") as opened:
        yield opened


def _students(cache: Cache) -> dict[str, str]:
    with cache.sessions.begin() as session:
        build = CacheBuilder(session)
        school = build.school("Lincoln Elementary")
        return {
            "john": build.student(
                "S100", "John", "Smith", school, birth_date=dt.date(2014, 3, 2), origin="sync"
            ),
            "jon": build.student("M200", "Jon", "Smith", school, birth_date=dt.date(2014, 2, 3)),
            "ana": build.student("S300", "Ana", "Lee", school),
            "anna": build.student("M400", "Anna", "Lee", school),
        }


def _merge_and_dismiss(cache: Cache, ids: dict[str, str], *, applied: bool) -> None:
    with cache.engine.connect() as connection:
        preview = merge_preview(connection, ids["john"], ids["jon"], now=dt.datetime(2026, 6, 12, 9, 0))
    [op_id] = Outbox(cache).stage_many([merge_operation(preview, ["birth_date"])])
    if applied:  # as push stores the server's answer: applied, the duplicate's tombstone written
        with cache.sessions.begin() as session:
            session.execute(
                update(m.PendingOperation)
                .where(m.PendingOperation.op_id == op_id)
                .values(state="applied", sent_at=dt.datetime(2026, 6, 12, 9, 0))
            )
            session.execute(delete(m.Student).where(m.Student.id == ids["jon"]))
    with cache.engine.begin() as connection:
        dismiss(connection, ids["ana"], ids["anna"], label="Lee, Ana / Lee, Anna")


@pytest.mark.parametrize("applied", [False, True], ids=["staged", "sent"])
@pytest.mark.parametrize("report", ["changes", "archive"])
def test_a_merge_reads_with_both_names_and_the_fields_taken(
    cache: Cache, tmp_path: Path, report: str, applied: bool
) -> None:
    ids = _students(cache)
    _merge_and_dismiss(cache, ids, applied=applied)
    path = export_report(cache.engine, report, tmp_path / "out", today=TODAY)
    assert "Year-end changes" in sheet_names(path) and "Not the same child" in sheet_names(path)

    [merge] = records(path, "Year-end changes")
    assert merge["Change"] == "Merge duplicate students"
    assert merge["Target"] == "Smith, Jon into Smith, John"
    assert merge["Details"] == "Fields taken from the merged student: birth date 2014-02-03"
    assert merge["State"] == ("Applied" if applied else "Not yet sent")
    assert ids["jon"] not in str(merge["Target"]) + str(merge["Details"])

    [pair] = records(path, "Not the same child")
    first, second = sorted([ids["ana"], ids["anna"]])
    assert pair["Students"] == "Lee, Ana / Lee, Anna"
    assert (pair["First Connect ID"], pair["Second Connect ID"]) == (first, second)
    assert isinstance(pair["Marked"], dt.datetime)
    assert {pair["First student now"], pair["Second student now"]} == {"Ana Lee (S300)", "Anna Lee (M400)"}


def test_the_archive_summary_counts_merges_and_dismissals(cache: Cache, tmp_path: Path) -> None:
    _merge_and_dismiss(cache, _students(cache), applied=True)
    path = export_report(cache.engine, "archive", tmp_path / "out", today=TODAY)
    rows = {r[0]: r for r in _summary_rows(path)}
    assert rows["Duplicate students merged"][1] == 1
    assert rows["Pairs marked not the same child"][1] == 1


def _summary_rows(path: Path) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(path)
    try:
        return [tuple(row) for row in wb["Summary"].iter_rows(values_only=True) if row and row[0]]
    finally:
        wb.close()

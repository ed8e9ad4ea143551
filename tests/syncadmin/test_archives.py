"""The "tried to archive" export: written like the reports, complete or not at all."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from connect_desktop.reports.errors import Cancelled
from connect_desktop.syncadmin.archives import ARCHIVE_HEADERS, export_archives


@dataclass(frozen=True)
class Item:
    type: str
    id: str
    source_id: str
    label: str


class Listed:
    def __init__(self, *items: Item, cancel: threading.Event | None = None) -> None:
        self.items = items
        self.cancel = cancel

    def iter_all(self) -> Iterator[Item]:
        for i, item in enumerate(self.items):
            if i == 1 and self.cancel is not None:
                self.cancel.set()  # the user cancels while the list is being written
            yield item


ITEMS = (
    Item("student", "id-1", "=1+1", "Kid, Ana"),
    Item("contact", "id-2", "g-2", "@SUM(A1)"),
    Item("enrollment", "id-3", "cls-a:s-3", "Math 3 – Ana"),
)


def test_csv_and_excel_hold_the_list_as_text(tmp_path: Path) -> None:
    assert export_archives(Listed(*ITEMS), tmp_path / "list.csv") == 3
    with (tmp_path / "list.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        list(ARCHIVE_HEADERS),
        ["students", "Kid, Ana", "'=1+1", "id-1"],
        ["family contacts", "'@SUM(A1)", "g-2", "id-2"],
        ["enrollments", "Math 3 – Ana", "cls-a:s-3", "id-3"],
    ]
    assert export_archives(Listed(*ITEMS), tmp_path / "list.xlsx") == 3
    book = openpyxl.load_workbook(tmp_path / "list.xlsx")
    try:
        sheet = book["Tried to archive"]
        assert [c.value for c in sheet[2]] == ["students", "Kid, Ana", "=1+1", "id-1"]
        assert sheet["C2"].data_type == "s"  # a text cell, not a formula
    finally:
        book.close()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cancelled_export_leaves_the_old_file_and_no_temporary_one(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"list{suffix}"
    target.write_bytes(b"the list saved before")
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        export_archives(Listed(*ITEMS, cancel=cancel), target, cancel)
    assert target.read_bytes() == b"the list saved before"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]

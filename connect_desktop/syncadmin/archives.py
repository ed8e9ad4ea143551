"""What a run archived or, when held, tried to archive: paged from the server, and exported."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from connect_desktop.api import sync_calls
from connect_desktop.domain.words import noun
from connect_desktop.reports.atomic import atomic_path
from connect_desktop.reports.cells import RISKY_FIRST, text_converter
from connect_desktop.reports.errors import Cancelled
from connect_desktop.reports.progress import CancelToken
from connect_desktop.reports.saving import save_workbook, spooling
from connect_desktop.reports.workbook import discard_workbook, new_workbook
from connect_desktop.syncadmin.account import SyncAccount

ARCHIVE_HEADERS = ("Type", "Name", "SIS id", "Connect id")
SHEET_TITLE = "Tried to archive"
PAGE_LIMIT = 5_000
"""The most items the server sends in one page."""
Row = tuple[Any, ...]


class ArchiveItem(Protocol):
    """One listed record (`SyncArchiveItem`)."""

    @property
    def type(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def label(self) -> str: ...


class ArchiveList(Protocol):
    def iter_all(self) -> Iterable[ArchiveItem]: ...


class ArchiveSource:
    """A page source over `GET /sync/runs/{id}/archives` (worker threads only; one request at a time).

    Rows are (Connect id, name, type noun, SIS id, type).
    """

    def __init__(self, account: SyncAccount, run_id: str, type_: str | None = None) -> None:
        self._account = account
        self.run_id = run_id
        self.type = type_
        self._lock = threading.Lock()

    def _page(self, offset: int, limit: int) -> sync_calls.ArchivePage:
        with self._lock, self._account.client() as client:
            return sync_calls.run_archives(client, self.run_id, type_=self.type, offset=offset, limit=limit)

    def count(self) -> int:
        return self._page(0, 1).total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return [
            (item.id, item.label, noun(item.type), item.source_id, item.type)
            for item in self._page(offset, min(limit, PAGE_LIMIT)).items
        ]

    def iter_all(self, page: int = 2_000) -> Iterator[sync_calls.ArchiveItem]:
        offset = 0
        while True:
            found = self._page(offset, page)
            yield from found.items
            offset += len(found.items)
            if not found.items or offset >= found.total:
                return


def archive_values(item: ArchiveItem) -> tuple[str, str, str, str]:
    """One exported row, in `ARCHIVE_HEADERS` order."""
    return (noun(item.type), item.label, item.source_id, item.id)


def _csv_safe(value: str) -> str:
    """Text a spreadsheet opening the CSV cannot take for a formula."""
    return "'" + value if value and value[0] in RISKY_FIRST else value


def export_archives(source: ArchiveList, path: Path, cancel: CancelToken | None = None) -> int:
    """Write the whole list to CSV or XLSX (by `path`'s suffix); text cells only. Returns rows.

    Written like the reports (`reports.atomic`, `reports.cells`): complete or not at all,
    readable by the owner only; a full, read-only or vanished folder raises a `FolderError`
    (a `ReportError`) with a plain message; `cancel` set raises `Cancelled`.
    """
    rows = 0
    with atomic_path(path, overwrite=True) as tmp:  # the save dialog already asked about overwriting
        if path.suffix.lower() == ".csv":
            with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(ARCHIVE_HEADERS)
                for item in source.iter_all():
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    writer.writerow([_csv_safe(v) for v in archive_values(item)])
                    rows += 1
        else:
            wb = new_workbook()
            try:
                ws = wb.create_sheet(SHEET_TITLE)
                text = text_converter(ws)
                with spooling():
                    ws.append(list(ARCHIVE_HEADERS))
                for item in source.iter_all():
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    with spooling():
                        ws.append([text(v) for v in archive_values(item)])
                    rows += 1
                save_workbook(wb, tmp)
            except BaseException:
                discard_workbook(wb)
                raise
    return rows

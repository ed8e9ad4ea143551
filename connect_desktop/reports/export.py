"""One report's workbook: its file name, and its sheets streamed from a snapshot of the cache."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from functools import partial
from pathlib import Path

from connect_desktop.reports.catalog import ReportSpec
from connect_desktop.reports.context import ReportContext, title_lines
from connect_desktop.reports.progress import Tracker
from connect_desktop.reports.readahead import read_ahead
from connect_desktop.reports.saving import save_workbook, spooling
from connect_desktop.reports.source import CacheReader
from connect_desktop.reports.summary import Contents, SummaryWriter
from connect_desktop.reports.workbook import SheetWriter, discard_workbook, new_workbook

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def report_filename(spec: ReportSpec, account_name: str, day: dt.date) -> str:
    """'Students - Demo District - 2026-06-12.xlsx', safe on Windows and macOS."""
    account = _UNSAFE.sub(" ", account_name)
    account = re.sub(r"\s+", " ", account).strip(" .")[:80].strip(" .") or "Connect"
    return f"{spec.title} - {account} - {day.isoformat()}.xlsx"


def write_workbook(
    reader: CacheReader, ctx: ReportContext, spec: ReportSpec, path: Path, tracker: Tracker
) -> None:
    """Stream the sheets of `spec` into a workbook saved at `path`.

    The sheets spool to temporary files (errors there are `TempSpaceError`s); OS
    errors while saving at `path` are left to the caller, who knows the folder.
    """
    wb = new_workbook()
    try:
        with spooling():
            summary = SummaryWriter(wb) if spec.summary else None
            contents: list[Contents] = []
            for sheet in spec.sheets:
                plan = sheet.plan(reader, ctx)
                heading = spec.title if len(spec.sheets) == 1 else f"{spec.title}: {sheet.title}"
                writer = SheetWriter(
                    wb, sheet.name, plan.columns, title_lines(ctx, heading, outbox_report=sheet.outbox)
                )
                chunks = read_ahead(partial(reader.chunks, plan.sql, plan.params))
                try:
                    writer.write(chunks, tracker)
                finally:
                    chunks.close()  # stops the fetching thread before anything else uses the connection
                contents.extend(Contents(ws.title, n) for ws, n in writer.parts())
            if summary is not None:
                summary.write(reader, title_lines(ctx, f"{spec.title}: summary"), contents)
        tracker.check()
        save_workbook(wb, path)
    except BaseException:
        with contextlib.suppress(Exception):
            discard_workbook(wb)
        raise

"""Exporting reports: one workbook per report, written atomically, streamed."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine

from connect_desktop.reports.atomic import FolderStamp, atomic_path, prepare_folder
from connect_desktop.reports.catalog import REPORTS, ReportSpec
from connect_desktop.reports.context import ReportContext, load_context, title_lines
from connect_desktop.reports.errors import ReportExistsError, UnknownReportError
from connect_desktop.reports.progress import CancelToken, Progress, Tracker
from connect_desktop.reports.readahead import read_ahead
from connect_desktop.reports.saving import save_workbook, spooling
from connect_desktop.reports.source import CacheReader, snapshot
from connect_desktop.reports.summary import Contents, SummaryWriter
from connect_desktop.reports.workbook import SheetWriter, discard_workbook, new_workbook

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def report_filename(spec: ReportSpec, account_name: str, day: dt.date) -> str:
    """'Students - Demo District - 2026-06-12.xlsx', safe on Windows and macOS."""
    account = _UNSAFE.sub(" ", account_name)
    account = re.sub(r"\s+", " ", account).strip(" .")[:80].strip(" .") or "Connect"
    return f"{spec.title} - {account} - {day.isoformat()}.xlsx"


def export_report(
    source: Engine | Connection,
    name: str,
    out_dir: Path | str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    overwrite: bool = False,
    today: dt.date | None = None,
    account_name: str | None = None,
    stamp: FolderStamp | None = None,
) -> Path:
    """Write report `name` (a key of `REPORTS`) into `out_dir` and return its path.

    Raises `ReportExistsError` if the file exists and `overwrite` is false,
    `Cancelled` if `cancel` is set, a `FolderError` if the folder cannot take the
    file; in all these cases, and on any other error, no file (and no temporary
    file) is left behind. See `export_all` for `stamp`.
    """
    return export_all(
        source, out_dir, names=[name], progress=progress, cancel=cancel,
        overwrite=overwrite, today=today, account_name=account_name, stamp=stamp,
    )[0]  # fmt: skip


def export_all(
    source: Engine | Connection,
    out_dir: Path | str,
    *,
    names: Iterable[str] | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    overwrite: bool = False,
    today: dt.date | None = None,
    account_name: str | None = None,
    stamp: FolderStamp | None = None,
) -> list[Path]:
    """Write several reports (default: all of `REPORTS`) from one snapshot of the cache.

    The folder (made if missing) and all target names are checked before anything is
    written. If one report fails or is cancelled, the files this call already completed
    are removed again, so the set is written entirely or not at all. Progress counts
    rows across all files. `stamp`, from `prepare_folder`, is the folder as a batch of
    calls began: if it was removed or unplugged since, nothing is written.
    """
    specs = [_spec(n) for n in (REPORTS if names is None else names)]
    out = Path(out_dir)
    now = dt.datetime.now().replace(microsecond=0)
    day = today or now.date()
    tracker = Tracker(progress, cancel)
    tracker.check()
    if stamp is None:
        stamp = prepare_folder(out)
    with snapshot(source) as reader:
        ctx = load_context(reader, today=day, generated_at=now, account_name=account_name)
        targets = [out / report_filename(spec, ctx.account_name, day) for spec in specs]
        if not overwrite:
            for target in targets:
                if target.exists():
                    raise ReportExistsError(target)
        tracker.total_rows = sum(s.count(reader, ctx) for spec in specs for s in spec.sheets)
        written: list[Path] = []
        try:
            for spec, target in zip(specs, targets, strict=True):
                with atomic_path(target, overwrite=overwrite, stamp=stamp) as tmp:
                    write_workbook(reader, ctx, spec, tmp, tracker)
                written.append(target)
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):  # a read-only or vanished folder keeps them whole
                    path.unlink(missing_ok=True)
            raise
    return written


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


def _spec(name: str) -> ReportSpec:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(name, list(REPORTS)) from None

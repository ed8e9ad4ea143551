"""Exporting reports for the "Download reports" step (worker thread only; no widgets).

The page asks first which target files already exist (`plan_targets`), lets the user
decide per file (replace, keep both, skip), then exports one report at a time
(`export_one`), so each file gets its own result line.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from connect_desktop.reports import REPORTS, ReportError, export_report, report_filename
from connect_desktop.reports.atomic import FolderStamp, folder_problem, prepare_folder, same_folder
from connect_desktop.reports.context import organisation_name
from connect_desktop.reports.errors import FolderGoneError
from connect_desktop.reports.progress import CancelToken, Progress
from connect_desktop.reports.source import snapshot
from connect_desktop.store.db import Cache


class Decision(Enum):
    NEW = "new"
    REPLACE = "replace"
    KEEP_BOTH = "keep_both"
    SKIP = "skip"


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    path: Path
    exists: bool
    stamp: FolderStamp | None = None
    """The folder as the batch began: a folder removed or unplugged since is not written into anew."""


@dataclass(frozen=True)
class FileResult:
    name: str
    title: str
    path: Path | None
    outcome: str
    """"written", "replaced", "kept both", "skipped" or "failed"."""
    message: str = ""


def plan_targets(cache: Cache, names: list[str], folder: Path, today: dt.date) -> list[Target]:
    """Where each chosen report will be written, and whether a file is there already.

    The folder is made if missing and checked first: a read-only or full one raises a
    `FolderError` before anything is asked or written.
    """
    stamp = prepare_folder(folder)
    with snapshot(cache.engine) as reader:
        account = organisation_name(reader)
    targets = []
    for name in names:
        spec = REPORTS[name]
        path = folder / report_filename(spec, account, today)
        targets.append(Target(name, spec.title, path, path.exists(), stamp))
    return targets


def keep_both_path(path: Path) -> Path:
    """`Students - X - 2026-06-20 (2).xlsx`, or (3), (4)… whichever is free."""
    number = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        if not candidate.exists():
            return candidate
        number += 1


def export_one(
    cache: Cache,
    target: Target,
    decision: Decision,
    *,
    today: dt.date,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> FileResult:
    """Write one report as decided; a `ReportError` or an OS error becomes a "failed" result
    with a plain message (a full or vanished folder leaves nothing of this file); Cancelled is raised."""
    from connect_desktop.reports import Cancelled

    if decision is Decision.SKIP:
        return FileResult(target.name, target.title, target.path, "skipped", "An older copy is kept.")
    folder = target.path.parent
    try:
        if decision is Decision.KEEP_BOTH:
            if target.stamp is not None and not same_folder(folder, target.stamp):
                raise FolderGoneError(folder)
            prepare_folder(folder)
            work = Path(tempfile.mkdtemp(prefix=".connect-export-", dir=folder))
            try:
                written = export_report(
                    cache.engine, target.name, work, progress=progress, cancel=cancel, today=today
                )
                final = keep_both_path(target.path)
                written.replace(final)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            return FileResult(target.name, target.title, final, "kept both", "Saved next to the older copy.")
        written = export_report(
            cache.engine,
            target.name,
            folder,
            progress=progress,
            cancel=cancel,
            overwrite=decision is Decision.REPLACE,
            today=today,
            stamp=target.stamp,
        )
        outcome = "replaced" if decision is Decision.REPLACE else "written"
        return FileResult(target.name, target.title, written, outcome)
    except Cancelled:
        raise
    except ReportError as exc:
        return FileResult(target.name, target.title, None, "failed", exc.user_message)
    except OSError as exc:  # making the "keep both" copy
        message = folder_problem(exc, folder, target.stamp).user_message
        return FileResult(target.name, target.title, None, "failed", message)

"""A batch of reports into one folder, every file from one snapshot of the cache.

    with ReportBatch(cache, folder, ["students", "archive"]) as batch:
        existing = [t for t in batch.targets if t.exists]      # ask the user about these
        results = batch.write({"students": Policy.KEEP_BOTH})  # one FileResult per report

All files of a batch show the same moment of the cache, even while a pull writes to it (the
batch holds one read transaction from `__enter__` to `__exit__`). Each file is written
atomically (`atomic.atomic_path`): a failure leaves the older file, if any, as it was. A file
that is already in the folder is replaced, kept beside the new one ("… (2).xlsx") or skipped,
as `on_exists` says for its report; without a word for it, the report fails ("already exists").
`export_all` is the all-or-nothing form the command line uses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Self

from connect_desktop.reports.atomic import FolderStamp, atomic_path, prepare_folder, same_folder
from connect_desktop.reports.catalog import REPORTS, ReportSpec
from connect_desktop.reports.context import ReportContext, load_context
from connect_desktop.reports.errors import (
    Cancelled,
    FolderGoneError,
    ReportError,
    ReportExistsError,
    UnknownReportError,
)
from connect_desktop.reports.export import report_filename, write_workbook
from connect_desktop.reports.progress import CancelToken, Progress, Tracker
from connect_desktop.reports.source import CacheReader, Source, snapshot


class Policy(StrEnum):
    """What to do with a report whose file is already in the folder."""

    REPLACE = "replace"
    KEEP_BOTH = "keep-both"
    """Write the new file as "… (2).xlsx" (or the first free number) beside the older one."""
    SKIP = "skip"
    """Keep the older file; write nothing."""


class Outcome(StrEnum):
    """What happened to one report of a batch."""

    WRITTEN = "written"
    REPLACED = "replaced"
    KEPT_BOTH = "kept both"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def saved(self) -> bool:
        """A new file is in the folder."""
        return self in (Outcome.WRITTEN, Outcome.REPLACED, Outcome.KEPT_BOTH)


OnExists = Policy | Mapping[str, Policy] | None
"""One policy for every report, one per report name, or none (an existing file fails its report)."""


@dataclass(frozen=True)
class Target:
    """Where a report of the batch goes, and whether a file is there already."""

    name: str
    title: str
    path: Path
    exists: bool


@dataclass(frozen=True)
class FileResult:
    """One report of a batch: the file written (or kept), or why not."""

    name: str
    title: str
    path: Path | None
    """The new file; for a skipped report the older one; None when it failed."""
    outcome: Outcome
    message: str = ""
    """For a failed report, the plain reason (`error.user_message`); else a short note."""
    error: ReportError | None = field(default=None, repr=False, compare=False)


class ReportBatch:
    """Reports `names` (default: all) into `folder`, from one snapshot; use it as a context manager.

    Entering makes the folder if needed and checks that it takes a file (else a `FolderError`),
    then opens the snapshot. `stamp`, from an earlier batch's `stamp`, is the folder as the
    user chose it: if it was removed or unplugged since, entering raises `FolderGoneError`
    rather than making it anew.
    """

    def __init__(
        self,
        source: Source,
        folder: Path | str,
        names: Iterable[str] | None = None,
        *,
        today: dt.date | None = None,
        account_name: str | None = None,
        stamp: FolderStamp | None = None,
    ) -> None:
        self.specs: list[ReportSpec] = [_spec(name) for name in (REPORTS if names is None else names)]
        self.folder = Path(folder)
        self._source = source
        self._today = today
        self._account_name = account_name
        self._given_stamp = stamp
        self._stack = contextlib.ExitStack()
        self._reader: CacheReader | None = None
        self._context: ReportContext | None = None
        self.stamp: FolderStamp | None = None
        """The folder's identity as this batch began (pass it to a later batch of the same export)."""

    def __enter__(self) -> Self:
        if self._given_stamp is None:
            self.stamp = prepare_folder(self.folder)
        elif same_folder(self.folder, self._given_stamp):
            self.stamp = self._given_stamp
        else:
            raise FolderGoneError(self.folder)
        now = dt.datetime.now().replace(microsecond=0)
        try:
            self._reader = self._stack.enter_context(snapshot(self._source))
            self._context = load_context(
                self._reader,
                today=self._today or now.date(),
                generated_at=now,
                account_name=self._account_name,
            )
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._reader = self._context = None
        self._stack.close()

    @property
    def context(self) -> ReportContext:
        """The facts every file's title rows state (the same for all files of the batch)."""
        if self._context is None:
            raise RuntimeError("a ReportBatch is used inside `with`")
        return self._context

    @property
    def targets(self) -> list[Target]:
        """Each report's file in the folder, and whether one is there now."""
        ctx = self.context
        paths = [self.folder / report_filename(spec, ctx.account_name, ctx.today) for spec in self.specs]
        return [Target(s.name, s.title, p, p.exists()) for s, p in zip(self.specs, paths, strict=True)]

    def write(
        self,
        on_exists: OnExists = None,
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        after_file: Callable[[FileResult], None] | None = None,
        stop_at_failure: bool = False,
    ) -> list[FileResult]:
        """Write the batch's reports in order; one result each, also passed to `after_file` as it is known.

        A report that cannot be written (a `ReportError`: the folder is full or gone, the
        file appeared meanwhile…) is a failed result, and the next report is tried, unless
        `stop_at_failure`. Progress counts rows across all files. `Cancelled` and bugs are
        raised; the files finished before stay.
        """
        reader, ctx = self._live()
        tracker = Tracker(progress, cancel)
        tracker.check()
        jobs = [
            (spec, target, _policy(on_exists, spec.name))
            for spec, target in zip(self.specs, self.targets, strict=True)
        ]
        tracker.total_rows = sum(
            sheet.count(reader, ctx)
            for spec, target, policy in jobs
            if not (target.exists and policy is Policy.SKIP)
            for sheet in spec.sheets
        )
        results: list[FileResult] = []
        for spec, target, policy in jobs:
            result = self._write_one(reader, ctx, spec, target, policy, tracker)
            results.append(result)
            if after_file is not None:
                after_file(result)
            if stop_at_failure and result.error is not None:
                break
        return results

    def _write_one(
        self,
        reader: CacheReader,
        ctx: ReportContext,
        spec: ReportSpec,
        target: Target,
        policy: Policy | None,
        tracker: Tracker,
    ) -> FileResult:
        path, overwrite, outcome = target.path, False, Outcome.WRITTEN
        if target.exists:
            if policy is Policy.SKIP:
                return FileResult(spec.name, spec.title, path, Outcome.SKIPPED, "The older file is kept.")
            if policy is Policy.REPLACE:
                overwrite, outcome = True, Outcome.REPLACED
            elif policy is Policy.KEEP_BOTH:
                path, outcome = keep_both_path(path), Outcome.KEPT_BOTH
        try:
            with atomic_path(path, overwrite=overwrite, stamp=self.stamp) as tmp:
                write_workbook(reader, ctx, spec, tmp, tracker)
        except Cancelled:
            raise
        except ReportError as error:
            return FileResult(spec.name, spec.title, None, Outcome.FAILED, error.plain, error)
        note = "Saved next to the older file." if outcome is Outcome.KEPT_BOTH else ""
        return FileResult(spec.name, spec.title, path, outcome, note)

    def _live(self) -> tuple[CacheReader, ReportContext]:
        if self._reader is None or self._context is None:
            raise RuntimeError("a ReportBatch is used inside `with`")
        return self._reader, self._context


def keep_both_path(path: Path) -> Path:
    """`Students - X - 2026-06-20 (2).xlsx`, or (3), (4)… whichever is free."""
    number = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        if not candidate.exists():
            return candidate
        number += 1


def export_all(
    source: Source,
    out_dir: Path | str,
    *,
    names: Iterable[str] | None = None,
    on_exists: OnExists = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    today: dt.date | None = None,
    account_name: str | None = None,
) -> list[FileResult]:
    """Write several reports (default: all of `REPORTS`) from one snapshot, all or nothing.

    The folder (made if missing) and the names are checked before anything is written: a
    file already there without a policy for it raises `ReportExistsError`. If a report
    fails or is cancelled, the new files this call made are removed again and the error
    raised (a replaced file stays: the older one cannot be put back, and the new is whole).
    """
    with ReportBatch(source, out_dir, names, today=today, account_name=account_name) as batch:
        for target in batch.targets:
            if target.exists and _policy(on_exists, target.name) is None:
                raise ReportExistsError(target.path)
        made: list[Path] = []

        def keep(result: FileResult) -> None:
            if result.outcome in (Outcome.WRITTEN, Outcome.KEPT_BOTH) and result.path is not None:
                made.append(result.path)

        try:
            results = batch.write(
                on_exists, progress=progress, cancel=cancel, after_file=keep, stop_at_failure=True
            )
            failed = next((r.error for r in results if r.error is not None), None)
            if failed is not None:
                raise failed
        except BaseException:
            for path in made:
                with contextlib.suppress(OSError):  # a read-only or vanished folder keeps them whole
                    path.unlink(missing_ok=True)
            raise
    return results


def export_report(
    source: Source,
    name: str,
    out_dir: Path | str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    overwrite: bool = False,
    today: dt.date | None = None,
    account_name: str | None = None,
) -> Path:
    """Write report `name` (a key of `REPORTS`) into `out_dir` and return its path.

    Raises `ReportExistsError` if the file exists and `overwrite` is false, `Cancelled` if
    `cancel` is set, a `FolderError` if the folder cannot take the file; in all these cases,
    and on any other error, no file (and no temporary file) is left behind.
    """
    (result,) = export_all(
        source, out_dir, names=[name], on_exists=Policy.REPLACE if overwrite else None,
        progress=progress, cancel=cancel, today=today, account_name=account_name,
    )  # fmt: skip
    assert result.path is not None  # a failure was raised
    return result.path


def _policy(on_exists: OnExists, name: str) -> Policy | None:
    if on_exists is None or isinstance(on_exists, Policy):
        return on_exists
    return on_exists.get(name)


def _spec(name: str) -> ReportSpec:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(name, list(REPORTS)) from None

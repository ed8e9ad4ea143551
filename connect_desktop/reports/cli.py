"""`connect-desktop report NAME|all --out DIR [--if-exists replace|keep-both|skip]`: the reports, headless.

`add_report_command(subparsers)` registers the command; `run_report_command(args,
open_cache)` runs it. `open_cache()` returns the cache as an SQLAlchemy Engine or
Connection, an object with an `.engine` (the store's `Cache`), or a context manager
yielding one of those (closed after the export), e.g. `lambda: open_cache(path)`.
All files come from one snapshot, and are written all or none (`reports.export_all`).
Exit status: 0 written (or skipped as asked), 1 not written for a reason the user can fix
(file exists, cancelled, a folder that is full, read-only or gone), 2 bad usage (unknown
report, output is not a folder).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Engine

from connect_desktop.reports.batch import Outcome, Policy, export_all
from connect_desktop.reports.catalog import REPORTS
from connect_desktop.reports.errors import ReportError
from connect_desktop.reports.source import Source

ALL = "all"

CacheOpener = Callable[[], Source | AbstractContextManager[Source]]


def add_report_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `report` sub-command to an argparse sub-parsers object."""
    names = ", ".join(f"{name} ({spec.title})" for name, spec in REPORTS.items())
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="write XLSX reports from the local cache",
        description=f"Write XLSX reports of the data as last downloaded. Reports: {names}; or 'all'.",
    )
    parser.add_argument("name", choices=[*REPORTS, ALL], metavar="NAME", help="report name, or 'all'")
    parser.add_argument("--out", type=Path, default=Path(), help="folder to write into (default: here)")
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument(
        "--if-exists",
        type=Policy,
        choices=list(Policy),
        metavar="{" + ",".join(Policy) + "}",
        help="what to do with a file of the same name: replace it, keep both (the new one gets "
        "' (2)' in its name) or skip that report (default: write nothing and say so)",
    )
    existing.add_argument(
        "--overwrite", dest="if_exists", action="store_const", const=Policy.REPLACE,
        help="the same as --if-exists replace",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="print only the paths written")
    return parser


class _StderrProgress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = -1

    def on_progress(self, done_rows: int, total_rows: int) -> None:
        percent = done_rows * 100 // total_rows if total_rows else 100
        if percent != self._last:
            self._last = percent
            self.stream.write(f"\r{done_rows:,} of {total_rows:,} rows ({percent}%)")
            self.stream.flush()


def run_report_command(
    args: argparse.Namespace,
    open_cache: CacheOpener,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Write the requested report(s); print each path written. Returns the exit status."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    if args.name != ALL and args.name not in REPORTS:
        err.write(f"Unknown report {args.name!r}. Reports: {', '.join(REPORTS)}, all.\n")
        return 2
    folder: Path = args.out
    if folder.exists() and not folder.is_dir():
        err.write(f"{folder} is not a folder.\n")
        return 2
    names = list(REPORTS) if args.name == ALL else [args.name]
    progress = None if args.quiet or not err.isatty() else _StderrProgress(err)
    try:
        with _opened(open_cache) as source:
            results = export_all(source, folder, names=names, on_exists=args.if_exists, progress=progress)
    except ReportError as exc:
        err.write(f"\n{exc}\n" if progress else f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        err.write("\nCancelled; no file was written.\n")
        return 1
    except OSError as exc:
        err.write(f"Could not write the report: {exc.strerror or exc}\n")
        return 1
    if progress:
        err.write("\n")
    for result in results:
        if result.outcome is Outcome.SKIPPED:
            if not args.quiet:
                err.write(f"Skipped {result.title}: {result.path} is kept as it was.\n")
        elif result.path is not None:
            out.write(f"{result.path}\n")
    return 0


@contextlib.contextmanager
def _opened(open_cache: CacheOpener) -> Iterator[Engine | Connection]:
    source = open_cache()
    if isinstance(source, Engine | Connection):
        yield source  # the caller owns it
    elif isinstance(source, AbstractContextManager):
        with source as opened:
            yield opened if isinstance(opened, Engine | Connection) else opened.engine
    else:
        yield source.engine

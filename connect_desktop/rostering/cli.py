"""`connect-desktop validate PATH` and `connect-desktop preview-rollover PATH`.

`add_rostering_commands(subparsers)` adds the two commands; `run_rostering_command(args,
open_cache)` carries one out and returns the exit code: 0 done, 1 the package has
errors (or cannot be read), 2 no signed-in account to preview against. `open_cache`
gives a connection to the signed-in account's cache (None: nobody is signed in).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection

from connect_desktop.domain.words import follow_on_text
from connect_desktop.rostering.diagnostics import Diagnostic, GroupKey, SourceError, Tally
from connect_desktop.rostering.findings import Finding, findings, plural, summary, unshown
from connect_desktop.rostering.preview import RolloverPreview, preview_rollover
from connect_desktop.rostering.validate import ValidationReport, validate_source

__all__ = ["COMMANDS", "add_rostering_commands", "run_rostering_command"]

COMMANDS = ("validate", "preview-rollover")
EXIT_OK, EXIT_ERRORS, EXIT_NO_ACCOUNT = 0, 1, 2


def add_rostering_commands(subparsers: Any) -> None:
    """Add `validate` and `preview-rollover` to a `connect-desktop` subparsers object."""
    validate = subparsers.add_parser(
        "validate",
        help="check a OneRoster 1.1/1.2 or Clever CSV export (zip or folder) and list what is wrong; "
        "says so when it is another format (School Data Sync, a vendor's own, a spreadsheet)",
    )
    validate.add_argument("path", type=Path)
    validate.add_argument("--json", action="store_true", help="print the diagnostics as JSON")
    preview = subparsers.add_parser(
        "preview-rollover", help="what the next sync of this export would do to the signed-in account"
    )
    preview.add_argument("path", type=Path)
    preview.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (pauses)")
    preview.add_argument("--json", action="store_true", help="print the preview as JSON")


def run_rostering_command(
    args: argparse.Namespace,
    open_cache: Callable[[], Connection] | None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Carry out `validate` or `preview-rollover`; returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    if args.command == "validate":
        return _validate(args, out, err)
    if args.command == "preview-rollover":
        return _preview(args, open_cache, out, err)
    raise ValueError(f"not a rostering command: {args.command!r}")


NOUNS = {"staff": ("staff member", "staff"), "student_contact": ("family link", "family links")}
"""How the verdict names the record types where the type's own name reads wrong."""


def _diagnostics_json(
    diagnostics: list[Diagnostic], suppressed: int = 0, tallies: dict[GroupKey, Tally] | None = None
) -> dict[str, Any]:
    """{"summary", "errors", "warnings", "suppressed"}: a group is one item with `count`, `rows`
    ([first, last] ranges), `more_rows` and `example`; `suppressed` counts what no item stands for."""
    found = findings(diagnostics, tallies)
    return {
        "summary": summary(found),
        "errors": [f.as_json() for f in found if f.severity == "error"],
        "warnings": [f.as_json() for f in found if f.severity == "warning"],
        "suppressed": unshown(found, suppressed),
    }


def _unreadable(error: SourceError, as_json: bool, out: TextIO, err: TextIO) -> int:
    if as_json:
        print(json.dumps(_diagnostics_json([error.diagnostic]), indent=1), file=out)
    else:
        print(str(error.diagnostic), file=err)
    return EXIT_ERRORS


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        report = validate_source(args.path)
    except SourceError as error:
        return _unreadable(error, args.json, out, err)
    if args.json:
        body = {
            **_diagnostics_json(report.diagnostics, report.suppressed, report.tallies),
            "counts": report.counts,
        }
        print(json.dumps({"kind": report.kind, "version": report.version, **body}, indent=1), file=out)
    else:
        _print_report(report, out)
    return EXIT_OK if report.ok else EXIT_ERRORS


def _print_report(report: ValidationReport, out: TextIO) -> None:
    """The summary, the errors, the warnings (each group once), then the verdict."""
    found = findings(report.diagnostics, report.tallies)
    print(summary(found), file=out)
    for severity in ("error", "warning"):
        _print_findings([f for f in found if f.severity == severity], out)
    hidden = unshown(found, report.suppressed)
    if hidden:
        print(f"… and {plural(hidden, 'more finding')} of the kinds above.", file=out)
    records = ", ".join(plural(n, *NOUNS.get(t, (t, t + "s"))) for t, n in report.counts.items() if n)
    verdict = "cannot be used" if report.errors else "can be used"
    print(
        f"\n{report.source}: {plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}; "
        f"{verdict}. Found: {records or 'nothing'}.",
        file=out,
    )


def _print_findings(found: list[Finding], out: TextIO) -> None:
    if found:
        print(file=out)
    for finding in found:
        for line in finding.lines():
            print(line, file=out)


def _preview(
    args: argparse.Namespace, open_cache: Callable[[], Connection] | None, out: TextIO, err: TextIO
) -> int:
    if open_cache is None:
        print("Sign in first: the preview compares the export with your account's records.", file=err)
        return EXIT_NO_ACCOUNT
    today = args.today or dt.date.today()
    connection = open_cache()
    try:
        preview = preview_rollover(connection, args.path, today=today)
    except SourceError as error:
        return _unreadable(error, args.json, out, err)
    finally:
        connection.close()
    with preview:
        if args.json:
            print(json.dumps(preview_json(preview), indent=1), file=out)
        else:
            _print_preview(preview, out)
    return EXIT_OK if preview.ok else EXIT_ERRORS


def preview_json(preview: RolloverPreview) -> dict[str, Any]:
    """{"ok", "held", "held_types", "scoped", "types": {type: {create, update, archive, managed,
    threshold, archive_percent, held, …}}, "errors", "warnings"} (types as `SyncTypePreview`)."""
    report = preview.validation
    return {
        "ok": preview.ok,
        "held": preview.held,
        "held_types": preview.held_types,
        "scoped": preview.scoped,
        "types": {t: p.model_dump() for t, p in preview.types.items()},
        **_diagnostics_json(report.diagnostics, report.suppressed, report.tallies),
    }


def _print_preview(preview: RolloverPreview, out: TextIO) -> None:
    report = preview.validation
    if not preview.ok:
        _print_report(report, out)
        print("Fix the errors above; no preview was made.", file=out)
        return
    if preview.scoped:
        print("Note: your account sees only some schools; records of other schools show as new.", file=out)
    print(f"{'type':<16}{'create':>9}{'update':>9}{'archive':>9}{'managed':>9}  threshold", file=out)
    for t, p in preview.types.items():
        flag = "  HELD" if p.held else "  paused" if p.paused else ""
        print(
            f"{t:<16}{p.create:>9,}{p.update:>9,}{p.archive:>9,}{p.managed:>9,}"
            f"  {p.archive_percent:.1f}% of {p.threshold:g}%{flag}",
            file=out,
        )
    also = follow_on_text(
        {t: p.moved_with_parent for t, p in preview.types.items()},
        {t: p.removed_with_parent for t, p in preview.types.items()},
    )
    if also:
        print(also, file=out)
    if preview.held:
        print(
            "The run would be held: new and changed records would be applied, nothing archived "
            f"({', '.join(preview.held_types)} over the threshold). "
            "Approve that run, or raise the threshold.",
            file=out,
        )
    else:
        print("The run would apply all of these changes.", file=out)

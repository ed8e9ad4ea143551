"""`connect-server sync …`: set the source, run the sync, list runs, preview.

Wire into `connect_server.cli`: `add_sync_commands(commands)` on the top-level
subparsers, and dispatch `args.command == "sync"` to `run_sync_command(args)`.
Exit codes: 0 done (or skipped while paused), 1 failed, 2 usage, 3 held by the threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import SyncRunStatus
from connect_server.db import open_database
from connect_server.syncing.runs import RunRecord

DB_ENV = "CONNECT_SERVER_DB"
_EXIT = {
    SyncRunStatus.SUCCEEDED.value: 0,
    SyncRunStatus.SKIPPED_PAUSED.value: 0,
    SyncRunStatus.FAILED.value: 1,
    SyncRunStatus.FAILED_THRESHOLD.value: 3,
}


class _Error(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_sync_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `sync` command and its actions to the top-level subparsers."""
    sync = subparsers.add_parser("sync", help="the SIS sync: source, runs, preview")
    actions = sync.add_subparsers(dest="sync_action", required=True)
    db_help = f"database URL, e.g. sqlite:///connect.db (default: ${DB_ENV})"

    def with_db(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
        return parser

    source = with_db(actions.add_parser("set-source", help="where the sync reads from"))
    kinds = source.add_subparsers(dest="kind", required=True)
    csv = kinds.add_parser("oneroster-csv", help="a OneRoster 1.1/1.2 CSV export (zip or folder)")
    csv.add_argument("path", type=Path)
    rest = kinds.add_parser("oneroster-rest", help="a OneRoster REST server (not runnable yet)")
    rest.add_argument("url")
    rest.add_argument("--client-id", required=True)
    rest.add_argument("--client-secret", required=True)
    clever = kinds.add_parser("clever-api", help="the Clever API v3 (not runnable yet)")
    clever.add_argument("--token", required=True)
    clever_csv = kinds.add_parser("clever-csv", help="a folder of Clever CSV files (not runnable yet)")
    clever_csv.add_argument("path", type=Path)

    run = with_db(actions.add_parser("run", help="run the sync now"))
    run.add_argument(
        "--approve-archives", action="store_true", help="archive even over the threshold (this run only)"
    )
    run.add_argument("--json", action="store_true", help="print the run as JSON")

    runs = with_db(actions.add_parser("runs", help="list recent runs, newest first"))
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")

    preview = with_db(actions.add_parser("preview", help="what a run would do now (writes nothing)"))
    preview.add_argument("--json", action="store_true", help="print the preview as JSON")
    return sync


def run_sync_command(args: argparse.Namespace) -> int:
    """Carry out one `sync` action; returns the exit code (errors go to stderr)."""
    handler = {"set-source": _set_source, "run": _run, "runs": _runs, "preview": _preview}[args.sync_action]
    try:
        return handler(args)
    except _Error as error:
        print(f"connect-server: {error}", file=sys.stderr)
        return error.code
    finally:
        while _OPENED:  # the command may run in-process (tests): close its connections
            _OPENED.pop().dispose()


_OPENED: list[Engine] = []


def _open(value: str | None) -> sessionmaker[Session]:
    if not value:
        raise _Error(f"No database given: use --db URL or set {DB_ENV}", 2)
    try:
        url = make_url(value)
    except ArgumentError:
        raise _Error(f"Not a database URL: {value!r}", 2) from None
    try:
        sessions = open_database(value)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        raise _Error(
            f"Cannot open the database {url.render_as_string(hide_password=True)}: {reason}"
        ) from None
    _OPENED.append(sessions.kw["bind"])
    return sessions


def _set_source(args: argparse.Namespace) -> int:
    from connect_server.syncing.config import SourceConfig, save_source

    config: dict[str, Any]
    if args.kind in ("oneroster-csv", "clever-csv"):
        path = args.path.expanduser().resolve()
        if not path.exists():
            raise _Error(f"{path} does not exist: give the export's zip file or folder", 2)
        config = {"path": str(path)}
    elif args.kind == "oneroster-rest":
        config = {"url": args.url, "client_id": args.client_id, "client_secret": args.client_secret}
    else:
        config = {"token": args.token}
    source = SourceConfig(args.kind, config)
    sessions = _open(args.db)
    with sessions.begin() as session:
        save_source(session, source)
    print(f"Sync source set: {args.kind} {source.label}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from connect_server.sync_runner import run_sync

    outcome = run_sync(_open(args.db), approve_archives=args.approve_archives, trigger="manual")
    run = outcome.run
    if args.json:
        body = run.as_json()
        body["diagnostics"] = [str(d) for d in outcome.diagnostics[:200]]
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        print(_describe(run))
        for diagnostic in outcome.diagnostics[:20]:
            print(f"  {diagnostic}")
    return _EXIT.get(run.status, 1)


def _runs(args: argparse.Namespace) -> int:
    from connect_server.syncing.runs import list_runs

    with _open(args.db)() as session:
        runs = list_runs(session, max(1, args.limit))
    if args.json:
        print(json.dumps([r.as_json() for r in runs], indent=2, ensure_ascii=False))
    else:
        for run in runs:
            print(f"{run.started_at:%Y-%m-%d %H:%M}  {run.status:<16} {run.trigger:<7} {run.message or ''}")
        if not runs:
            print("No sync runs yet.")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from connect_server.sync_runner import preview_sync

    preview = preview_sync(_open(args.db))
    if args.json:
        body = asdict(preview)
        body["diagnostics"] = [str(d) for d in preview.diagnostics[:200]]
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        print(preview.message)
        for t, p in preview.types.items():
            flags = " paused" if p.paused else (" HELD" if p.held else "")
            print(f"  {t:<16} create {p.create:>7}  update {p.update:>7}  archive {p.archive:>7}{flags}")
    return 0 if preview.ok else 1


def _describe(run: RunRecord) -> str:
    lines = [f"Sync run {run.id}: {run.status}", run.message or ""]
    if run.counts:
        lines.append(f"  {'type':<16} {'created':>8} {'updated':>8} {'archived':>9} {'tried to archive':>17}")
        for type_, c in run.counts.items():
            lines.append(
                f"  {type_:<16} {c.get('created', 0):>8} {c.get('updated', 0):>8} "
                f"{c.get('archived', 0):>9} {c.get('tried_to_archive', 0):>17}"
            )
    return "\n".join(lines)

"""`connect-server sync …`: set the source, run the sync, list runs, preview.

Wire into `connect_server.cli`: `add_sync_commands(commands)` on the top-level
subparsers, and dispatch `args.command == "sync"` to `run_sync_command(args)`.
Exit codes: 0 done (or skipped while paused), 1 failed, 2 usage, 3 held by the threshold.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.rostering.clever_api import API_URL as CLEVER_API_URL
from connect_server.db import open_database
from connect_server.syncing.runs import RunRecord

DB_ENV = "CONNECT_SERVER_DB"
SECRET_ENV = "CONNECT_SIS_CLIENT_SECRET"
TOKEN_ENV = "CONNECT_CLEVER_TOKEN"
SECRET_NOTE = (
    "The client secret or token is stored as given in this server's database (table "
    "sync_source_secret): whoever can read the database or its backups can read it. It is never "
    "printed, shown in the sync settings or sent to the apps. Leave --client-secret/--token out to be "
    f"asked for it (or set ${SECRET_ENV} / ${TOKEN_ENV}), so that it stays out of the shell history."
)
NO_CHECK_HELP = "save the source without reading it first (e.g. a SIS that is offline now)"
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

    _add_set_source(actions, db_help)

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


def _add_set_source(actions: Any, db_help: str) -> None:
    source = actions.add_parser(
        "set-source",
        help="where the sync reads from (checked before it is saved)",
        description="Set where the sync reads from. The source is read briefly first and nothing is "
        f"saved if it cannot be read as that kind. {SECRET_NOTE}",
    )
    source.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
    source.add_argument("--no-check", action="store_true", help=NO_CHECK_HELP)
    kinds = source.add_subparsers(dest="kind", required=True, metavar="KIND")

    def kind(name: str, help: str, secret: bool = False) -> argparse.ArgumentParser:
        parser = kinds.add_parser(name, help=help, description=help, epilog=SECRET_NOTE if secret else None)
        # accepted after the kind too; SUPPRESS keeps the value given before it
        parser.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
        parser.add_argument("--no-check", action="store_true", default=argparse.SUPPRESS, help=NO_CHECK_HELP)
        return parser

    csv = kind(
        "oneroster-csv", "a OneRoster 1.1 or 1.2 CSV export: the .zip, or the folder it was unpacked into"
    )
    csv.add_argument("path", type=Path)
    clever_csv = kind(
        "clever-csv",
        "a Clever CSV upload (schools, students, teachers, sections, enrollments and, optionally, "
        "staff .csv): a folder or .zip",
    )
    clever_csv.add_argument("path", type=Path)
    rest = kind(
        "oneroster-rest",
        "a OneRoster 1.2 REST server, signed in with OAuth 2 client credentials "
        "(for a OneRoster 1.1 server such as ClassLink, use `classlink`)",
        secret=True,
    )
    rest.add_argument("url", help="the server, e.g. https://sis.example.org/ims/oneroster/rostering/v1p2")
    rest.add_argument("--client-id", required=True)
    rest.add_argument("--client-secret", help=f"(default: ${SECRET_ENV}, else asked for)")
    rest.add_argument("--token-url", help="where to get a token (default: <server>/oauth/token)")
    classlink = kind(
        "classlink",
        "ClassLink Roster Server's OneRoster 1.1 REST API, signed with OAuth 1.0a (HMAC-SHA256); "
        "give the server URL, client id and secret of the OneRoster app in ClassLink. "
        "Any other OneRoster 1.1 server that signs requests this way works too.",
        secret=True,
    )
    classlink.add_argument("url", help="the server, e.g. https://district.oneroster.com/ims/oneroster/v1p1")
    classlink.add_argument("--client-id", required=True)
    classlink.add_argument("--client-secret", help=f"(default: ${SECRET_ENV}, else asked for)")
    clever = kind("clever-api", "the Clever API v3, with the district app's bearer token", secret=True)
    clever.add_argument("--token", help=f"the district token (default: ${TOKEN_ENV}, else asked for)")
    clever.add_argument("--api-url", default=CLEVER_API_URL, help=argparse.SUPPRESS)  # tests, proxies


def _set_source(args: argparse.Namespace) -> int:
    from connect_server.syncing.check import SourceCheckError, check_source
    from connect_server.syncing.config import SourceConfig, save_source

    source = SourceConfig(args.kind, _source_config(args))
    sessions = _open(args.db)
    if not args.no_check:
        try:
            print(check_source(source))
        except SourceCheckError as error:
            raise _Error(f"{error}\nNothing was saved.") from None
    with sessions.begin() as session:
        save_source(session, source)
    print(f"Sync source set: {args.kind} {source.label}")
    if args.no_check:
        print("It was not checked: `connect-server sync preview` shows whether it can be read.")
    return 0


def _source_config(args: argparse.Namespace) -> dict[str, Any]:
    """The settings to store, from the arguments; refuses what cannot be right (exit code 2)."""
    if args.kind in ("oneroster-csv", "clever-csv"):
        path = args.path.expanduser().resolve()
        if not path.exists():
            raise _Error(f"{path} does not exist: give the export's zip file or folder", 2)
        return {"path": str(path)}
    if args.kind == "clever-api":
        config = {"token": _secret(args.token, "--token", TOKEN_ENV, "Clever API token: ")}
        if args.api_url.rstrip("/") != CLEVER_API_URL:
            config["url"] = _web_address(args.api_url)
        return config
    url = _web_address(args.url)
    path = urlsplit(url).path.rstrip("/")
    if args.kind == "classlink" and path.endswith("/v1p2"):
        raise _Error(f"{url} is a OneRoster 1.2 address: set it up with `oneroster-rest` instead.", 2)
    if args.kind == "oneroster-rest" and "/v1p1" in path:
        raise _Error(
            f"{url} is a OneRoster 1.1 address: set it up with `classlink` (OneRoster 1.1, OAuth 1.0a).", 2
        )
    if not args.client_id.strip():
        raise _Error("The client id is empty: give the one the SIS issued with --client-id.", 2)
    config = {
        "url": url,
        "client_id": args.client_id.strip(),
        "client_secret": _secret(args.client_secret, "--client-secret", SECRET_ENV, "Client secret: "),
        "version": "1.1" if args.kind == "classlink" else "1.2",
    }
    if getattr(args, "token_url", None):
        config["token_url"] = _web_address(args.token_url)
    return config


def _web_address(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Error(f"{value!r} is not a web address: give it in full, e.g. https://sis.example.org", 2)
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise _Error(
            f"{url} uses plain http, so credentials and student data would cross the network "
            "unencrypted: give its https:// address.",
            2,
        )
    return url


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _secret(value: str | None, flag: str, env: str, prompt: str) -> str:
    """The credential from its option, else the environment, else asked for (never echoed)."""
    if value is None:
        value = os.environ.get(env)
    if value is None and sys.stdin.isatty():
        value = getpass.getpass(prompt)
    if not value:
        raise _Error(f"No {flag.removeprefix('--').replace('-', ' ')} given: use {flag}, or set ${env}.", 2)
    return value


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
        body["types"] = {t: p.model_dump() for t, p in preview.types.items()}  # the wire's shape
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

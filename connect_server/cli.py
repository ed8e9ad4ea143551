"""`connect-server`: run the reference server, add users, seed a demo district, manage sign-ins.

Expected problems (unreachable database, unknown school, existing e-mail) end with
a plain message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from connect_server.cli_auth import add_auth_commands, run_auth_command
from connect_server.cli_sync import add_sync_commands, run_sync_command
from connect_server.db import open_database
from connect_server.users import DuplicateUserError, UserError

DB_ENV = "CONNECT_SERVER_DB"


class CliError(Exception):
    """An expected failure: message for stderr, and the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="connect-server", description="The reference Connect server.")
    db_help = f"database URL, e.g. sqlite:///connect.db (default: ${DB_ENV})"
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")

    users = commands.add_parser("users", help="manage sign-in users").add_subparsers(
        dest="action", required=True
    )
    add = users.add_parser("add", help="add a user (the password is read from stdin)")
    add.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, help="district_admin, school_admin or teacher")
    add.add_argument("--school", action="append", default=[], metavar="SCHOOL_ID", help="repeat for more")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--staff-id", default=None, help="the teacher's staff record")
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from stdin"
    )
    scope = users.add_parser("set-scope", help="change a user's role or schools")
    scope.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
    scope.add_argument("--email", required=True)
    scope.add_argument("--role", default=None, help="district_admin, school_admin or teacher")
    scope.add_argument("--school", action="append", default=None, metavar="SCHOOL_ID", help="repeat for more")

    seed = commands.add_parser("seed", help="fill the database with a generated demo district")
    seed.add_argument("--db", default=os.environ.get(DB_ENV), help=db_help)
    seed.add_argument("--students", type=int, default=2_000)
    seed.add_argument("--seed", type=int, default=1, help="random seed (same seed, same district)")
    seed.add_argument("--truth", type=Path, default=None, help="write the ground-truth JSON here")
    seed.add_argument(
        "--packages-dir",
        "--packages",
        dest="packages",
        type=Path,
        default=None,
        help="write the SIS export packages current.zip and next-year.zip here",
    )
    seed.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="today's date, YYYY-MM-DD")
    add_sync_commands(commands)
    add_auth_commands(commands, {"default": os.environ.get(DB_ENV), "help": db_help})
    return parser


def _database_url(value: str | None) -> str:
    if not value:
        raise CliError(f"No database given: use --db URL or set {DB_ENV}", 2)
    try:
        make_url(value)
    except ArgumentError:
        raise CliError(f"Not a database URL: {value!r}", 2) from None
    return value


def _open(url: str):  # type: ignore[no-untyped-def]
    try:
        return open_database(url)
    except OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        raise CliError(f"Cannot open the database {shown}: {reason}") from None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from connect_desktop.api.schema import API_PREFIX
    from connect_server.app import create_app

    sessions = _open(_database_url(args.db))
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly, or asyncio leaves Nagle on (~40 ms per keep-alive response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(2048)  # listening before the URL is printed, so clients can connect at once
    except OSError as error:
        sock.close()
        raise CliError(f"Cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Connect server listening on http://{host}:{port}{API_PREFIX}", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(sessions, daily_sync=True)
        uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[sock])
    finally:
        sock.close()
    return 0


def _users(args: argparse.Namespace) -> int:
    return _set_scope(args) if args.action == "set-scope" else _add_user(args)


def _set_scope(args: argparse.Namespace) -> int:
    from connect_server.users import set_scope

    sessions = _open(_database_url(args.db))
    try:
        set_scope(sessions, args.email, args.role, args.school)
    except UserError as error:
        raise CliError(str(error), 2) from None
    print(f"Changed {args.email.strip().lower()}; their app will download its data again at the next sync")
    return 0


def _add_user(args: argparse.Namespace) -> int:
    from connect_server.users import add_user

    sessions = _open(_database_url(args.db))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("No password on stdin", 2)
    try:
        user_id = add_user(sessions, args.email, args.role, password, args.school, args.staff_id, args.name)
    except DuplicateUserError as error:
        raise CliError(str(error), 1) from None
    except UserError as error:
        raise CliError(str(error), 2) from None
    print(f"Added user {user_id}")
    return 0


def _seed(args: argparse.Namespace) -> int:
    url = _database_url(args.db)
    try:
        from connect_server.seed import seed_district
    except ImportError:
        raise CliError("Demo seeding is not available in this build") from None
    if args.students < 1:
        raise CliError("--students must be at least 1", 2)
    try:
        summary = seed_district(url, args.students, args.seed, args.truth, args.packages, args.as_of)
    except ValueError as error:  # SeedError: a refused or impossible seed
        raise CliError(str(error)) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        raise CliError(f"Cannot seed the database: {reason}") from None
    print(summary.describe())
    return 0


def _auth(args: argparse.Namespace) -> int:
    sessions = _open(_database_url(args.db))
    try:
        return run_auth_command(args, sessions)
    finally:
        sessions.kw["bind"].dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = _parser().parse_args(argv)
    handler = {
        "serve": _serve,
        "users": _users,
        "seed": _seed,
        "sync": run_sync_command,
        "tokens": _auth,
        "throttle": _auth,
    }[args.command]
    try:
        return handler(args)
    except CliError as error:
        print(f"connect-server: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`connect-desktop <command>`: the core services, headless (for IT staff, scripts and tests).

Commands: login, logout, sync, status, stage, pending, keep, discard, retry, remove-local-data,
rescue, plan, report, duplicates, validate, preview-rollover.
`--json` prints exactly one JSON object on stdout; progress and messages go to stderr.

Exit codes scripts can rely on:
    0  done
    1  the operation failed (e.g. conflicts or rejections after a push, a change that
       cannot be staged)
    2  usage error (unknown command or option, a server address or file that cannot be used)
    3  not signed in, wrong e-mail or password, or the session expired
    4  the server cannot be reached
    5  the account is not allowed to do this
    6  the server's certificate could not be verified
    7  the server had a problem (or asked us to slow down)
    8  the local data cannot be used (damaged, made by a newer version, a full or
       read-only disk; the message says what to do)
  130  interrupted
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from connect_desktop import session as accounts
from connect_desktop.account import Account
from connect_desktop.api import errors as api_errors
from connect_desktop.api.address import (
    INSECURE_HTTP_WARNING,
    AddressError,
    InsecureAddressError,
    check_server_url,
    needs_insecure_choice,
)
from connect_desktop.domain.words import KEPT_TEXT, STATE_TEXT, kind_text, noun, state_text
from connect_desktop.reports.cli import add_report_command, run_report_command
from connect_desktop.rollover.cli import add_plan_commands, run_plan_command
from connect_desktop.rollover.duplicates.cli import add_duplicates_command, run_duplicates_command
from connect_desktop.rollover.merge import MergeError, NotAChoiceError, UnknownStudentError, merge_operation
from connect_desktop.rollover.plan import Plan
from connect_desktop.rostering.cli import COMMANDS as ROSTERING_COMMANDS
from connect_desktop.rostering.cli import add_rostering_commands, run_rostering_command
from connect_desktop.settings import AccountSettings, load_account
from connect_desktop.signout import revoked_earlier_message
from connect_desktop.store import rescue
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.store.errors import CacheError, classify
from connect_desktop.sync.outbox import StagingError, new_record_id

log = logging.getLogger(__name__)

_STATE_WIDTH = max(map(len, STATE_TEXT.values()))

OK, FAILED, USAGE, SIGNED_OUT, UNREACHABLE, FORBIDDEN, CERTIFICATE, SERVER, LOCAL_DATA = range(9)
INTERRUPTED = 130

COMMANDS: frozenset[str] = frozenset(
    {
        "login",
        "logout",
        "sync",
        "status",
        "stage",
        "pending",
        "keep",
        "discard",
        "retry",
        "remove-local-data",
        "rescue",
        "plan",
        "report",
        "duplicates",
        *ROSTERING_COMMANDS,
    }
)
_NEEDS_NO_ACCOUNT = frozenset({"login", "logout", "validate", "duplicates"})
"""`duplicates` needs the account only without --input (it says so itself)."""

_ERROR_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (api_errors.SignedOut, SIGNED_OUT),
    (accounts.NotSignedIn, SIGNED_OUT),
    (api_errors.Unreachable, UNREACHABLE),
    (api_errors.Forbidden, FORBIDDEN),
    (api_errors.CertificateProblem, CERTIFICATE),
    (api_errors.BadAddress, USAGE),
    (api_errors.ApiError, SERVER),
    (rescue.RescueFileError, USAGE),
    (CacheError, LOCAL_DATA),
    (StagingError, FAILED),
    (AddressError, USAGE),
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StderrProgress:
    """Progress lines on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label

    def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
        of = f" of {total:,}" if total is not None else ""
        eta = f", about {eta_s:.0f} s left" if eta_s is not None else ""
        say(f"{self.label}: {done:,}{of} ({rate:,.0f}/s{eta})")


def _emit(data: dict[str, Any]) -> None:
    print(json.dumps(data, default=str, sort_keys=True))


# -- commands ------------------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    try:  # before asking for the password
        check_server_url(args.server, insecure_http=args.insecure_http)
    except InsecureAddressError as exc:
        say(f"{exc.user_message} To do so, add --insecure-http.")
        return USAGE
    if needs_insecure_choice(args.server):
        say(f"Warning: {INSECURE_HTTP_WARNING}")
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass("Password: ")
    if not password:
        say("No password given.")
        return USAGE
    signed_in = accounts.login(
        args.server,
        args.user,
        password,
        ca_bundle=args.ca_bundle,
        insecure_http=args.insecure_http,
        notify=say,
    )
    say(
        f"Signed in to {signed_in.account.server_url} as {signed_in.user.email} "
        f"({signed_in.user.role.value})."
    )
    if signed_in.revoked_earlier:
        say(revoked_earlier_message(signed_in.revoked_earlier))
    return OK


def cmd_logout(_args: argparse.Namespace) -> int:
    say(accounts.logout().message)
    return OK


def cmd_remove_local_data(_args: argparse.Namespace) -> int:
    say(accounts.remove_local_data(accounts.current_account()).message)
    return OK


def _open(stack: ExitStack, *, thorough: bool = False) -> tuple[AccountSettings, Cache]:
    account = accounts.current_account()
    if thorough:  # every page read first: a damaged cache is not synced into
        cache = stack.enter_context(open_cache(account.cache_path, thorough=True))
    else:
        cache = stack.enter_context(accounts.open_account_cache(account))
    return account, cache


def _account(stack: ExitStack, *, thorough: bool = False) -> Account:
    """The signed-in account over its cache (closed with `stack`)."""
    settings, cache = _open(stack, thorough=thorough)
    return Account(settings, None, cache)


def _owner(account: AccountSettings) -> rescue.Owner:
    return rescue.Owner(server_url=account.server_url, user_id=account.user_id, email=account.email)


def cmd_rescue(args: argparse.Namespace) -> int:
    account = accounts.current_account()
    if args.restore is not None:
        with ExitStack() as stack:
            _account, cache = _open(stack)
            restored = rescue.restore(cache, _owner(account), rescue.read_export(args.restore))
        say(rescue.restored_words(restored))
        if restored.added:
            say("Run `connect-desktop sync` to send them (`connect-desktop pending` lists them).")
        return OK
    try:
        rescued = rescue.rescue(account.cache_path, _owner(account), args.to)
    except rescue.NothingToRescue as outcome:
        say(outcome.user_message)
        return OK
    say(rescued.message)
    if rescued.restore_problem is None:
        say("Next: run `connect-desktop sync` to download your data again and send the staged changes.")
        return OK
    return _exit_code(rescued.restore_problem)


def cmd_sync(args: argparse.Namespace) -> int:
    cancel = threading.Event()
    with ExitStack() as stack:
        account = _account(stack, thorough=True)
        code = OK
        if not args.push_only:
            result = account.pull(progress=StderrProgress("download"), cancel=cancel)
            say(f"Downloaded {result.received:,} change(s) in {result.seconds:.1f} s.")
        if not args.pull_only:
            pushed = account.push(progress=StderrProgress("send"), cancel=cancel)
            say(
                f"Sent {pushed.sent:,} change(s): {pushed.applied:,} applied, "
                f"{pushed.conflict:,} conflict(s), {pushed.rejected:,} rejected."
            )
            if pushed.not_sent:
                say(
                    f"{pushed.not_sent:,} change(s) kept for later were not sent; "
                    "`connect-desktop keep --send OP_ID…` puts them back."
                )
            if pushed.failed:
                say("Some changes were not applied; see `connect-desktop pending`.")
                code = FAILED
        if account.notice:  # earlier offline sign-outs, ended now that the server answered
            say(account.notice)
        return code


def cmd_status(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        status = _account(stack).status()
    counts, pending = status.counts, status.pending
    if args.json:
        _emit(dataclasses.asdict(status))
    else:
        print(f"Server: {status.server}\nUser: {status.user}\nCursor: {status.cursor}")
        for entity, count in counts.items():
            print(f"  {noun(entity, count).capitalize()}: {count:,}")
        print("Staged changes:" + ("" if pending else " none"))
        for state, count in pending.items():
            print(f"  {count:>9,}  {state_text(state)}")
    return OK


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def cmd_stage(args: argparse.Namespace) -> int:
    if args.kind in _MERGE_COMMANDS:
        return _stage_merge(args)
    if args.id is None:
        say("Name the record with --id (or --id new for a record this change creates).")
        return USAGE
    record_id = new_record_id() if args.id == "new" else args.id
    with ExitStack() as stack:
        op_id = _account(stack).stage_one(args.kind, record_id, dict(args.param), step=args.step)
    if args.json:
        _emit({"op_id": op_id, "id": record_id})
    else:
        print(op_id)
        if args.id == "new":
            print(f"New record id: {record_id}")
    return OK


_MERGE_COMMANDS = ("merge", "unmerge")


def _stage_merge(args: argparse.Namespace) -> int:
    """`stage merge|unmerge --survivor ID --merged ID [--take FIELD ...]`: say what happens, stage it."""
    if not args.survivor or not args.merged:
        say(f"Name both students: stage {args.kind} --survivor ID --merged ID.")
        return USAGE
    if args.kind == "unmerge" and args.take:
        say("An undone merge puts back what the merge changed; --take is for merge only.")
        return USAGE
    with ExitStack() as stack:
        account = _account(stack)
        try:
            if args.kind == "merge":
                preview = account.merge_preview(args.survivor, args.merged)
                said = preview.describe(args.take)
                operation = merge_operation(preview, args.take)
            else:
                operation = account.unmerge_operation(args.survivor, args.merged)
                said = account.describe_unmerge(operation)
        except (UnknownStudentError, NotAChoiceError) as exc:
            say(exc.user_message)
            return USAGE
        except MergeError as exc:
            say(exc.user_message)
            return FAILED
        if not args.json:
            print(said)
        if args.kind == "merge":
            account.stage_year_end([operation])
        else:
            account.stage([operation])
    if args.json:
        _emit({"staged": 1, "kind": operation.kind.value, "description": said})
    else:
        print("Staged: it happens when you next send your changes (connect-desktop sync).")
    return OK


def cmd_pending(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        page = _account(stack).pending_page(limit=1_000_000)
    if args.json:
        _emit({"total": page.total, "operations": [vars(row) for row in page.rows]})
        return OK
    if not page.rows:
        print("No staged changes.")
    for row in page.rows:
        note = f" — {row.result_message}" if row.result_message else ""
        note += f" ({KEPT_TEXT})" if row.kept else ""
        state = state_text(row.state)
        change = f"{kind_text(row.kind)}: {noun(row.target_type, 1)} {row.target_id}"
        print(f"{row.op_id}  {state:<{_STATE_WIDTH}}  {row.step:<16} {change}{note}")
    return OK


def cmd_keep(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        count = _account(stack).keep_for_later(args.op_ids, kept=not args.send)
    if args.send:
        say(f"{count} change(s) will go with the next send.")
    else:
        say(f"{count} change(s) kept for later: no send takes them until `connect-desktop keep --send`.")
    return OK


def cmd_discard(args: argparse.Namespace) -> int:
    if bool(args.op_ids) == bool(args.all):
        say("Name the changes to discard, or use --all.")
        return USAGE
    with ExitStack() as stack:
        account = _account(stack)
        count = account.discard_all() if args.all else account.discard(args.op_ids)
    say(f"Discarded {count} change(s).")
    return OK


def cmd_retry(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        print(_account(stack).retry(args.op_id))
    return OK


def cmd_plan(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        account = _account(stack)

        def stage(plan: Plan[Any], confirmation: str | None) -> int:
            # One transaction, as in the app: all of the plan is staged, or none of it.
            return account.stage_plan(plan, confirmation=confirmation)

        with account.cache.engine.connect() as connection:
            return run_plan_command(args, connection, stage=stage if args.stage else None)


def cmd_duplicates(args: argparse.Namespace) -> int:
    if args.input is not None:  # a CSV of people: no account, no cache
        return run_duplicates_command(args, None)
    with ExitStack() as stack:
        _account, cache = _open(stack)
        connection = stack.enter_context(cache.engine.connect())
        return run_duplicates_command(args, lambda: connection)


def cmd_report(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        _account, cache = _open(stack)
        return run_report_command(args, lambda: cache.engine)


def cmd_rostering(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        if args.command == "validate":
            return run_rostering_command(args, None)
        _account, cache = _open(stack)
        connection = stack.enter_context(cache.engine.connect())
        return run_rostering_command(args, lambda: connection)


# -- parsing and dispatch -----------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="connect-desktop", description="Connect Desktop, headless.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_, description=help_)
        command.set_defaults(handler=handler)
        return command

    login = add("login", cmd_login, "sign in and remember the account")
    login.add_argument("--server", required=True, help="e.g. https://connect.example.org")
    login.add_argument("--user", required=True, help="your e-mail address")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument(
        "--ca-bundle",
        default=None,
        help="a PEM file of the certificates to trust instead of the usual ones (remembered)",
    )
    login.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow a plain http:// address of another computer (unencrypted)",
    )
    add("logout", cmd_logout, "sign out and end the session on the server (the local data stays)")
    add(
        "remove-local-data",
        cmd_remove_local_data,
        "sign out (as logout) and delete this account's local data, unsent staged changes included",
    )
    sync = add("sync", cmd_sync, "download changes, then send staged changes")
    only = sync.add_mutually_exclusive_group()
    only.add_argument("--pull-only", action="store_true")
    only.add_argument("--push-only", action="store_true")
    status = add("status", cmd_status, "what the local copy holds")
    status.add_argument("--json", action="store_true")
    stage = add("stage", cmd_stage, "prepare a change (sent by the next sync)")
    stage.add_argument("kind", help="e.g. archive_student; 'merge' or 'unmerge' for two students")
    stage.add_argument("--id", default=None, help="the record's id ('new' for a record this change creates)")
    stage.add_argument("--survivor", default=None, metavar="ID", help="merge/unmerge: the student kept")
    stage.add_argument("--merged", default=None, metavar="ID", help="merge/unmerge: the student merged")
    stage.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD",
        help="merge: take this field's value from the merged student (e.g. birth_date); repeatable",
    )
    stage.add_argument("--param", action="append", default=[], type=_param, metavar="KEY=VALUE")
    stage.add_argument("--step", default="cli", help="the wizard step to list it under")
    stage.add_argument("--json", action="store_true")
    pending = add("pending", cmd_pending, "list staged changes")
    pending.add_argument("--json", action="store_true")
    keep = add("keep", cmd_keep, "keep staged changes for later: no send takes them (as unchecked in Review)")
    keep.add_argument("op_ids", nargs="+", metavar="OP_ID")
    keep.add_argument("--send", action="store_true", help="put them back: the next send takes them")
    discard = add("discard", cmd_discard, "take staged changes out")
    discard.add_argument("op_ids", nargs="*", metavar="OP_ID")
    discard.add_argument("--all", action="store_true")
    retry = add("retry", cmd_retry, "stage a conflicting or rejected change again")
    retry.add_argument("op_id")
    rescued = add(
        "rescue",
        cmd_rescue,
        "save the staged changes of a damaged local copy to a file, set the copy aside (it is "
        "not deleted) and stage the changes again in a new one; the next sync downloads the rest",
    )
    way = rescued.add_mutually_exclusive_group()
    way.add_argument("--to", type=Path, default=None, metavar="FILE", help="where to save them")
    way.add_argument(
        "--restore", type=Path, default=None, metavar="FILE", help="stage the changes saved in FILE again"
    )
    add_plan_commands(sub).set_defaults(handler=cmd_plan)
    add_report_command(sub).set_defaults(handler=cmd_report)
    add_duplicates_command(sub).set_defaults(handler=cmd_duplicates)
    add_rostering_commands(sub)
    for name in ROSTERING_COMMANDS:
        sub.choices[name].set_defaults(handler=cmd_rostering)
    return parser


def _exit_code(exc: BaseException) -> int:
    return next(code for kind, code in _ERROR_CODES if isinstance(exc, kind))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one headless command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if load_account() is None and args.command not in _NEEDS_NO_ACCOUNT:
        say(accounts.NotSignedIn.user_message)
        return SIGNED_OUT
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # inside the try: a reader that went away is caught below
        return code
    except KeyboardInterrupt:
        say("Interrupted. Nothing was lost: the next sync continues where this one stopped.")
        return INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        _silence_stdout()
        return OK
    except tuple(kind for kind, _ in _ERROR_CODES) as exc:
        say(str(getattr(exc, "user_message", exc)))
        return _exit_code(exc)
    except (sqlite3.Error, SQLAlchemyError) as exc:  # the cache's, wherever it surfaced
        problem = classify(exc)
        if problem is None:
            raise
        say(problem.user_message)
        return LOCAL_DATA


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's final flush of the
    closed pipe does not print a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())

"""`connect-server tokens …` and `connect-server throttle …`: sign-ins and the sign-in throttle.

Wire into `connect_server.cli`: `add_auth_commands(commands)` on the top-level
subparsers, and dispatch `tokens` and `throttle` to `run_auth_command(args, sessions)`.
Exit codes: 0 done, 1 no such sign-in, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from connect_server.clock import utc_now
from connect_server.throttle import SignInThrottle
from connect_server.tokens import active_tokens, revoke_token


def add_auth_commands(subparsers: Any, db_option: dict[str, Any]) -> None:
    """Add `tokens list|revoke` and `throttle list|clear`; `db_option` is the `--db` argument's kwargs."""
    tokens = subparsers.add_parser("tokens", help="active sign-ins: list them, revoke one")
    actions = tokens.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every unexpired sign-in, newest first")
    listing.add_argument("--db", **db_option)
    listing.add_argument("--json", action="store_true")
    revoke = actions.add_parser("revoke", help="end one sign-in: its token is refused from now on")
    revoke.add_argument("--db", **db_option)
    revoke.add_argument("id", help="the sign-in's id, as `tokens list` shows it")

    throttle = subparsers.add_parser("throttle", help="counters of failed sign-ins: list, clear")
    actions = throttle.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the counters that still count, most recent first")
    listing.add_argument("--db", **db_option)
    listing.add_argument("--json", action="store_true")
    clear = actions.add_parser("clear", help="forget failed sign-ins (all, or of an account/address)")
    clear.add_argument("--db", **db_option)
    clear.add_argument("--account", default=None, help="only this e-mail's counters")
    clear.add_argument("--address", default=None, help="only this client address's counters")


def run_auth_command(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    """Carry out one `tokens` or `throttle` action; returns the exit code."""
    handler = {
        ("tokens", "list"): _list_tokens,
        ("tokens", "revoke"): _revoke_token,
        ("throttle", "list"): _list_throttle,
        ("throttle", "clear"): _clear_throttle,
    }[(args.command, args.action)]
    return handler(args, sessions)


def _list_tokens(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    rows, _total = active_tokens(sessions, utc_now(), limit=1_000_000)
    if args.json:
        _print_json([asdict(row) for row in rows])
        return 0
    for row in rows:
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        print(
            f"{row.id}  {row.email:<32} {row.role:<14} created {row.created_at:%Y-%m-%d %H:%M}  "
            f"expires {row.expires_at:%Y-%m-%d %H:%M}  last used {used}"
        )
    if not rows:
        print("No active sign-ins.")
    return 0


def _revoke_token(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    if not revoke_token(sessions, args.id, utc_now()):
        print(f"connect-server: No active sign-in with id {args.id}", file=sys.stderr)
        return 1
    print(f"Revoked sign-in {args.id}")
    return 0


def _list_throttle(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    counters = SignInThrottle(sessions).counters(utc_now())
    if args.json:
        _print_json([asdict(counter) for counter in counters])
        return 0
    for c in counters:
        blocked = f"blocked until {c.blocked_until:%Y-%m-%d %H:%M:%S}" if c.blocked_until else "not blocked"
        print(
            f"{c.kind.value:<16} {c.account or '*':<32} {c.address or '*':<20} {c.failures:>4} failure(s), "
            f"last {c.last_failure_at:%Y-%m-%d %H:%M:%S}, {blocked}"
        )
    if not counters:
        print("No failed sign-ins are being counted.")
    return 0


def _clear_throttle(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    print(f"Cleared {SignInThrottle(sessions).clear(args.account, args.address)} counter(s)")
    return 0


def _print_json(items: list[dict[str, Any]]) -> None:
    print(json.dumps(items, indent=2, default=str, ensure_ascii=False))

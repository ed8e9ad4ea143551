"""`connect-desktop plan …`: the year-end planners for IT staff, headless.

Wire into the main CLI with `add_plan_commands(subparsers)` and, for a parsed
`args.command == "plan"`, `run_plan_command(args, connection, stage)`. With `--stage`,
`stage(plan, confirmation)` is called once with the whole plan and the typed phrase (for
a permanent plan); the caller stages it (`Account.stage_plan`: one transaction) and
returns how many operations were staged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, inspect, select

from connect_desktop.rollover.classrooms import plan_classrooms
from connect_desktop.rollover.plan import ConfirmationError, Plan, PlanError, PlanFilter
from connect_desktop.rollover.roster_file import RosterFileError, read_student_numbers
from connect_desktop.rollover.staff import SignedInUser, plan_inactive_staff
from connect_desktop.rollover.students import StudentAction, StudentRule, StudentRules, plan_students
from connect_desktop.store.models import Account

Stage = Callable[[Plan[Any], str | None], int]

USAGE_ERROR = 2
_RULES = (
    StudentRule.LEAVING_DISTRICT,
    StudentRule.TOP_GRADE,
    StudentRule.WITHDRAWN,
    StudentRule.NOT_IN_FILE,
    StudentRule.EVERYONE,
)
_RULE_NAMES = "leaving-district [FILE], top-grade, withdrawn, not-in-file FILE or everyone"


def add_plan_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add `plan inactive-staff|classrooms|students` to a parser's subparsers."""
    plan: argparse.ArgumentParser = subparsers.add_parser(
        "plan", help="preview (and stage) year-end clean-up"
    )
    kinds = plan.add_subparsers(dest="plan_kind", required=True, metavar="WHAT")

    staff = kinds.add_parser("inactive-staff", help="staff whose access should be revoked")
    staff.add_argument("--since", type=_date, help="also propose staff not signed in since DATE (YYYY-MM-DD)")
    staff.add_argument("--include-synced", action="store_true", help="also propose staff synced from the SIS")

    classrooms = kinds.add_parser("classrooms", help="manual classrooms of past school years")
    classrooms.add_argument(
        "--school-year",
        type=int,
        action="append",
        metavar="YEAR",
        help="school year by the year it ends (2025 = 2024–25); repeatable; default: all past years",
    )

    students = kinds.add_parser("students", help="non-returning manual students")
    students.add_argument(
        "--rule",
        nargs="+",
        required=True,
        metavar="RULE",
        help=(
            "leaving-district [FILE] (graduates of the district's last grade, the withdrawn, and with "
            "FILE those not in it) | top-grade (of each school: also those moving up) | withdrawn | "
            "not-in-file FILE | everyone"
        ),
    )
    students.add_argument("--action", choices=[a.value for a in StudentAction], default="archive")
    students.add_argument(
        "--confirm", metavar="PHRASE", help='for delete: the exact phrase, e.g. "DELETE 12 STUDENTS"'
    )

    for sub in (staff, classrooms, students):
        sub.add_argument("--school", metavar="ID", help="only this school")
        sub.add_argument("--as-of", type=_date, help="plan as if today were DATE (default: today)")
        sub.add_argument("--stage", action="store_true", help="stage the operations in the outbox")
        sub.add_argument("--json", action="store_true", help="print the plan as JSON")
    return plan


def run_plan_command(
    args: argparse.Namespace,
    connection: Connection,
    stage: Stage | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the plan (and stage it with `--stage`); 0 on success, 2 for a refused request."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        plan, confirmation = _build_plan(args, connection)
        if plan.permanent_noun is not None:
            plan.to_operations(confirmation=confirmation)  # checks the phrase, yields nothing yet
        if args.stage and stage is None:
            raise PlanError("Staging is not available here.")
    except ConfirmationError as error:
        print(
            f"connect-desktop: deleting students cannot be undone. To go ahead, add "
            f'--confirm "{error.expected}" (or use --action archive, which can be undone).',
            file=err,
        )
        return USAGE_ERROR
    except (PlanError, RosterFileError) as error:
        print(f"connect-desktop: {error}", file=err)
        return USAGE_ERROR
    (_print_json if args.json else _print_text)(plan, out)
    if args.stage and stage is not None:
        staged = stage(plan, confirmation)
        print(f"Staged {staged} operations; review and send them before they take effect.", file=err)
    return 0


def _build_plan(args: argparse.Namespace, connection: Connection) -> tuple[Plan[Any], str | None]:
    as_of: dt.date = args.as_of or dt.date.today()
    filters = PlanFilter(school_id=args.school)
    if args.plan_kind == "inactive-staff":
        signed_in = _signed_in(connection)
        return plan_inactive_staff(
            connection,
            as_of=as_of,
            since=args.since,
            signed_in=signed_in,
            include_synced=args.include_synced,
            filters=filters,
        ), None
    if args.plan_kind == "classrooms":
        return plan_classrooms(connection, as_of=as_of, school_years=args.school_year, filters=filters), None
    rules = _student_rules(args.rule)
    action = StudentAction(args.action)
    return plan_students(connection, rules, action=action, filters=filters), args.confirm


def _student_rules(values: list[str]) -> StudentRules:
    name, *rest = values
    try:
        rule = StudentRule(name)
    except ValueError:
        rule = None
    if rule not in _RULES:
        raise PlanError(f"Unknown rule {name!r}: use {_RULE_NAMES}.")
    if rule is StudentRule.NOT_IN_FILE:
        if len(rest) != 1:
            raise PlanError("not-in-file needs the new year's student file: --rule not-in-file FILE")
        numbers = read_student_numbers(Path(rest[0]))
        return StudentRules.of(rule, file_numbers=numbers.numbers)
    if rule is StudentRule.LEAVING_DISTRICT and len(rest) == 1:
        return StudentRules.of(rule, file_numbers=read_student_numbers(Path(rest[0])).numbers)
    if rest:
        only = "at most one file" if rule is StudentRule.LEAVING_DISTRICT else "no file"
        raise PlanError(f"The rule {name} takes {only}.")
    return StudentRules.of(rule)


def _signed_in(connection: Connection) -> SignedInUser:
    """Who this cache belongs to, from its account row (when there is one)."""
    if not inspect(connection).has_table(Account.__tablename__):
        return SignedInUser()
    row = connection.execute(select(Account.email)).first()
    return SignedInUser(email=row[0]) if row else SignedInUser()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _item_dict(item: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in item._asdict().items()}


def _print_json(plan: Plan[Any], out: TextIO) -> None:
    """`{"count": N, "items": [...], "skipped": [...]}`, written item by item."""
    skipped = [{"count": s.count, "reason": s.reason} for s in plan.skipped]
    out.write(f'{{"count": {plan.count}, "description": {json.dumps(plan.description)}, ')
    out.write(f'"skipped": {json.dumps(skipped)}, "items": [')
    for index, item in enumerate(plan.items()):
        out.write(("," if index else "") + "\n  " + json.dumps(_item_dict(item), ensure_ascii=False))
    out.write("\n]}\n")


def _print_text(plan: Plan[Any], out: TextIO) -> None:
    out.write(f"{plan.description}\n{plan.count} proposed.\n")
    for skipped in plan.skipped:
        out.write(f"Left alone: {skipped.reason}\n")
    for item in plan.items():
        label = getattr(item, "name", "")
        out.write(f"{item.id}\t{label}\t{item.reason}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error

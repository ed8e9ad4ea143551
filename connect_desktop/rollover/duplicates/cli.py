"""`connect-desktop duplicates`: probable duplicate students, headless.

On the signed-in cache: `connect-desktop duplicates [--min-score S] [--school ID]
[--grade G] [--json]`. On any CSV of people: `connect-desktop duplicates --input FILE.csv
--id-column C --columns given_name=COL,surname=COL,... [--json]` (FEBRL's field names or
the cache's). `--json` prints `{"pairs": [{"a", "b", "score", "band", "reasons"}],
"clusters": [[id, ...], ...]}`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from connect_desktop.rollover.duplicates.engine import find_in_cache, find_in_records
from connect_desktop.rollover.duplicates.findings import BAND_TEXT, Findings, clusters_of
from connect_desktop.rollover.duplicates.records import RecordsError, parse_mapping, read_csv

USAGE_ERROR = 2
_NAME_WIDTH = 28


def add_duplicates_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `duplicates` to a parser's subparsers."""
    command: argparse.ArgumentParser = subparsers.add_parser(
        "duplicates",
        help="list students who are probably the same child twice",
        description="List students who are probably the same child twice (or, with --input, "
        "people of a CSV file who are probably the same person).",
    )
    command.add_argument(
        "--min-score", type=_score, default=None, metavar="S", help="leave out pairs scoring below S (0..1)"
    )
    command.add_argument(
        "--school", default=None, metavar="ID", help="only pairs with a child in this school (its id)"
    )
    command.add_argument("--grade", default=None, metavar="G", help="only pairs with a child in this grade")
    command.add_argument("--json", action="store_true")
    command.add_argument("--input", type=Path, default=None, metavar="FILE.csv", help="a CSV file of people")
    command.add_argument("--id-column", default=None, metavar="C", help="the column of each person's id")
    command.add_argument(
        "--columns",
        default=None,
        metavar="FIELD=COL,...",
        help="which column holds each field: given_name (first_name), surname (last_name), "
        "date_of_birth (birth_date), student_number, school, grade, status, origin, contacts, "
        "street_number, address_1, address_2, suburb, postcode, state, soc_sec_id",
    )
    return command


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}")
    return value


def run_duplicates_command(args: argparse.Namespace, connection: Callable[[], Connection] | None) -> int:
    """Run a parsed `duplicates`; `connection()` opens the signed-in cache (not needed with --input)."""
    if args.input is None:
        if args.columns or args.id_column:
            _say("--columns and --id-column go with --input FILE.csv.")
            return USAGE_ERROR
        if connection is None:
            raise RuntimeError("the cache is needed without --input")
        findings = find_in_cache(connection(), min_score=args.min_score)
    else:
        if not args.columns:
            _say("Say which columns hold the names: --columns given_name=COLUMN,surname=COLUMN,...")
            return USAGE_ERROR
        try:
            mapping = parse_mapping(args.columns)
            findings = find_in_records(
                read_csv(args.input, args.id_column, mapping), min_score=args.min_score
            )
        except RecordsError as exc:
            _say(exc.plain)
            return USAGE_ERROR
    if args.school is not None or args.grade is not None:
        findings = _narrowed(findings, args.school, args.grade)
    if args.json:
        print(json.dumps(as_json(findings), ensure_ascii=False))
    else:
        _print_table(findings)
    return 0


def _narrowed(findings: Findings, school: str | None, grade: str | None) -> Findings:
    """The findings with only the pairs that have a child in `school` and `grade`."""
    pairs = findings.narrowed(school=school, grade=grade)
    kept = {record_id for pair in pairs for record_id in (pair.a, pair.b)}
    return Findings(
        pairs,
        clusters_of(pairs),
        {k: v for k, v in findings.labels.items() if k in kept},
        {k: v for k, v in findings.places.items() if k in kept},
    )


def as_json(findings: Findings) -> dict[str, Any]:
    return {
        "pairs": [
            {"a": p.a, "b": p.b, "score": p.score, "band": p.band.value, "reasons": list(p.reasons)}
            for p in findings.pairs
        ],
        "clusters": [list(c.ids) for c in findings.clusters],
    }


def _print_table(findings: Findings) -> None:
    if not findings.pairs:
        print("No probable duplicates found.")
        return
    labels = findings.labels
    for band, title in BAND_TEXT.items():
        pairs = [p for p in findings.pairs if p.band is band]
        if not pairs:
            continue
        print(f"{title} ({len(pairs):,}):")
        print(f"  {'score':>5}  {'first record':<{_NAME_WIDTH}} {'second record':<{_NAME_WIDTH}} why")
        for p in pairs:
            first = _fit(labels.get(p.a, p.a))
            second = _fit(labels.get(p.b, p.b))
            print(f"  {p.score:>5.2f}  {first:<{_NAME_WIDTH}} {second:<{_NAME_WIDTH}} {'; '.join(p.reasons)}")
    groups = [c for c in findings.clusters if len(c.ids) > 2]
    if groups:
        print(f"Groups of more than two records ({len(groups):,}):")
        for cluster in groups:
            print("  " + " / ".join(labels.get(i, i) for i in cluster.ids))


def _fit(text: str) -> str:
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 1] + "…"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

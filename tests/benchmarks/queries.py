"""Benchmark: listing queries on a cache with N students (default 1,000,000).

    .venv/bin/python tests/benchmarks/queries.py --students 1000000

Fills a fresh cache with synthetic students (plain executemany), stages archives for
1% of them, and prints the time of the first, a middle and a filtered page, with counts.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from connect_desktop.store.db import open_cache
from connect_desktop.store.queries import ListFilter, effective_counts, list_records
from connect_desktop.store.writer import WRITERS
from connect_desktop.sync.outbox import Outbox, StageItem


def fill(path: Path, students: int) -> None:
    rng = random.Random(1)
    schools = [f"school-{n:03d}" for n in range(200)]
    with open_cache(path) as cache, cache.raw() as connection:
        writer = WRITERS["school"]
        school = {"source_id": None, "origin": "sync", "level": "high", "grade_low": "9", "grade_high": "12"}
        connection.executemany(
            writer.upsert_sql,
            [writer.row({"id": s, "version": 1, "data": {**school, "name": s}}) for s in schools],
        )
        writer = WRITERS["student"]
        rows = (
            writer.row(
                {
                    "id": f"stu-{n:07d}",
                    "version": 1,
                    "data": {
                        "source_id": None,
                        "origin": "sync",
                        "school_id": rng.choice(schools),
                        "student_number": f"N{n:07d}",
                        "first_name": f"First{rng.randrange(5000)}",
                        "last_name": f"Last{rng.randrange(50000):05d}",
                        "birth_date": None,
                        "grade": str(rng.randrange(1, 13)),
                        "status": "active",
                        "withdrawn_on": None,
                    },
                }
            )
            for n in range(students)
        )
        connection.executemany(writer.upsert_sql, rows)
        connection.commit()


def timed(function):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = function()
    return value, round((time.perf_counter() - started) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1_000_000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="connect-queries-")) / "cache.sqlite3"
    started = time.perf_counter()
    fill(path, args.students)
    report: dict[str, object] = {"students": args.students, "fill_s": round(time.perf_counter() - started, 1)}
    with open_cache(path) as cache:
        step = 100
        items = [StageItem("archive_student", f"stu-{n:07d}") for n in range(0, args.students, step)]
        _, report["stage_1pct_ms"] = timed(lambda: Outbox(cache).stage_many(items, step="students"))
        with cache.sessions() as session:
            middle = list_records(
                session, "student", offset=args.students // 2, limit=1, count=False
            ).next_after
            for label, call in {
                "first_page": lambda: list_records(session, "student", limit=100),
                "middle_page": lambda: list_records(session, "student", offset=args.students // 2, limit=100),
                "keyset_middle_page": lambda: list_records(
                    session, "student", limit=100, after=middle, count=False
                ),
                "school_page": lambda: list_records(
                    session, "student", ListFilter(school_id="school-007"), limit=100
                ),
                "school_grade_page": lambda: list_records(
                    session, "student", ListFilter(school_id="school-007", grade="9"), limit=100
                ),
                "archived_page": lambda: list_records(
                    session, "student", ListFilter(status="archived"), limit=100
                ),
                "search_page": lambda: list_records(
                    session, "student", ListFilter(search="Last01234"), limit=100
                ),
                "effective_counts": lambda: effective_counts(session),
            }.items():
                _, report[f"{label}_ms"] = timed(call)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

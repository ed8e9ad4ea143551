"""Benchmark the year-end planners on a cache the size of the largest US district.

    .venv/bin/python -m tests.benchmarks.rollover [--students 1000000] [--keep PATH]

Builds a cache (1,000,000 students, 80,000 staff, 60,000 classrooms over two school
years, one teacher and 20 students per classroom) with executemany, then times each
planner: building the plan (its counts), the first page, and streaming every item or
operation. Prints JSON with [wall, CPU] seconds per step and the peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine

from connect_desktop.rollover import (
    PlanFilter,
    SignedInUser,
    StudentAction,
    StudentRule,
    StudentRules,
    plan_classrooms,
    plan_inactive_staff,
    plan_students,
)
from connect_desktop.store.models import CacheBase

TODAY = dt.date(2026, 6, 15)
GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
LEVELS = (("elementary", "K", "5"), ("middle", "6", "8"), ("high", "9", "12"))


def build_cache(path: Path, students: int, seed: int = 1) -> None:
    """Fill a fresh cache file with a district of `students` students."""
    engine = create_engine(f"sqlite:///{path}")
    CacheBase.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(seed)
    schools = max(3, students // 700)
    staff = students * 8 // 100
    classrooms = students * 6 // 100
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        school_rows = [
            (f"sc{i}", f"School {i:04d}", *LEVELS[i % 3], "manual" if i % 4 else "sync")
            for i in range(schools)
        ]
        db.executemany(
            "INSERT INTO school (id, version, origin, name, level, grade_low, grade_high) "
            "VALUES (?, 1, ?, ?, ?, ?, ?)",
            [(sid, origin, name, level, low, high) for sid, name, level, low, high, origin in school_rows],
        )
        db.executemany(
            "INSERT INTO term (id, version, origin, name, school_year, start_date, end_date) "
            "VALUES (?, 1, 'manual', ?, ?, ?, ?)",
            [(f"t{y}", f"{y - 1}-{y}", y, f"{y - 1}-08-15", f"{y}-06-30") for y in (2025, 2026)],
        )
        db.executemany(
            "INSERT INTO staff (id, version, origin, first_name, last_name, email, role, school_id, access, "
            "last_sign_in_at, left_on) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            _staff_rows(rng, staff, schools),
        )
        db.executemany(
            "INSERT INTO student (id, version, origin, school_id, student_number, first_name, last_name, "
            "grade, status, withdrawn_on) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'active', ?)",
            _student_rows(rng, students, school_rows),
        )
        db.executemany(
            "INSERT INTO classroom (id, version, origin, school_id, term_id, name, status) "
            "VALUES (?, 1, ?, ?, ?, ?, 'active')",
            (
                (f"c{i}", "manual" if i % 5 else "sync", f"sc{i % schools}", f"t{2025 + i % 2}", f"Class {i}")
                for i in range(classrooms)
            ),
        )
        db.executemany(
            "INSERT INTO enrollment (id, version, origin, classroom_id, person_id, role) "
            "VALUES (?, 1, 'manual', ?, ?, ?)",
            _enrollment_rows(rng, classrooms, staff, students),
        )
        db.commit()
    finally:
        db.close()


def _staff_rows(rng: random.Random, count: int, schools: int) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        role = "district_admin" if i < 20 else "school_admin" if i % 25 == 0 else "teacher"
        signed_in = None if i % 17 == 0 else f"2026-{rng.randint(1, 6):02d}-01 08:00:00"
        left_on = "2026-05-31" if i % 41 == 0 else None
        yield (
            f"st{i}",
            "manual" if i % 3 else "sync",
            "Ann",
            f"Staff{i}",
            f"staff{i}@example.org",
            role,
            f"sc{i % schools}",
            signed_in,
            left_on,
        )


def _student_rows(
    rng: random.Random, count: int, schools: list[tuple[str, ...]]
) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        school_id, _, _, low, high, _ = schools[i % len(schools)]
        grades = GRADES[GRADES.index(low) : GRADES.index(high) + 1]
        withdrawn = "2026-03-01" if i % 97 == 0 else None
        yield (
            f"s{i}",
            "manual" if i % 4 else "sync",
            school_id,
            f"{i:07d}",
            "Kim",
            f"Student{i}",
            rng.choice(grades),
            withdrawn,
        )


def _enrollment_rows(
    rng: random.Random, classrooms: int, staff: int, students: int
) -> Iterator[tuple[Any, ...]]:
    n = 0
    for c in range(classrooms):
        n += 1
        yield (f"e{n}", f"c{c}", f"st{rng.randrange(20, staff)}", "teacher")
        for _ in range(20):
            n += 1
            yield (f"e{n}", f"c{c}", f"s{rng.randrange(students)}", "student")


def _timed(results: dict[str, Any], name: str, work: Callable[[], Any]) -> Any:
    """Run `work`, record [wall seconds, CPU seconds] (CPU is steadier on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    results[name] = [round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)]
    return value


def run(connection: Connection, students: int) -> dict[str, Any]:
    seconds: dict[str, Any] = {}
    counts: dict[str, int] = {}
    staff = _timed(
        seconds,
        "staff.plan",
        lambda: plan_inactive_staff(
            connection,
            as_of=TODAY,
            since=dt.date(2026, 3, 1),
            signed_in=SignedInUser(email="staff99@example.org"),
        ),
    )
    counts["staff"] = staff.count
    _timed(seconds, "staff.first_page", lambda: staff.page(0, 100))
    _timed(seconds, "staff.all_items", lambda: sum(1 for _ in staff.items()))
    _timed(seconds, "staff.consequence_all", staff.classrooms_without_teacher)
    half = [item_id for index, item_id in enumerate(staff.ids()) if index % 2]
    _timed(seconds, "staff.consequence_half", lambda: staff.classrooms_without_teacher(half))

    classrooms = _timed(seconds, "classrooms.plan", lambda: plan_classrooms(connection, as_of=TODAY))
    counts["classrooms"] = classrooms.count
    _timed(seconds, "classrooms.first_page", lambda: classrooms.page(0, 100))
    _timed(seconds, "classrooms.all_operations", lambda: sum(1 for _ in classrooms.to_operations()))

    top = _timed(
        seconds,
        "students.top_grade.plan",
        lambda: plan_students(connection, StudentRules.of(StudentRule.TOP_GRADE)),
    )
    counts["students.top_grade"] = top.count
    _timed(seconds, "students.top_grade.first_page", lambda: top.page(0, 100))
    _timed(seconds, "students.top_grade.all_items", lambda: sum(1 for _ in top.items()))

    in_file = (f"{i:07d}" for i in range(students) if i % 10)
    numbers = frozenset(in_file)
    missing = _timed(
        seconds,
        "students.not_in_file.plan",
        lambda: plan_students(connection, StudentRules.of(StudentRule.NOT_IN_FILE, file_numbers=numbers)),
    )
    counts["students.not_in_file"] = missing.count
    _timed(seconds, "students.not_in_file.first_page", lambda: missing.page(0, 100))

    everyone = _timed(
        seconds,
        "students.everyone_delete.plan",
        lambda: plan_students(connection, StudentRules.of(StudentRule.EVERYONE), action=StudentAction.DELETE),
    )
    counts["students.everyone"] = everyone.count
    phrase = _timed(
        seconds,
        "students.everyone_delete.phrase_minus_1000",
        lambda: everyone.confirmation_phrase(excluded_ids=[f"s{i}" for i in range(1, 4000, 4)]),
    )
    _timed(
        seconds,
        "students.everyone_delete.all_operations",
        lambda: sum(
            1
            for _ in everyone.to_operations(
                excluded_ids=[f"s{i}" for i in range(1, 4000, 4)], confirmation=phrase
            )
        ),
    )
    one_school = _timed(
        seconds,
        "students.everyone.one_school_grade.plan",
        lambda: plan_students(
            connection, StudentRules.of(StudentRule.EVERYONE), filters=PlanFilter(school_id="sc1", grade="7")
        ),
    )
    counts["students.one_school_grade"] = one_school.count
    return {"students": students, "seconds_wall_cpu": seconds, "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the cache at this path")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.sqlite"
        build_seconds = None
        if not path.exists():
            start = time.perf_counter()
            build_cache(path, args.students)
            build_seconds = round(time.perf_counter() - start, 1)
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as connection:
                report = run(connection, args.students)
        finally:
            engine.dispose()
    report["build_seconds"] = build_seconds
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

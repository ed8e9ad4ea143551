"""Benchmark: stage "select all" of a million-student plan the way the GUI does.

    .venv/bin/python -m tests.benchmarks.stage [--students 1000000] [--old 100000]

Builds a migrated cache of the size of the largest US district, plans "archive every
student", and stages it through `Account.stage_plan` (what the wizard's "Add to my
changes" calls): one transaction, INSERT … SELECT from the plan's query. It reports the
seconds, the peak memory growth while staging (RSS sampled every 5 ms), whether one
transaction did it all, and, as the physical limit, the same rows written by plain
`sqlite3.executemany` in one transaction on a copy of the cache. With `--old N` it also stages
N operations through `stage_many` from Python objects (the path the GUI used before).
Prints JSON. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import event

from connect_desktop.account.service import Account
from connect_desktop.rollover import StudentAction, StudentRule, StudentRules, plan_students
from connect_desktop.rollover.plan import Selection
from connect_desktop.settings import AccountSettings
from connect_desktop.store.db import open_cache
from tests.benchmarks.rollover import build_cache


class PeakMemory:
    """Samples this process's RSS in a thread; `growth` is the peak above the start."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._start = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return round((self._peak - self._start) / 1_000_000, 1)


@contextmanager
def counting_commits(engine: Any) -> Iterator[list[int]]:
    """Counts the transactions committed on `engine` while inside (`[count]`)."""
    count = [0]

    def committed(_connection: Any) -> None:
        count[0] += 1

    event.listen(engine, "commit", committed)
    try:
        yield count
    finally:
        event.remove(engine, "commit", committed)


def _raw_limit(path: Path, staged: Path) -> float:
    """Seconds plain sqlite3 `executemany` takes to write the same rows in one transaction.

    The rows (the ids and versions `staged` got, with fresh op_ids) are built before the
    clock starts: this is the cost of writing them, nothing else.
    """
    source = sqlite3.connect(staged)
    chosen = source.execute("SELECT target_id, base_version FROM pending_operation").fetchall()
    source.close()
    operations = [
        (str(uuid.uuid4()), "archive_student", "student", record_id, version, "{}", "non_returning_students")
        for record_id, version in chosen
    ]
    changes = [(op[0], "student", op[3], "update", '{"status":"archived"}', "{}", op[4]) for op in operations]
    db = sqlite3.connect(path)
    started = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO pending_operation (op_id, kind, target_type, target_id, base_version, params, "
            "step, batch, created_at, state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '2026-06-15 10:00:00', 'pending')",
            operations,
        )
        db.executemany(
            "INSERT INTO staged_change (op_id, entity_type, entity_id, action, fields, old, base_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            changes,
        )
    elapsed = time.perf_counter() - started
    db.close()
    return round(elapsed, 2)


def _archive_everyone(connection: Any) -> Any:
    return plan_students(connection, StudentRules.of(StudentRule.EVERYONE), action=StudentAction.ARCHIVE)


def _old_path(path: Path, count: int) -> dict[str, Any]:
    """The path the GUI took before: `count` PlannedOperation objects through `stage_many`."""
    cache = open_cache(path)
    account = Account(AccountSettings("https://bench.invalid", "bench@example.org", "u1"), None, cache)
    try:
        with cache.engine.connect() as connection:
            plan = plan_students(
                connection, StudentRules.of(StudentRule.EVERYONE), action=StudentAction.ARCHIVE
            )
            with PeakMemory() as memory:
                started = time.perf_counter()
                operations = [op for _, op in zip(range(count), plan.to_operations(), strict=False)]
                account.stage(operations)
                elapsed = time.perf_counter() - started
    finally:
        cache.close()
    return {
        f"stage_many_{count}_s": round(elapsed, 2),
        f"stage_many_{count}_memory_growth_mb": memory.growth_mb,
    }


def run(folder: Path, students: int, old: int) -> dict[str, Any]:
    path = folder / "cache.sqlite"
    open_cache(path).close()  # the real, migrated schema
    started = time.perf_counter()
    build_cache(path, students)
    built = time.perf_counter() - started
    shutil.copy(path, folder / "limit.sqlite")
    if old:
        shutil.copy(path, folder / "old.sqlite")
    cache = open_cache(path)
    account = Account(AccountSettings("https://bench.invalid", "bench@example.org", "u1"), None, cache)
    figures: dict[str, Any] = {"students": students, "build_s": round(built, 1)}
    try:
        with cache.engine.connect() as connection:
            plan = plan_students(
                connection, StudentRules.of(StudentRule.EVERYONE), action=StudentAction.ARCHIVE
            )
            figures["plan_items"] = plan.count
            with counting_commits(cache.engine) as commits, PeakMemory() as memory:
                started = time.perf_counter()
                staged = account.stage_plan(plan, Selection())
                figures["stage_plan_s"] = round(time.perf_counter() - started, 2)
            figures["staged"] = staged
            figures["transactions"] = commits[0]
            figures["peak_memory_growth_mb"] = memory.growth_mb
    finally:
        cache.close()
    if old:
        figures.update(_old_path(folder / "old.sqlite", old))
    figures["raw_sqlite_executemany_s"] = _raw_limit(folder / "limit.sqlite", path)
    figures["stage_plan_vs_raw"] = round(figures["stage_plan_s"] / figures["raw_sqlite_executemany_s"], 2)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--old", type=int, default=0, help="also stage N operations from Python objects")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(run(Path(folder), args.students, args.old), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

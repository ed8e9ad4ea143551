"""Benchmark: streaming XLSX reports against raw openpyxl writing (not run by pytest).

    .venv/bin/python tests/benchmarks/reports.py --students 100000 [--db FILE] [--reports students families]

Builds a cache with N students, 2N family contacts (each linked to one student),
N/12.5 staff, N/16.7 classrooms and 7N enrollments (fast executemany), unless --db
names an existing file built before. Then, per report: our export (rows, seconds,
rows/s, peak RSS above the baseline), and raw openpyxl write-only writing of the same
rows pre-fetched into a list of tuples (same columns, dates as date objects, split at
the same row limit) in the same run. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psutil
from openpyxl import Workbook
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from connect_desktop.reports import REPORTS, export_report
from connect_desktop.reports.cells import Kind
from connect_desktop.reports.context import load_context
from connect_desktop.reports.source import snapshot
from connect_desktop.reports.workbook import MAX_ROWS
from connect_desktop.store.models import CacheBase

FIRST = ["Ana", "Luis", "Maya", "Noah", "Emma", "Liam", "Zoe", "Omar", "Ivy", "Sam", "Lena", "Theo", "Aiden"]
LAST = ["Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Lee", "Brown", "Silva", "Ito", "Novak"]
GRADES = ["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]


# -- building a cache -------------------------------------------------------------
def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build(path: Path, students: int) -> dict[str, float]:
    """Create and fill a cache file; returns seconds per phase."""
    engine = create_engine(f"sqlite:///{path}")
    CacheBase.metadata.create_all(engine)
    indexes = [ix for table in CacheBase.metadata.sorted_tables for ix in table.indexes]
    with engine.begin() as conn:
        for ix in indexes:
            ix.drop(conn)
    engine.dispose()
    rng = random.Random(1)
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;")
    started = time.perf_counter()
    n_schools = max(3, students // 2000)
    schools = [uid(rng) for _ in range(n_schools)]
    db.executemany(
        "INSERT INTO school (id, version, origin, name, level, grade_low, grade_high)"
        " VALUES (?,1,'sync',?,?,?,?)",
        [(s, f"School {i:03d}", "elementary", "K", "12") for i, s in enumerate(schools)],
    )
    terms = {}
    for s in schools:
        for year in (2025, 2026):
            terms[(s, year)] = uid(rng)
    db.executemany(
        "INSERT INTO term (id, version, origin, name, school_year, start_date, end_date, school_id)"
        " VALUES (?,1,'sync',?,?,?,?,?)",
        [(t, f"{y - 1}-{y}", y, f"{y - 1}-08-20", f"{y}-06-20", s) for (s, y), t in terms.items()],
    )
    n_staff = max(1, int(students / 12.5))
    staff = [uid(rng) for _ in range(n_staff)]
    db.executemany(
        "INSERT INTO staff (id, version, origin, first_name, last_name, email, role, school_id, access,"
        " last_sign_in_at) VALUES (?,1,'sync',?,?,?,'teacher',?,'active',?)",
        (
            (s, FIRST[i % 13], LAST[i % 11], f"t{i}@district.example", schools[i % n_schools],
             f"2026-06-{1 + i % 28:02d} 07:{i % 60:02d}:00.000000")
            for i, s in enumerate(staff)
        ),
    )  # fmt: skip
    student_ids = [uid(rng) for _ in range(students)]
    db.executemany(
        "INSERT INTO student (id, version, origin, school_id, student_number, first_name, last_name,"
        " birth_date, grade, status, withdrawn_on) VALUES (?,1,'sync',?,?,?,?,?,?,?,?)",
        (
            (sid, schools[i % n_schools], f"{i:07d}", FIRST[i % 13], LAST[(i * 7) % 11],
             f"{2008 + i % 13}-{1 + i % 12:02d}-{1 + i % 28:02d}", GRADES[i % 13],
             "archived" if i % 20 == 0 else "active", "2026-03-01" if i % 20 == 0 else None)
            for i, sid in enumerate(student_ids)
        ),
    )  # fmt: skip
    contact_ids = [uid(rng) for _ in range(2 * students)]
    db.executemany(
        "INSERT INTO contact (id, version, origin, first_name, last_name, email, phone, language, school_id)"
        " VALUES (?,1,'sync',?,?,?,?,?,?)",
        (
            (cid, FIRST[(i + 5) % 13], LAST[(i // 2 * 7) % 11],
             None if i % 7 == 0 else f"family{i}@mail.example",
             None if i % 5 == 0 else f"+1 555 {i % 10000:04d}",
             "en" if i % 3 else "es", schools[(i // 2) % n_schools])
            for i, cid in enumerate(contact_ids)
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO student_contact (id, version, origin, student_id, contact_id, relationship)"
        " VALUES (?,1,'sync',?,?,?)",
        (
            (uid(rng), student_ids[i // 2], cid, "mother" if i % 2 else "father")
            for i, cid in enumerate(contact_ids)
        ),
    )
    n_classrooms = max(1, int(students / 16.7))
    classrooms = [uid(rng) for _ in range(n_classrooms)]
    db.executemany(
        "INSERT INTO classroom (id, version, origin, school_id, term_id, name, course_code, grade, status)"
        " VALUES (?,1,'sync',?,?,?,?,?,'active')",
        (
            (c, schools[i % n_schools], terms[(schools[i % n_schools], 2026)], f"Class {i:05d}", f"C{i:05d}",
             GRADES[i % 13])
            for i, c in enumerate(classrooms)
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO enrollment (id, version, origin, classroom_id, person_id, role)"
        " VALUES (?,1,'sync',?,?,?)",
        _enrollments(rng, student_ids, classrooms, staff, 7 * students),
    )
    db.commit()
    inserted = time.perf_counter()
    db.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for ix in indexes:
            ix.create(conn)
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("ANALYZE")
    db.close()
    return {"insert_s": round(inserted - started, 1), "index_s": round(time.perf_counter() - inserted, 1)}


def _enrollments(
    rng: random.Random, students: list[str], classrooms: list[str], staff: list[str], total: int
) -> Iterator[tuple[str, str, str, str]]:
    n = 0
    for i, c in enumerate(classrooms):
        yield uid(rng), c, staff[i % len(staff)], "teacher"
        n += 1
    per_student = max(1, (total - n) // max(1, len(students)))
    for i, s in enumerate(students):
        for k in range(per_student):
            yield uid(rng), classrooms[(i * 7 + k * 131) % len(classrooms)], s, "student"


# -- measuring ---------------------------------------------------------------------
class PeakRss:
    """Samples this process's RSS in a thread; `peak` is the highest seen."""

    def __init__(self, interval: float = 0.05) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(n: int) -> float:
    return round(n / 2**20, 1)


@dataclass
class Phase:
    seconds: float
    cpu_seconds: float
    rss_before: int
    rss_peak: int


def timed(fn: Callable[[], Any]) -> tuple[Any, Phase]:
    """Run `fn`, returning its result with wall and CPU time and peak RSS."""
    base = psutil.Process().memory_info().rss
    with PeakRss() as rss:
        started, cpu = time.perf_counter(), time.process_time()
        value = fn()
        phase = Phase(time.perf_counter() - started, time.process_time() - cpu, base, 0)
    phase.rss_peak = rss.peak
    return value, phase


def prefetch(engine: Any, name: str) -> list[tuple[Any, ...]]:
    """The report's own rows as a list of tuples, dates already date objects."""
    spec = REPORTS[name]
    rows: list[tuple[Any, ...]] = []
    with snapshot(engine) as reader:
        ctx = load_context(
            reader, today=dt.date.today(), generated_at=dt.datetime.now(), account_name="Bench"
        )
        plan = spec.sheets[0].plan(reader, ctx)
        dates = [i for i, c in enumerate(plan.columns) if c.kind in (Kind.DATE, Kind.DATETIME, Kind.MONTH)]
        for chunk in reader.chunks(plan.sql, plan.params):
            for raw in chunk:
                row = list(raw)
                for i in dates:
                    if row[i] is not None:
                        row[i] = dt.datetime.fromisoformat(row[i])
                rows.append(tuple(row))
    return rows


def raw_openpyxl(rows: list[tuple[Any, ...]], path: Path) -> None:
    wb = Workbook(write_only=True)
    limit = MAX_ROWS - 1
    for start in range(0, max(len(rows), 1), limit):
        ws = wb.create_sheet(f"Sheet{start // limit + 1}")
        ws.append([f"Column {i}" for i in range(len(rows[0]) if rows else 1)])
        for row in rows[start : start + limit]:
            ws.append(row)
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="cache file to reuse (built if missing)")
    parser.add_argument("--reports", nargs="+", default=["students", "families"], choices=list(REPORTS))
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw openpyxl comparison (saves time)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    db = args.db or work / "cache.sqlite"
    result: dict[str, Any] = {
        "students": args.students,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    if not db.exists():
        result["build"] = build(db, args.students)
    engine = create_engine(f"sqlite:///{db}")
    result["start_rss_mib"] = mib(psutil.Process().memory_info().rss)
    for name in args.reports:
        result[name] = compare(engine, name, work, raw=not args.no_raw)
    engine.dispose()
    result["ru_maxrss_mib"] = mib(_maxrss())
    print(json.dumps(result, indent=2))
    if not args.keep:
        for path in sorted(work.rglob("*"), reverse=True):
            if path == db and args.db:
                continue
            path.unlink() if path.is_file() else path.rmdir()
        if not any(work.iterdir()):
            work.rmdir()


def compare(engine: Any, name: str, work: Path, *, raw: bool = True) -> dict[str, Any]:
    """Our export of `name` against raw openpyxl writing of the same rows."""
    path, ours = timed(partial(export_report, engine, name, work / name))
    rows = sum(s.count(r, c) for s, r, c in _counts(engine, name))
    if not raw:
        return {
            "rows": rows,
            "seconds": round(ours.seconds, 2),
            "cpu_seconds": round(ours.cpu_seconds, 2),
            "rows_per_s": round(rows / ours.seconds),
            "rss_before_mib": mib(ours.rss_before),
            "rss_peak_during_export_mib": mib(ours.rss_peak),
            "rss_growth_during_export_mib": mib(ours.rss_peak - ours.rss_before),
            "file_mib": mib(path.stat().st_size),
        }
    fetched, fetch = timed(partial(prefetch, engine, name))
    _, raw = timed(partial(raw_openpyxl, fetched, work / f"raw-{name}.xlsx"))
    fetched.clear()
    return {
        "rows": rows,
        "seconds": round(ours.seconds, 2),
        "cpu_seconds": round(ours.cpu_seconds, 2),
        "rows_per_s": round(rows / ours.seconds),
        "raw_openpyxl_seconds": round(raw.seconds, 2),
        "raw_openpyxl_cpu_seconds": round(raw.cpu_seconds, 2),
        "raw_openpyxl_rows_per_s": round(rows / raw.seconds),
        "ratio_vs_raw_wall": round(raw.seconds / ours.seconds, 3),
        "ratio_vs_raw_cpu": round(raw.cpu_seconds / ours.cpu_seconds, 3),
        "prefetch_seconds_not_in_raw": round(fetch.seconds, 2),
        "rss_before_mib": mib(ours.rss_before),
        "rss_peak_during_export_mib": mib(ours.rss_peak),
        "rss_growth_during_export_mib": mib(ours.rss_peak - ours.rss_before),
        "raw_rss_growth_mib_prefetched_list": mib(fetch.rss_peak - fetch.rss_before),
        "file_mib": mib(path.stat().st_size),
    }


def _counts(engine: Any, name: str) -> Iterator[tuple[Any, Any, Any]]:
    with snapshot(engine) as reader:
        ctx = load_context(
            reader, today=dt.date.today(), generated_at=dt.datetime.now(), account_name="Bench"
        )
        for sheet in REPORTS[name].sheets:
            yield sheet, reader, ctx


def _maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    main()

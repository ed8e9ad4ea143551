"""Benchmark the demo-district seed.

    .venv/bin/python -m tests.benchmarks.seed --students 1000000 [--db URL] [--seed 1]

Without `--db`, seeds a new SQLite file in a temporary folder (deleted afterwards).
Prints JSON: students, rows_total, seconds, rows_per_s, db_bytes (SQLite only; with
its WAL), peak_rss_mb and the per-table counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from connect_server.seed import seed_district

AS_OF = dt.date(2026, 6, 20)


def _sqlite_bytes(url: str) -> int | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    path = Path(parsed.database)
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def run(students: int, url: str, seed: int) -> dict[str, object]:
    summary = seed_district(url, students, seed=seed, as_of=AS_OF)
    return {
        "students": students,
        "rows_total": summary.rows_total,
        "seconds": round(summary.seconds, 1),
        "rows_per_s": round(summary.rows_total / summary.seconds),
        "db_bytes": _sqlite_bytes(url),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "counts": summary.counts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.db:
        result = run(args.students, args.db, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="connect-seed-bench-") as folder:
            result = run(args.students, f"sqlite:///{Path(folder) / 'seed.db'}", args.seed)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: a full pull of a seeded district, against the physical limit of SQLite.

    .venv/bin/python tests/benchmarks/pull.py --students 100000

Seeds a server database (connect_server.seed, in a subprocess), serves it with
`connect-server serve` in another process (so the server does not share our GIL),
signs in, pulls everything, then measures the physical limit in the same run: the
same rows written with plain `sqlite3.executemany` into a fresh cache of the same
schema. Then changes 1% of the students on the server (new seqs) and times the
incremental pull. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, select, text

ADMIN = ("admin@demo.connect.test", "connect-demo-admin")
SERVER_CLI = "import sys; from connect_server.cli import main; sys.exit(main())"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited")
        try:
            requests.get(url + "/openapi.json", timeout=1).close()
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def physical_limit(source: Path, target: Path) -> tuple[int, float]:
    """Seconds to executemany every entity row of `source` into a fresh cache at `target`."""
    from connect_desktop.store.db import open_cache
    from connect_desktop.store.writer import WRITERS

    open_cache(target).close()

    rows_by_table = {}
    reader = sqlite3.connect(source)
    for writer in WRITERS.values():
        columns = ", ".join(("id", "version", *writer.columns))
        rows_by_table[writer.upsert_sql] = reader.execute(f"SELECT {columns} FROM {writer.table}").fetchall()
    reader.close()
    connection = sqlite3.connect(target)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA cache_size=-65536")
    started = time.perf_counter()
    total = 0
    for sql, rows in rows_by_table.items():
        connection.executemany(sql, rows)
        total += len(rows)
    connection.commit()
    connection.close()  # the WAL checkpoint counts, as it does in a pull
    seconds = time.perf_counter() - started
    return total, seconds


def change_students(db_url: str, fraction: float) -> int:
    """Change `fraction` of the students on the server, each with a new version and seq."""
    from sqlalchemy.orm import Session

    from connect_server.models import Student
    from connect_server.sequence import allocate_seqs

    engine = create_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            ids = session.scalars(select(Student.id).order_by(Student.id)).all()
            chosen = ids[:: max(1, int(1 / fraction))]
            seqs = allocate_seqs(session, len(chosen))
            session.execute(
                text("UPDATE student SET grade = '12', version = version + 1, seq = :seq WHERE id = :id"),
                [{"seq": seq, "id": sid} for seq, sid in zip(seqs, chosen, strict=True)],
            )
        return len(chosen)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: temporary)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="connect-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["CONNECT_DESKTOP_HOME"] = str(work / "home")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    db = work / "server.db"
    db_url = f"sqlite:///{db}"
    if not db.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", SERVER_CLI, "seed", "--db", db_url, "--students", str(args.students)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER_CLI, "serve", "--db", db_url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        from connect_desktop import session as accounts
        from connect_desktop.sync.pull import pull

        signed_in = accounts.login(url, *ADMIN, notify=lambda _m: None)
        rss_before = peak_rss_mb()
        with (
            accounts.open_account_cache(signed_in.account) as cache,
            accounts.client_for(signed_in.account) as client,
        ):
            full = pull(cache, client, page_size=args.page_size)
            rss_after_pull = peak_rss_mb()
            limit_records, limit_seconds = physical_limit(cache.path, work / "limit.sqlite3")
            changed = change_students(db_url, 0.01)
            incremental = pull(cache, client, page_size=args.page_size)
        report = {
            "students": args.students,
            "page_size": args.page_size or "default",
            "records": full.received,
            "seconds": round(full.seconds, 2),
            "records_per_s": round(full.received / full.seconds),
            "waiting_for_server_s": round(full.waiting_s, 2),
            "physical_limit_records": limit_records,
            "physical_limit_seconds": round(limit_seconds, 2),
            "physical_limit_records_per_s": round(limit_records / limit_seconds),
            "ratio": round(limit_seconds / full.seconds, 3),
            "incremental_changed": changed,
            "incremental_received": incremental.received,
            "incremental_seconds": round(incremental.seconds, 3),
            "client_peak_rss_mb_before_pull": round(rss_before, 1),
            "client_peak_rss_mb_after_pull": round(rss_after_pull, 1),
        }
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

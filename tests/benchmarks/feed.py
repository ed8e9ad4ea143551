"""How long one page of the changes feed takes, at the start and at the end of the feed.

    .venv/bin/python -m tests.benchmarks.feed --db sqlite:///seeded.db
    .venv/bin/python -m tests.benchmarks.feed --students 200000      # synthetic district, SQLite
    .venv/bin/python -m tests.benchmarks.feed --db postgresql+psycopg://...  # an empty db is filled first

Serves the database with the real app on a loopback port, signs in as a throwaway
district admin (removed afterwards), and times `GET /changes` over HTTP. Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import ENTITY_MODELS, School, Student, Tombstone, User
from connect_server.sequence import allocate_seqs
from tests.support.server import LiveServer, add_user, make_database


def synthetic_district(sessions: sessionmaker[Session], students: int) -> None:
    """`students` students in ten schools, inserted in bulk with their own seqs."""
    with sessions.begin() as session:
        schools = [str(uuid.uuid4()) for _ in range(10)]
        seqs = allocate_seqs(session, len(schools))
        session.execute(
            insert(School),
            [{"id": s, "seq": q, "name": f"School {n}", "level": "high", "grade_low": "9", "grade_high": "12",
              "version": 1, "origin": "sync"} for n, (s, q) in enumerate(zip(schools, seqs, strict=True))],
        )  # fmt: skip
    batch = 10_000
    for start in range(0, students, batch):
        count = min(batch, students - start)
        with sessions.begin() as session:
            seqs = allocate_seqs(session, count)
            session.execute(
                insert(Student), [_student(start + i, seq, schools) for i, seq in enumerate(seqs)]
            )


def _student(n: int, seq: int, schools: list[str]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "version": 1,
        "origin": "sync",
        "source_id": f"sis-{n}",
        "school_id": schools[n % len(schools)],
        "student_number": f"{n:08d}",
        "first_name": "Test",
        "last_name": f"Student{n}",
        "birth_date": dt.date(2010, 1, 1) + dt.timedelta(days=n % 3000),
        "grade": "10",
        "status": "active",
    }


def seq_before_last(sessions: sessionmaker[Session], records: int) -> int:
    """The `since` that makes the next page the last `records` records of the feed."""
    tables = [model.__table__ for model in ENTITY_MODELS.values()] + [Tombstone.__table__]
    seqs = union_all(*(select(t.c.seq.label("seq")) for t in tables)).subquery()
    with sessions() as session:
        seq = session.scalar(select(seqs.c.seq).order_by(seqs.c.seq.desc()).offset(records).limit(1))
    return int(seq or 0)


def time_page(http: httpx.Client, since: int, limit: int, repeats: int) -> dict[str, Any]:
    timings, size, count = [], 0, 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = http.get("/changes", params={"since": since, "limit": limit})
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        size, count = len(response.content), len(response.json()["changes"])
        timings.append(elapsed)
    return {"since": since, "limit": limit, "records": count, "bytes": size,
            "median_s": round(statistics.median(timings), 4), "min_s": round(min(timings), 4)}  # fmt: skip


def _sign_in(http: httpx.Client, email: str, password: str) -> str:
    response = http.post("/auth/token", json={"username": email, "password": password})
    response.raise_for_status()
    return "Bearer " + response.json()["access_token"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="an already seeded server database (default: a synthetic one)")
    parser.add_argument("--students", type=int, default=100_000, help="students to add to an empty database")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(folder.name) / 'feed-bench.db'}"
    sessions = make_database(url)
    with sessions() as session:
        empty = session.scalar(select(func.count()).select_from(Student)) == 0
    if empty:
        started = time.perf_counter()
        synthetic_district(sessions, args.students)
        print(f"inserted {args.students} students in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    password = uuid.uuid4().hex
    with sessions() as session:
        school_id = session.scalar(select(School.id).order_by(School.seq).limit(1))
    users = {
        role: (f"bench-{uuid.uuid4().hex[:8]}@example.invalid", schools)
        for role, schools in (("district_admin", []), ("school_admin", [school_id]))
    }
    user_ids = [
        add_user(sessions, email, role, password, schools) for role, (email, schools) in users.items()
    ]
    try:
        with sessions() as session:
            total = sum(
                session.scalar(select(func.count()).select_from(m)) or 0 for m in ENTITY_MODELS.values()
            )
        results: dict[str, Any] = {"database": sessions.kw["bind"].dialect.name, "records": total}
        with LiveServer(sessions) as server, httpx.Client(base_url=server.api, timeout=300) as http:
            http.headers["Authorization"] = _sign_in(http, users["school_admin"][0], password)
            results["school_admin_page_at_start"] = time_page(http, 1, 5_000, args.repeats)
            results["school_admin_page_at_end"] = time_page(
                http, seq_before_last(sessions, 50_000), 5_000, args.repeats
            )
            http.headers["Authorization"] = _sign_in(http, users["district_admin"][0], password)
            results["first_page_with_total"] = time_page(http, 0, 5_000, args.repeats)
            results["page_at_start"] = time_page(http, 1, 5_000, args.repeats)
            results["page_at_end"] = time_page(http, seq_before_last(sessions, 5_000), 5_000, args.repeats)
            results["max_page_at_start"] = time_page(http, 1, 50_000, max(1, args.repeats // 2))
            results["max_page_at_end"] = time_page(
                http, seq_before_last(sessions, 50_000), 50_000, max(1, args.repeats // 2)
            )
    finally:
        with sessions.begin() as session:
            session.execute(delete(User).where(User.id.in_(user_ids)))
        sessions.kw["bind"].dispose()
        folder.cleanup()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seed a realistic, deterministic demo district (`connect-server seed`).

Same `seed` and `as_of` give identical table contents (app users included). Rows are generated as
tuples in chunks and bulk-inserted in one transaction over the raw DBAPI connection
(SQLite `executemany`, PostgreSQL `COPY`), so a million students take minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from connect_server.db import open_database
from connect_server.models import FeedCounter, School, Student
from connect_server.seeding.accounts import (
    DEMO_ACCOUNTS,
    SignInAccount,
    choose_accounts,
    write_accounts,
    write_sync_settings,
)
from connect_server.seeding.bulk import BulkWriter, loading_mode
from connect_server.seeding.calendar import Calendar
from connect_server.seeding.classrooms import ClassroomGenerator
from connect_server.seeding.context import SeedContext
from connect_server.seeding.families import FamilyGenerator
from connect_server.seeding.messages import message_rows
from connect_server.seeding.oneroster import write_packages
from connect_server.seeding.schools import plan_district, school_rows, term_rows
from connect_server.seeding.staff import DISTRICT_NAME, StaffGenerator
from connect_server.seeding.students import StudentGenerator
from connect_server.seeding.truth import build_truth, write_truth
from connect_server.sequence import allocate_seqs
from connect_server.syncing.config import SourceConfig, save_source

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_ADMIN_PASSWORD",
    "MIN_STUDENTS",
    "SeedError",
    "SeedSummary",
    "SignInAccount",
    "seed_district",
]

log = logging.getLogger(__name__)

MIN_STUDENTS = 50
DEMO_ADMIN_EMAIL = DEMO_ACCOUNTS[0][1]
DEMO_ADMIN_PASSWORD = DEMO_ACCOUNTS[0][2]


class SeedError(ValueError):
    """A seed that cannot be carried out (the message is meant for people)."""


@dataclass(frozen=True)
class SeedSummary:
    """What a seed created, how to sign in, and how long it took."""

    counts: dict[str, int]
    accounts: tuple[SignInAccount, ...]
    seconds: float
    seed: int
    as_of: dt.date
    school_year: int
    truth_path: Path | None = None
    packages: tuple[Path, ...] = field(default=())

    @property
    def rows_total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """A human summary: counts, timing, and the demo accounts' sign-in details."""
        lines = [
            f"Seeded {DISTRICT_NAME} (seed {self.seed}, school year {self.school_year - 1}–"
            f"{self.school_year}, as of {self.as_of.isoformat()}) in {self.seconds:.1f} s:",
        ]
        lines += [f"  {table:<16} {count:>12,}" for table, count in self.counts.items()]
        lines.append(f"  {'total':<16} {self.rows_total:>12,}")
        lines.append("Sign in with:")
        lines += [
            f"  {a.role:<15} {a.email:<32} password: {a.password}   ({a.display_name})" for a in self.accounts
        ]
        if self.truth_path is not None:
            lines.append(f"Answer key (planted duplicates, staff who left, …): {self.truth_path}")
        lines += [f"OneRoster package: {path}" for path in self.packages]
        return "\n".join(lines)


def seed_district(
    db_url: str,
    students: int,
    seed: int = 1,
    truth_path: Path | None = None,
    packages_dir: Path | None = None,
    as_of: dt.date | None = None,
) -> SeedSummary:
    """Create the schema if needed and fill an empty database with a demo district.

    With `packages_dir`, also write `current.zip` and `next-year.zip` there and make
    `current.zip` (its absolute path) the sync source, so a sync can run right away.

    Raises `SeedError` if the database already holds schools or students.
    """
    if students < MIN_STUDENTS:
        raise SeedError(f"A demo district needs at least {MIN_STUDENTS} students (asked for {students}).")
    started = time.perf_counter()
    ctx = SeedContext(seed=seed, students=students, calendar=Calendar(as_of or dt.date.today()))
    sessions = open_database(db_url)
    engine = sessions.kw["bind"]
    try:
        with engine.connect() as connection, loading_mode(connection):
            counts, accounts, truth = _fill(connection, ctx)
    finally:
        engine.dispose()
    packages: tuple[Path, ...] = ()
    if packages_dir is not None:
        packages = write_packages(db_url, ctx, packages_dir)
        _use_source(db_url, packages[0])
    if truth_path is not None:
        write_truth(truth_path, truth)
    summary = SeedSummary(
        counts,
        accounts,
        time.perf_counter() - started,
        seed,
        ctx.as_of,
        ctx.calendar.current_year,
        truth_path,
        packages,
    )
    log.info("seeded %d rows in %.1f s", summary.rows_total, summary.seconds)
    return summary


def _use_source(db_url: str, package: Path) -> None:
    """Make `current.zip` the sync source, so `connect-server sync run` works right away."""
    sessions = open_database(db_url)
    try:
        with sessions.begin() as session:
            save_source(session, SourceConfig("oneroster-csv", {"path": str(package.resolve())}))
    finally:
        sessions.kw["bind"].dispose()


def _fill(
    connection: Connection, ctx: SeedContext
) -> tuple[dict[str, int], tuple[SignInAccount, ...], dict[str, Any]]:
    """Everything in one transaction; `seq` numbers are allocated for exactly the rows written."""
    with Session(bind=connection) as session:
        existing = session.scalar(select(func.count()).select_from(Student)) or session.scalar(
            select(func.count()).select_from(School)
        )
        if existing:
            raise SeedError(
                "This database already has schools or students; seeding only fills an empty database. "
                "Use a new database (or a new SQLite file)."
            )
        session.execute(text("UPDATE feed_counter SET value = value WHERE id = 1"))
        first = (session.scalar(select(FeedCounter.value).where(FeedCounter.id == 1)) or 0) + 1
        writer = BulkWriter(connection, first)
        writer.prepare()
        district = plan_district(ctx)
        writer.write("school", school_rows(district))
        writer.write("term", term_rows(ctx))
        staff = StaffGenerator(ctx, district)
        writer.write("staff", staff.rows())
        students = StudentGenerator(ctx, district)
        writer.write("student", students.rows())
        families = FamilyGenerator(ctx, district, students.book)
        writer.write("contact", families.contact_rows())
        writer.write("student_contact", families.link_rows())
        classes = ClassroomGenerator(ctx, district, staff.book, students.book)
        writer.write("classroom", classes.classroom_rows())
        writer.write("enrollment", classes.enrollment_rows())
        writer.write("message_stat", message_rows(ctx, district, staff.book, classes.teacher_classes))
        write_sync_settings(session, ctx, writer)
        accounts = choose_accounts(ctx, district, staff.book, classes.teacher_classes)
        write_accounts(session, ctx, accounts)
        writer.finish()
        block = allocate_seqs(session, writer.rows_written)
        if block.start != first:
            raise RuntimeError(f"feed counter moved during the seed ({block.start} != {first})")
        counts = dict(writer.counts)
        truth = build_truth(ctx, district, staff.book, students.book, classes.specs, accounts, counts)
        session.commit()
    return counts, accounts, truth

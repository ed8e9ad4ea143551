"""A small year-end scenario in a real cache file, shared by the planner tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine

from connect_desktop.store.models import CacheBase
from tests.rollover.builder import CacheBuilder

TODAY = dt.date(2026, 6, 15)
"""The scenario is planned at the end of school year 2025–26 (school_year 2026)."""


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    CacheBase.metadata.create_all(engine)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@dataclass
class Scenario:
    """Ids of the records the tests talk about (see `scenario` for who is who)."""

    ids: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def scenario(connection: Connection) -> Scenario:
    b = CacheBuilder(connection)
    ids: dict[str, str] = {}
    recent = dt.datetime(2026, 6, 1, 8, 0)
    long_ago = dt.datetime(2025, 1, 10, 8, 0)
    ids["elem"] = b.school("Adams Elementary", "elementary", "K", "5")
    ids["middle"] = b.school("Baker Middle", "middle", "6", "8")
    ids["high"] = b.school("Carver High", "high", "9", "12")
    ids["term_now"] = b.term(2026)
    ids["term_last"] = b.term(2025)
    ids["term_older"] = b.term(2024)

    # staff
    ids["admin"] = b.staff("Dana", "Admin", role="district_admin", left_on=dt.date(2026, 1, 1))
    ids["me"] = b.staff("Mel", "Me", role="school_admin", school_id=ids["elem"], email="Me@Example.org")
    ids["left"] = b.staff(
        "Lea", "Left", school_id=ids["elem"], last_sign_in_at=recent, left_on=dt.date(2026, 5, 1)
    )
    ids["stale"] = b.staff("Stu", "Stale", school_id=ids["high"], last_sign_in_at=long_ago)
    ids["idle"] = b.staff("Ida", "Idle", school_id=ids["middle"], last_sign_in_at=recent)
    ids["revoked"] = b.staff("Rex", "Revoked", access="revoked", left_on=dt.date(2025, 6, 1))
    ids["active"] = b.staff("Ava", "Active", school_id=ids["high"], last_sign_in_at=recent)
    ids["other_admin"] = b.staff(
        "Oli", "Office", role="school_admin", school_id=ids["high"], last_sign_in_at=recent
    )

    ids["new_hire"] = b.staff("Nia", "New", school_id=ids["elem"])
    ids["synced_left"] = b.staff(
        "Sy", "Synced", school_id=ids["high"], left_on=dt.date(2026, 5, 1), origin="sync"
    )

    # students
    ids["fifth"] = b.student(ids["elem"], "5", name=("Fifi", "Fifth"))
    ids["third"] = b.student(ids["elem"], "3", name=("Theo", "Third"))
    ids["zeros"] = b.student(ids["elem"], "4", number="00123", name=("Zoe", "Zero"))
    ids["eighth"] = b.student(ids["middle"], "8", name=("Ezra", "Eighth"))
    ids["senior"] = b.student(ids["high"], "12", name=("Sara", "Senior"))
    ids["senior_sync"] = b.student(ids["high"], "12", origin="sync", name=("Syd", "Synced"))
    ids["senior_archived"] = b.student(ids["high"], "12", status="archived", name=("Abe", "Archived"))
    ids["withdrawn"] = b.student(
        ids["high"], "10", withdrawn_on=dt.date(2026, 2, 3), name=("Wes", "Withdrawn")
    )

    # classrooms of this year: Lea alone, Stu with Ava, Stu alone
    ids["c_now_left"] = b.classroom("Lea's class", ids["elem"], ids["term_now"], teachers=(ids["left"],))
    ids["c_now_shared"] = b.classroom(
        "Shared class", ids["high"], ids["term_now"], teachers=(ids["stale"], ids["active"])
    )
    ids["c_now_stale"] = b.classroom("Stu's class", ids["high"], ids["term_now"], teachers=(ids["stale"],))
    ids["c_now_new"] = b.classroom("Nia's class", ids["elem"], ids["term_now"], teachers=(ids["new_hire"],))
    # classrooms of past years
    ids["c_last_elem"] = b.classroom(
        "Grade 4 (last year)",
        ids["elem"],
        ids["term_last"],
        teachers=(ids["idle"],),
        students=(ids["third"],),
    )
    ids["c_last_high"] = b.classroom("Biology (last year)", ids["high"], ids["term_last"])
    ids["c_last_archived"] = b.classroom("Old archived", ids["high"], ids["term_last"], status="archived")
    ids["c_last_sync"] = b.classroom("Synced (last year)", ids["high"], ids["term_last"], origin="sync")
    ids["c_older"] = b.classroom("Two years ago", ids["middle"], ids["term_older"])
    connection.commit()
    return Scenario(ids)

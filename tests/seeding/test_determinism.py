"""Same seed and date, same database; another seed, another district; no second seed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from connect_server.models import ENTITY_MODELS
from connect_server.seed import MIN_STUDENTS, SeedError, seed_district

AS_OF = dt.date(2026, 11, 3)
TABLES = [m.__tablename__ for m in ENTITY_MODELS.values()] + ["app_user", "feed_counter"]


def dump(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
                for table in TABLES
            }
    finally:
        engine.dispose()


def test_same_seed_same_database_other_seed_other_district(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "c")]
    seed_district(urls[0], 300, seed=5, as_of=AS_OF)
    seed_district(urls[1], 300, seed=5, as_of=AS_OF)
    seed_district(urls[2], 300, seed=6, as_of=AS_OF)
    first, again, other = (dump(u) for u in urls)
    assert first == again
    assert sum(len(rows) for rows in first.values()) > 5_000
    assert first["student"] != other["student"]
    assert first["staff"] != other["staff"]


def test_a_seeded_database_is_not_seeded_again(db_url: str) -> None:
    seed_district(db_url, MIN_STUDENTS, seed=1, as_of=AS_OF)
    before = dump(db_url)
    with pytest.raises(SeedError, match="already has"):
        seed_district(db_url, MIN_STUDENTS, seed=2, as_of=AS_OF)
    assert dump(db_url) == before


def test_too_few_students_is_refused_before_touching_the_database(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="at least"):
        seed_district(f"sqlite:///{tmp_path / 'x.db'}", MIN_STUDENTS - 1)
    assert not (tmp_path / "x.db").exists()


def test_the_smallest_district_still_has_everything(tmp_path: Path) -> None:
    summary = seed_district(f"sqlite:///{tmp_path / 'small.db'}", MIN_STUDENTS, seed=3, as_of=AS_OF)
    assert summary.counts["school"] == 3
    assert summary.counts["student"] == MIN_STUDENTS
    assert all(summary.counts[t] > 0 for t in ("staff", "contact", "classroom", "enrollment", "message_stat"))

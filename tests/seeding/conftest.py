"""A seeded demo district shared by the tests of a module (seeding takes seconds)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from connect_server.seed import SeedSummary, seed_district
from tests.support.databases import PostgresDatabases

AS_OF = dt.date(2026, 6, 20)
"""Year-end: the school year 2025–2026 has just finished."""
STUDENTS = 1_500

_BACKENDS = [pytest.param("sqlite", id="sqlite")]
if os.environ.get("CONNECT_TEST_PG_URL"):
    _BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


@dataclass(frozen=True)
class Seeded:
    url: str
    engine: Engine
    summary: SeedSummary
    truth: dict[str, Any]


@pytest.fixture(scope="module", params=_BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("seeded")
    truth_path = folder / "truth.json"

    def seed_into(url: str) -> Iterator[Seeded]:
        summary = seed_district(url, STUDENTS, seed=7, truth_path=truth_path, as_of=AS_OF)
        engine = create_engine(url)
        try:
            yield Seeded(url, engine, summary, json.loads(truth_path.read_text(encoding="utf-8")))
        finally:
            engine.dispose()

    if request.param == "sqlite":
        yield from seed_into(f"sqlite:///{folder / 'server.db'}")
        return
    databases: PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with databases.database() as url:
        yield from seed_into(url)


def sqlite_file_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}"

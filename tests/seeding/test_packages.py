"""The OneRoster package of the synced part matches the database, record for record."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from connect_desktop.domain.entities import GRADES
from connect_desktop.rostering.current import current_records
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.oneroster_csv import read_oneroster_csv
from connect_desktop.rostering.plan import plan_rollover
from connect_desktop.rostering.snapshot import Snapshot
from connect_server.seed import SeedSummary, seed_district
from connect_server.seeding.oneroster import HEADERS

AS_OF = dt.date(2026, 6, 20)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, SeedSummary]:
    folder = tmp_path_factory.mktemp("packaged")
    url = f"sqlite:///{folder / 'server.db'}"
    return url, seed_district(url, 600, seed=11, packages_dir=folder / "packages", as_of=AS_OF)


@pytest.fixture
def current(packaged: tuple[str, SeedSummary]) -> Iterator[Snapshot]:
    _, summary = packaged
    diags = Diagnostics()
    snapshot = read_oneroster_csv(summary.packages[0], diags)
    assert (diags.errors, diags.warnings) == (0, 0), [str(d) for d in diags]
    yield snapshot
    snapshot.close()


def test_packages_are_written_with_the_exact_headers(packaged: tuple[str, SeedSummary]) -> None:
    _, summary = packaged
    assert [p.name for p in summary.packages] == ["current.zip", "next-year.zip"]
    for path in summary.packages:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            assert names == {f"{name}.csv" for name in HEADERS} | {"manifest.csv"}
            for name, header in HEADERS.items():
                first_line = package.read(f"{name}.csv").decode().split("\r\n", 1)[0]
                assert first_line == ",".join(header)
        assert str(path) in summary.describe()


def test_current_package_holds_exactly_the_active_synced_records(
    packaged: tuple[str, SeedSummary], current: Snapshot
) -> None:
    url, _ = packaged
    engine = create_engine(url)
    queries = {
        "student": "SELECT count(*) FROM student WHERE origin = 'sync' AND status = 'active'",
        "staff": "SELECT count(*) FROM staff WHERE origin = 'sync' AND access = 'active'",
        "contact": "SELECT count(*) FROM contact WHERE origin = 'sync'",
        "classroom": "SELECT count(*) FROM classroom WHERE origin = 'sync' AND status = 'active'",
        "enrollment": "SELECT count(*) FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
        "WHERE e.origin = 'sync' AND c.status = 'active'",
        "school": "SELECT count(*) FROM school WHERE origin = 'sync'",
    }
    try:
        with engine.connect() as connection:
            for type_, sql in queries.items():
                assert sum(1 for _ in current.records(type_)) == connection.execute(text(sql)).scalar_one(), (
                    type_
                )
    finally:
        engine.dispose()


def test_a_sync_from_the_current_package_creates_and_changes_nothing(
    packaged: tuple[str, SeedSummary], current: Snapshot
) -> None:
    url, _ = packaged
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            plan = plan_rollover(current, current_records(session.connection()), today=AS_OF)
            counts = plan.counts()
    finally:
        engine.dispose()
    assert {t: c["create"] for t, c in counts.items()} == dict.fromkeys(counts, 0)
    for type_ in ("school", "term", "student", "contact", "student_contact", "classroom", "enrollment"):
        assert counts[type_]["update"] == 0, type_
    assert counts["student"]["archive"] == counts["classroom"]["archive"] == 0


def test_no_packages_without_a_folder(tmp_path: Path) -> None:
    summary = seed_district(f"sqlite:///{tmp_path / 's.db'}", 100, seed=1, as_of=AS_OF)
    assert summary.packages == ()
    assert not list(tmp_path.glob("*.zip"))


def test_next_year_package_is_the_rollover(packaged: tuple[str, SeedSummary], current: Snapshot) -> None:
    _, summary = packaged
    diags = Diagnostics()
    next_year = read_oneroster_csv(summary.packages[1], diags)
    try:
        assert (diags.errors, diags.warnings) == (0, 0), [str(d) for d in diags]
        now = {r.source_id: r.as_dict() for r in current.records("student")}
        later = {r.source_id: r.as_dict() for r in next_year.records("student")}
        graduates = {sid for sid, r in now.items() if r["grade"] == "12"}
        assert graduates and not graduates & set(later)
        continuing = set(now) & set(later)
        assert len(continuing) == len(now) - len(graduates)
        assert all(GRADES.index(later[s]["grade"]) == GRADES.index(now[s]["grade"]) + 1 for s in continuing)
        moved = [s for s in continuing if later[s]["school"] != now[s]["school"]]
        assert any(now[s]["grade"] in ("5", "8") for s in moved)
        arrivals = [r for sid, r in later.items() if sid not in now]
        assert arrivals and {r["grade"] for r in arrivals} <= {"K", "6"}
        old_classes = {r.source_id for r in current.records("classroom")}
        new_classes = {r.source_id for r in next_year.records("classroom")}
        assert new_classes and not old_classes & new_classes
        assert {r.as_dict()["term"] for r in next_year.records("classroom")} <= {
            f"as-{AS_OF.year + 1}-{kind}" for kind in ("sy", "fall", "spring")
        }
    finally:
        next_year.close()

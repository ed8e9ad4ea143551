"""The desktop's offline preview of a package equals what the server's run then does.

A seeded server database is copied into a desktop cache file (the shared columns of
every entity table); the preview plans next-year.zip over the cache, then the server
runs the sync of the same package, and the two are compared type by type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.rostering.follow_on import MOVED_WITH
from connect_desktop.rostering.preview import preview_rollover
from connect_server.db import open_database
from connect_server.models import SyncRunArchive
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.server_sync.conftest import DEMO_AS_OF, Demo
from tests.server_sync.package import District
from tests.support.cache_copy import copy_into_cache


def test_the_desktop_preview_equals_the_server_run(demo: Demo, tmp_path: Path) -> None:
    url = demo.copy(tmp_path)
    cache = tmp_path / "cache.sqlite"
    copy_into_cache(Path(url.removeprefix("sqlite:///")), cache)
    engine = create_engine(f"sqlite:///{cache}")
    try:
        with engine.connect() as connection:
            preview = preview_rollover(connection, demo.next_year, today=DEMO_AS_OF)
        with preview:
            assert preview.ok and preview.held and not preview.scoped
            types = preview.types
            planned = {t: {c.id for c in preview.iter_changes(t, "archive")} for t in types}
    finally:
        engine.dispose()

    sessions = open_database(url)
    try:
        with sessions.begin() as session:
            save_source(session, SourceConfig("oneroster-csv", {"path": str(demo.next_year)}))
        run = run_sync(sessions, today=DEMO_AS_OF).run
        with sessions() as session:
            listed: dict[str, set[str]] = {t: set() for t in types}
            for type_, record_id in session.execute(
                select(SyncRunArchive.type, SyncRunArchive.record_id).where(SyncRunArchive.run_id == run.id)
            ):
                listed[type_].add(record_id)
    finally:
        sessions.kw["bind"].dispose()

    assert run.status == "failed_threshold"
    held = {t for t, p in types.items() if p.held}
    assert held == set(preview.held_types) and held >= {"classroom", "enrollment"}
    for type_, p in types.items():
        counts = run.counts[type_]
        # the run also moves a moved student's links (a moved classroom's enrollments) to the new
        # school and removes the links of a contact that goes: the preview counts those too
        assert (counts["created"], counts["updated"], counts["archived"], counts["tried_to_archive"]) == (
            p.create,
            p.update + p.moved_with_parent,
            0,
            p.archive + p.removed_with_parent,
        ), type_
        assert len(listed[type_]) == p.archive + p.removed_with_parent, type_
        assert listed[type_] >= planned[type_], type_
        assert counts["planned"] == p.model_dump(), type_  # one shape: the run records what was previewed
    assert types["student_contact"].moved_with_parent > 0 and types["student_contact"].removed_with_parent > 0


def test_the_preview_reads_the_cache_settings(demo: Demo, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    copy_into_cache(demo.server, cache)
    engine = create_engine(f"sqlite:///{cache}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                'UPDATE sync_settings SET thresholds = \'{"classrooms": 100, "enrollments": 100, '
                '"schools": 100, "staff": 100, "students": 100, "contacts": 100}\', '
                'pauses = \'[{"portion": "staff", "from": "2026-06-01", "until": "2026-08-31"}]\''
            )
        with (
            engine.connect() as connection,
            preview_rollover(connection, demo.next_year, today=dt.date(2026, 6, 20)) as preview,
        ):
            assert not preview.held
            assert preview.types["classroom"].threshold == 100.0
            assert preview.types["staff"].paused and preview.types["staff"].archive == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("new_school", [False, True], ids=["known-school", "school-made-by-the-run"])
def test_links_and_enrollments_moving_with_their_school_are_previewed_as_the_run_moves_them(
    sessions: sessionmaker[Session], use_district: Callable[[District], Path], new_school: bool
) -> None:
    """Classes change school: their students move, and with them the students' family links and
    the classes' enrollments. The preview counts those follow-on updates, and the run makes them."""
    use_district(District(students=range(12), second_school=() if new_school else ("cls-a",)))
    assert run_sync(sessions, today=DEMO_AS_OF).run.status == "succeeded"
    package = use_district(District(students=range(12), second_school=("cls-b",)))

    with sessions() as session, preview_rollover(session.connection(), package, today=DEMO_AS_OF) as preview:
        types = preview.types
    run = run_sync(sessions, today=DEMO_AS_OF).run

    assert run.status == "succeeded"
    moved_students = types["student"].update
    assert moved_students == (6 if new_school else 12)  # cls-b's half, or both halves
    assert types["student_contact"].moved_with_parent == moved_students  # one guardian each
    assert types["enrollment"].moved_with_parent > 0
    for type_, p in types.items():
        assert run.counts[type_]["updated"] == p.update + p.moved_with_parent, type_
        assert run.counts[type_]["planned"] == p.model_dump(), type_
    with sessions() as session:  # every link and enrollment is where its student and classroom are
        for child, (parent, key) in MOVED_WITH.items():
            rows = session.execute(
                text(
                    f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{key} "
                    "WHERE c.school_id != p.school_id"
                )
            ).scalar()
            assert rows == 0, child

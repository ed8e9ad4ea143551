"""A migrated server database with a OneRoster CSV source, and helpers to inspect it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_server.db import open_database
from connect_server.models import SyncSettings
from connect_server.scope import TABLES, TOMBSTONE
from connect_server.sequence import allocate_seqs
from connect_server.syncing.config import SourceConfig, save_source
from tests.server_sync.package import District
from tests.support.demo import DEMO_AS_OF, DEMO_STUDENTS, Demo

__all__ = ["DEMO_AS_OF", "DEMO_STUDENTS", "Demo"]

ROSTER_TYPES = (
    EntityType.SCHOOL, EntityType.TERM, EntityType.STAFF, EntityType.STUDENT, EntityType.CONTACT,
    EntityType.STUDENT_CONTACT, EntityType.CLASSROOM, EntityType.ENROLLMENT,
)  # fmt: skip


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    factory = open_database(db_url)
    yield factory
    factory.kw["bind"].dispose()


def use_source(sessions: sessionmaker[Session], path: Path) -> None:
    with sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(path)}))


@pytest.fixture
def use_district(sessions: sessionmaker[Session], tmp_path: Path):  # type: ignore[no-untyped-def]
    """`use_district(District(...))` writes the package and makes it the source."""
    made = iter(range(1000))

    def _use(district: District) -> Path:
        path = district.write(tmp_path / f"package-{next(made)}.zip")
        use_source(sessions, path)
        return path

    return _use


def set_settings(sessions: sessionmaker[Session], **values: Any) -> None:
    with sessions.begin() as session:
        (seq,) = allocate_seqs(session, 1)
        session.execute(update(SyncSettings).values(**values, version=SyncSettings.version + 1, seq=seq))


def state(sessions: sessionmaker[Session]) -> dict[str, dict[str, tuple[int, int]]]:
    """(version, seq) of every roster record, and the tombstones, per table."""
    found: dict[str, dict[str, tuple[int, int]]] = {}
    with sessions() as session:
        for kind in ROSTER_TYPES:
            table = TABLES[kind]
            found[kind.value] = {r.id: (r.version, r.seq) for r in session.execute(select(table))}
        found["tombstone"] = {
            f"{r.type}:{r.id}": (r.version, r.seq) for r in session.execute(select(TOMBSTONE))
        }
    return found


def rows(sessions: sessionmaker[Session], kind: str) -> dict[str, Any]:
    """Rows of one table keyed by source_id (sync-managed or not)."""
    with sessions() as session:
        return {r.source_id: r for r in session.execute(select(TABLES[EntityType(kind)]))}

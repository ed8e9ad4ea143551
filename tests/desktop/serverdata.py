"""Reading and changing the server's database directly, to check the desktop against it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import EntityType
from connect_desktop.store import models as cache_models
from connect_desktop.store.db import Cache
from connect_server import models as server_models
from connect_server.sequence import allocate_seqs


def _columns(entity: EntityType) -> list[str]:
    return [c.name for c in cache_models.ENTITY_MODELS[entity].__table__.columns]


def _rows(session: Session, model: Any, names: list[str]) -> dict[str, tuple[Any, ...]]:
    table = model.__table__
    result = session.execute(select(*(table.c[n] for n in names)))
    return {row[0]: tuple(row) for row in result}


def server_snapshot(sessions: sessionmaker[Session]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every entity table's rows, keyed by id, as typed values (the cache's columns)."""
    with sessions() as session:
        return {e.value: _rows(session, server_models.ENTITY_MODELS[e], ["id", *_col(e)]) for e in EntityType}


def cache_snapshot(cache: Cache) -> dict[str, dict[str, tuple[Any, ...]]]:
    with cache.sessions() as session:
        return {e.value: _rows(session, cache_models.ENTITY_MODELS[e], ["id", *_col(e)]) for e in EntityType}


def _col(entity: EntityType) -> list[str]:
    return [n for n in _columns(entity) if n != "id"]


def server_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            e.value: session.scalar(select(func.count()).select_from(server_models.ENTITY_MODELS[e])) or 0
            for e in EntityType
        }


def touch_student(sessions: sessionmaker[Session], student_id: str, **values: Any) -> None:
    """Change a student on the server as another client would: new version, new seq."""
    table = server_models.Student.__table__
    with sessions.begin() as session:
        (seq,) = allocate_seqs(session, 1)
        session.execute(
            update(table)
            .where(table.c.id == student_id)
            .values(**values, version=table.c.version + 1, seq=seq)
        )


def add_students(
    sessions: sessionmaker[Session], school_id: str, count: int, prefix: str = "Bulk"
) -> list[str]:
    """Insert `count` students in one transaction (fast), each with its own seq."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with sessions.begin() as session:
        seqs = allocate_seqs(session, count)
        session.execute(
            insert(server_models.Student),
            [
                {
                    "id": sid,
                    "version": 1,
                    "seq": seq,
                    "origin": "sync",
                    "source_id": f"src-{n}",
                    "school_id": school_id,
                    "student_number": f"{prefix}{n:06d}",
                    "first_name": "Kid",
                    "last_name": f"{prefix}{n:06d}",
                    "grade": "4",
                    "status": "active",
                }
                for n, (sid, seq) in enumerate(zip(ids, seqs, strict=True))
            ],
        )
    return ids


def audit_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """How many audit entries each op_id produced."""
    with sessions() as session:
        rows = session.execute(
            select(server_models.AuditLog.op_id, func.count()).group_by(server_models.AuditLog.op_id)
        )
        return {op_id: count for op_id, count in rows}


def student_versions(sessions: sessionmaker[Session], ids: list[str]) -> dict[str, int]:
    table = server_models.Student.__table__
    with sessions() as session:
        rows = session.execute(select(table.c.id, table.c.version).where(table.c.id.in_(ids)))
        return {row_id: version for row_id, version in rows}

"""Copy a seeded server database's records into a desktop cache file (test set-up)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from connect_desktop.store.models import ENTITY_MODELS, CacheBase


def copy_into_cache(server: Path, cache: Path) -> None:
    """Create the cache schema in `cache` and copy every entity table's shared columns."""
    engine = create_engine(f"sqlite:///{cache}")
    CacheBase.metadata.create_all(engine)
    engine.dispose()
    with contextlib.closing(sqlite3.connect(cache)) as db:
        db.execute("ATTACH DATABASE ? AS srv", (str(server),))
        for model in ENTITY_MODELS.values():
            table = model.__tablename__
            cache_columns = [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]
            server_columns = {row[1] for row in db.execute(f"PRAGMA srv.table_info({table})")}
            shared = ", ".join(c for c in cache_columns if c in server_columns)
            db.execute(f"INSERT INTO main.{table} ({shared}) SELECT {shared} FROM srv.{table}")
        db.commit()
        db.execute("DETACH DATABASE srv")

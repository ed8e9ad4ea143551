"""A cache filled from the real seeded demo district (the server's tables, copied over)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from connect_desktop.store.models import ENTITY_MODELS, CacheBase


def seed_cache(folder: Path, students: int, as_of: dt.date, seed: int = 1) -> tuple[Path, dict[str, Any]]:
    """Seed a server database with `seed_district`, copy its records into a new cache file.

    Returns the cache path and the seed's answer key (truth file).
    """
    from connect_server.seed import seed_district

    server, cache, truth = folder / "server.sqlite", folder / "cache.sqlite", folder / "truth.json"
    seed_district(f"sqlite:///{server}", students, seed=seed, truth_path=truth, as_of=as_of)
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
    return cache, json.loads(truth.read_text(encoding="utf-8"))

"""A cache filled from the real seeded demo district (the server's tables, copied over)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.support.cache_copy import copy_into_cache


def seed_cache(folder: Path, students: int, as_of: dt.date, seed: int = 1) -> tuple[Path, dict[str, Any]]:
    """Seed a server database with `seed_district`, copy its records into a new cache file.

    Returns the cache path and the seed's answer key (truth file).
    """
    from connect_server.seed import seed_district

    server, cache, truth = folder / "server.sqlite", folder / "cache.sqlite", folder / "truth.json"
    seed_district(f"sqlite:///{server}", students, seed=seed, truth_path=truth, as_of=as_of)
    copy_into_cache(server, cache)
    return cache, json.loads(truth.read_text(encoding="utf-8"))

"""A small seeded demo district with its OneRoster packages, seeded once per test run."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_AS_OF = dt.date(2026, 6, 20)
"""Year-end: the school year 2025–2026 has just finished."""
DEMO_STUDENTS = 600


@dataclass(frozen=True)
class Demo:
    """A seeded district: the pristine server file (copy it before writing), packages, answer key."""

    server: Path
    current: Path
    next_year: Path
    truth: dict[str, Any]

    def copy(self, folder: Path) -> str:
        """A private copy of the seeded server database; returns its URL."""
        target = folder / "server.sqlite"
        shutil.copyfile(self.server, target)
        return f"sqlite:///{target}"


def seed_demo(folder: Path) -> Demo:
    """Seed the demo district into `folder` (server file, truth JSON, both packages)."""
    from connect_server.seed import seed_district

    server, truth = folder / "server.sqlite", folder / "truth.json"
    summary = seed_district(
        f"sqlite:///{server}", DEMO_STUDENTS, seed=1, truth_path=truth, packages_dir=folder, as_of=DEMO_AS_OF
    )
    current, next_year = summary.packages
    return Demo(server, current, next_year, json.loads(truth.read_text(encoding="utf-8")))

"""Checks the desktop's self-test runs that need no window: cache migration, workbook read-back.

They prove that what Alembic and openpyxl load from disk or import lazily is really
there — the migration scripts, the openpyxl reader — which matters most in a frozen build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl
from alembic import command
from alembic.script import ScriptDirectory

from connect_desktop.store.db import alembic_config, current_revision, head_revision, make_engine, open_cache


class SelfCheckError(Exception):
    """A self-test check found something wrong; the message says what."""


def migrate_oldest_cache(path: Path) -> tuple[str, str]:
    """Create a cache at the first schema version, open it (which migrates it); (first, now)."""
    config = alembic_config()
    base = ScriptDirectory.from_config(config).get_base()
    if base is None:
        raise SelfCheckError("the cache migrations have no first revision")
    engine = make_engine(path)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, base)
    finally:
        engine.dispose()
    with open_cache(path) as cache:
        now = current_revision(cache.engine)
    if now != head_revision():
        raise SelfCheckError(f"the cache stayed at revision {now}, expected {head_revision()}")
    return base, now


@dataclass(frozen=True)
class WorkbookSummary:
    sheets: list[str]
    rows: int
    """Rows of the first sheet, header included."""


def read_back_workbook(path: Path) -> WorkbookSummary:
    """Open an XLSX the app wrote, with openpyxl; it must have a sheet with a header and a row."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        names = list(workbook.sheetnames)
        if not names:
            raise SelfCheckError(f"{path.name} has no sheets")
        rows = sum(1 for _row in workbook[names[0]].iter_rows(values_only=True))
    finally:
        workbook.close()
    if rows < 2:
        raise SelfCheckError(f"{path.name}: sheet {names[0]!r} has {rows} row(s), expected a header and data")
    return WorkbookSummary(names, rows)

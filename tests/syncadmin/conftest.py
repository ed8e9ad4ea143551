"""The sync-rollover work of the desktop core (`connect_desktop.syncadmin`), without widgets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connect_desktop.api.schema import SyncTypePreview
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from tests.desktop.conftest import home

__all__ = ["home"]  # the fixture: a private app folder and no OS keyring

STARTED = dt.datetime(2026, 6, 20, 2, 0)


def planned(archive: int, managed: int, threshold: float = 10.0, **fields: Any) -> dict[str, Any]:
    """A type's recorded plan (`SyncTypePreview` as JSON); held by the planner's rule unless given."""
    percent = round(100 * archive / managed, 2) if managed else 0.0
    base: dict[str, Any] = {
        "create": 0, "update": 0, "archive": archive, "unchanged": managed - archive, "managed": managed,
        "threshold": threshold, "archive_percent": percent, "paused": False, "in_source": True,
        "held": archive * 100 > threshold * managed,
    }  # fmt: skip
    return SyncTypePreview.model_validate({**base, **fields}).model_dump()


def held_run(
    counts: dict[str, dict[str, Any]], message: str = "", status: str = "failed_threshold"
) -> SyncRunRow:
    return SyncRunRow("run-1", 2, STARTED, STARTED, status, "scheduled", False, counts, message)


def settings_row(
    thresholds: dict[str, float] | None = None, pauses: list[dict[str, Any]] | None = None, daily: bool = True
) -> SyncSettingsRow:
    return SyncSettingsRow(
        "settings-1", 3, "oneroster-csv", "export.zip", daily, pauses or [], thresholds or {}
    )

"""The sync's pauses as the step shows and edits them; whether one is in force is `Pause.active`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from connect_desktop.rostering.current import plan_settings
from connect_desktop.rostering.plan import Pause, PlanSettings
from connect_desktop.store.sync_history import SyncSettingsRow
from connect_desktop.syncadmin.portions import ALL, portion_title
from connect_desktop.syncadmin.text import long_date

PauseParams = dict[str, str | None]
"""A pause as `update_sync_settings` takes it: {"portion": "all"|portion, "from": date, "until": date}."""


def plan_settings_of(settings: SyncSettingsRow | None) -> PlanSettings:
    """The settings as the planner reads them (pauses parsed, thresholds per type); defaults for None."""
    if settings is None:
        return PlanSettings()
    return plan_settings(settings.pauses, settings.thresholds)


def parse_pauses(pauses: Iterable[Mapping[str, Any]]) -> tuple[Pause, ...]:
    """Pauses from their stored or edited form (the planner's parsing)."""
    return PlanSettings.from_wire(pauses).pauses


def active_pauses(settings: SyncSettingsRow | None, as_of: dt.date) -> list[Pause]:
    """The pauses in force on `as_of` (both ends inclusive)."""
    return plan_settings_of(settings).active_pauses(as_of)


def pause_params(pause: Pause) -> PauseParams:
    """A pause in the form the settings editor and `update_sync_settings` use."""
    return {
        "portion": pause.portion or ALL,
        "from": pause.start.isoformat() if pause.start else None,
        "until": pause.until.isoformat() if pause.until else None,
    }


def describe_pause(pause: Pause) -> str:
    """'Classrooms: paused until August 15, 2026 (it resumes by itself the day after)'."""
    when = f" from {long_date(pause.start)}" if pause.start else ""
    when += (
        f" until {long_date(pause.until)} (it resumes by itself the day after)"
        if pause.until
        else " until you remove the pause"
    )
    return f"{portion_title(pause.portion)}: paused{when}"

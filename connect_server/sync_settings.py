"""Validation of `update_sync_settings` parameters (pure; no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connect_desktop.domain.operations import SYNC_PORTIONS

PAUSE_PORTIONS: tuple[str, ...] = ("all", *SYNC_PORTIONS)
_KEYS = ("daily_sync", "pauses", "thresholds")


class InvalidSettingsError(ValueError):
    """Parameters that cannot be applied; the message says why, for people."""


def parse_settings_change(params: dict[str, Any], current_thresholds: dict[str, float]) -> dict[str, Any]:
    """The new column values requested by `params`.

    `daily_sync` (bool) and `pauses` (the full list) replace the current values;
    `thresholds` is merged per portion, and a null value removes that portion's
    threshold (back to the default).
    """
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise InvalidSettingsError(f"Unknown sync setting {unknown[0]!r}; expected {', '.join(_KEYS)}")
    if not params:
        raise InvalidSettingsError(f"No sync setting given; expected at least one of {', '.join(_KEYS)}")
    values: dict[str, Any] = {}
    if "daily_sync" in params:
        if not isinstance(params["daily_sync"], bool):
            raise InvalidSettingsError("daily_sync must be true or false")
        values["daily_sync"] = params["daily_sync"]
    if "pauses" in params:
        values["pauses"] = _pauses(params["pauses"])
    if "thresholds" in params:
        values["thresholds"] = _thresholds(params["thresholds"], current_thresholds)
    return values


def _pauses(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidSettingsError("pauses must be a list")
    pauses = []
    for index, pause in enumerate(value, start=1):
        if not isinstance(pause, dict):
            raise InvalidSettingsError(f"Pause {index} must be an object with portion, from and until")
        extra = sorted(set(pause) - {"portion", "from", "until"})
        if extra:
            raise InvalidSettingsError(f"Pause {index} has an unknown field {extra[0]!r}")
        portion = pause.get("portion")
        if portion not in PAUSE_PORTIONS:
            raise InvalidSettingsError(f"Pause {index}: portion must be one of {', '.join(PAUSE_PORTIONS)}")
        start = _date(pause.get("from"), index, "from")
        end = _date(pause.get("until"), index, "until")
        if start and end and end < start:
            raise InvalidSettingsError(f"Pause {index} ends ({end}) before it starts ({start})")
        pauses.append({"portion": portion, "from": start, "until": end})
    return pauses


def _date(value: Any, index: int, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidSettingsError(f"Pause {index}: {name} must be a date like 2027-06-15 or null")
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidSettingsError(f"Pause {index}: {name} {value!r} is not a date like 2027-06-15") from None


def _thresholds(value: Any, current: dict[str, float]) -> dict[str, float]:
    if not isinstance(value, dict):
        raise InvalidSettingsError("thresholds must be an object of portion: percent")
    merged = dict(current)
    for portion, pct in value.items():
        if portion not in SYNC_PORTIONS:
            raise InvalidSettingsError(
                f"Unknown threshold portion {portion!r}; expected {', '.join(SYNC_PORTIONS)}"
            )
        if pct is None:
            merged.pop(portion, None)
            continue
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 100:
            raise InvalidSettingsError(f"The {portion} threshold must be a percentage from 0 to 100")
        merged[portion] = pct
    return merged

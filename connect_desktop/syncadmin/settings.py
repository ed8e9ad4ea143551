"""The threshold and pause editor's change, and what the next run would do at a threshold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from connect_desktop.api.schema import SyncTypePreview
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import SYNC_PORTIONS, OperationKind
from connect_desktop.rollover.plan import PlannedOperation
from connect_desktop.rostering.plan import over_threshold
from connect_desktop.rostering.snapshot import PORTION_TYPES
from connect_desktop.store.sync_history import SyncSettingsRow
from connect_desktop.syncadmin.pauses import PauseParams, parse_pauses, plan_settings_of

STEP = "sync_rollover"
Verdict = Literal["ok", "held", "paused"]


def threshold_of(settings: SyncSettingsRow | None, portion: str) -> float:
    """The deletion threshold (%) in force for `portion` (the default when none is set)."""
    return plan_settings_of(settings).threshold(PORTION_TYPES[portion][0])


def pause_problem(pauses: Sequence[PauseParams]) -> str | None:
    """Why the edited pauses cannot be staged (None: they can)."""
    if any(p.start and p.until and p.until < p.start for p in parse_pauses(pauses)):
        return "A pause ends before it starts: check its dates."
    return None


def settings_change(
    settings: SyncSettingsRow,
    thresholds: Mapping[str, float],
    pauses: Sequence[PauseParams],
    daily_sync: bool,
) -> dict[str, Any]:
    """The `update_sync_settings` params that differ from the settings shown (empty: nothing)."""
    params: dict[str, Any] = {}
    changed = {
        portion: pct
        for portion, pct in thresholds.items()
        if portion in SYNC_PORTIONS and abs(pct - threshold_of(settings, portion)) > 1e-9
    }
    if changed:
        params["thresholds"] = {
            portion: int(pct) if pct == int(pct) else pct for portion, pct in changed.items()
        }
    if parse_pauses(pauses) != plan_settings_of(settings).pauses:
        params["pauses"] = [dict(p) for p in pauses]
    if daily_sync != settings.daily_sync:
        params["daily_sync"] = daily_sync
    return params


def settings_operation(settings: SyncSettingsRow, params: dict[str, Any]) -> PlannedOperation:
    """The staged operation that asks the server for `params`."""
    return PlannedOperation(
        OperationKind.UPDATE_SYNC_SETTINGS, EntityType.SYNC_SETTINGS, settings.id, params, STEP
    )


@dataclass(frozen=True)
class Prediction:
    """What a run of the previewed export would do to one portion at a given threshold."""

    archives: int
    managed: int
    worst_percent: float
    """The highest archive % among the portion's types."""
    verdict: Verdict

    def text(self) -> str:
        """'12 of 100 (12.0%)'."""
        return f"{self.archives:,} of {self.managed:,} ({self.worst_percent:.1f}%)"


def predict(types: Mapping[str, SyncTypePreview], portion: str, threshold: float) -> Prediction | None:
    """The portion's prediction at `threshold` % from a preview's types (None: none previewed).

    The verdict is the planner's own rule (`over_threshold`), so the editor cannot disagree
    with what the run will do.
    """
    parts = [types[t] for t in PORTION_TYPES[portion] if t in types]
    if not parts:
        return None
    paused = all(p.paused for p in parts)
    held = any(not p.paused and over_threshold(p.archive, p.managed, threshold) for p in parts)
    verdict: Verdict = "paused" if paused else "held" if held else "ok"
    return Prediction(
        sum(p.archive for p in parts),
        sum(p.managed for p in parts),
        max(p.archive_percent for p in parts),
        verdict,
    )

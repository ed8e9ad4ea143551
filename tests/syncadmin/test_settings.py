"""The threshold editor's predictions ask the planner's rule; the edits become one staged change."""

from __future__ import annotations

from typing import Any

from connect_desktop.api.schema import SyncTypePreview
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rostering.plan import over_threshold
from connect_desktop.syncadmin.settings import (
    pause_problem,
    predict,
    settings_change,
    settings_operation,
    threshold_of,
)
from tests.syncadmin.conftest import planned, settings_row


def preview(archive: int, managed: int, **fields: Any) -> SyncTypePreview:
    return SyncTypePreview.model_validate(planned(archive, managed, **fields))


def test_the_threshold_rule_is_exact() -> None:
    assert not over_threshold(10, 100, 10) and over_threshold(11, 100, 10)
    assert over_threshold(2, 10, 19.99) and not over_threshold(2, 10, 20)
    assert over_threshold(1, 300_000, 0) and not over_threshold(0, 300_000, 0)
    assert not over_threshold(0, 0, 0)


def test_the_prediction_at_the_threshold_being_edited() -> None:
    types = {"student": preview(10, 100)}
    at = {t: predict(types, "students", t) for t in (9, 10)}
    assert at[9] is not None and at[9].verdict == "held"
    assert at[10] is not None and at[10].verdict == "ok" and at[10].text() == "10 of 100 (10.0%)"
    assert predict(types, "staff", 10) is None  # nothing previewed for staff


def test_a_tiny_share_holds_at_zero_percent_although_it_rounds_to_zero() -> None:
    """The rounded percentage says 0.0%; the server holds the run, and so does the prediction."""
    types = {"student": preview(1, 300_000)}
    assert types["student"].archive_percent == 0.0
    found = predict(types, "students", 0)
    assert found is not None and found.verdict == "held"


def test_a_portion_of_two_types_and_a_paused_portion() -> None:
    types = {"school": preview(0, 2), "term": preview(1, 4)}
    found = predict(types, "schools", 20)
    assert found is not None and (found.archives, found.managed, found.worst_percent, found.verdict) == (
        1, 6, 25.0, "held",
    )  # fmt: skip
    paused = {"classroom": preview(0, 10, paused=True)}
    assert predict(paused, "classrooms", 0).verdict == "paused"  # type: ignore[union-attr]


def test_only_what_changed_is_staged() -> None:
    settings = settings_row({"students": 25}, [{"portion": "all", "from": "2026-07-01", "until": None}])
    shown = {"students": 25.0, "staff": 10.0}
    same = [{"portion": "all", "from": "2026-07-01", "until": None}]
    assert threshold_of(settings, "students") == 25 and threshold_of(settings, "staff") == 10
    assert settings_change(settings, shown, same, True) == {}
    params = settings_change(settings, {**shown, "staff": 12.5}, [], False)
    assert params == {"thresholds": {"staff": 12.5}, "pauses": [], "daily_sync": False}
    operation = settings_operation(settings, params)
    assert operation.kind == OperationKind.UPDATE_SYNC_SETTINGS and operation.target_id == "settings-1"
    assert operation.step == "sync_rollover"


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    assert pause_problem([{"portion": "staff", "from": "2026-07-02", "until": "2026-07-01"}])
    assert pause_problem([{"portion": "staff", "from": "2026-07-01", "until": "2026-07-01"}]) is None

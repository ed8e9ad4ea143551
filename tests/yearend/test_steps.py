"""The year-end steps' rules: when a step is not needed, where Next leads, and each step's
checklist state, worked out from the account's overview alone."""

from __future__ import annotations

from typing import Any

import pytest

from connect_desktop.rollover.plan import Step as PlannerStep
from connect_desktop.store.overview import Overview
from connect_desktop.yearend import steps
from connect_desktop.yearend.steps import STEPS, Step, caption, checklist, neighbour, spec, step_state

ALL_MANUAL = {"student": (0, 10), "staff": (0, 2), "classroom": (0, 3)}


def overview(
    origins: dict[str, tuple[int, int]] | None = None,
    steps_: dict[str, dict[str, int]] | None = None,
    pending: dict[str, int] | None = None,
) -> Overview:
    return Overview(
        counts={},
        origins=origins if origins is not None else ALL_MANUAL,
        sync_source=None,
        last_sync_run=None,
        last_pull_at=None,
        full_pull_done=True,
        pending_states=pending or {},
        current_school_year=2026,
        steps=steps_ or {},
    )


MANUAL = overview()
SYNCED = overview({"student": (10, 0), "staff": (2, 0), "classroom": (3, 0)})
MIXED = overview({"student": (10, 1), "staff": (2, 0), "classroom": (0, 0)})


def reason(step: str, summary: Overview) -> str | None:
    return spec(step).not_needed(summary)


def test_the_planners_file_their_operations_under_the_wizards_steps() -> None:
    assert PlannerStep is Step
    assert STEPS[0].step_id == Step.WELCOME and STEPS[-1].step_id == Step.DONE
    assert [s.number for s in STEPS if s.number] == list(range(1, 9))


def test_sync_rollover_is_not_needed_without_synced_records() -> None:
    assert "no SIS sync" in (reason("sync_rollover", MANUAL) or "")
    assert reason("sync_rollover", SYNCED) is None
    assert reason("sync_rollover", MIXED) is None


def test_clean_up_steps_are_for_manual_records_only() -> None:
    assert reason("inactive_staff", MANUAL) is None
    assert "come from your SIS sync" in (reason("inactive_staff", SYNCED) or "")
    assert reason("non_returning_students", MIXED) is None  # one manual student is enough
    assert reason("merge_duplicates", MIXED) is None
    assert reason("archive_classrooms", MIXED) == "Your account has no manually added classrooms."


def test_back_to_school_is_not_needed_when_the_sync_brings_everything() -> None:
    assert reason("back_to_school", MANUAL) is None
    assert reason("back_to_school", MIXED) is None
    assert "arrives through your SIS sync" in (reason("back_to_school", SYNCED) or "")
    empty = overview({})
    assert reason("back_to_school", empty) is None  # nothing yet: the upload is how data arrives


@pytest.mark.parametrize("always", ["welcome", "reports", "review", "done"])
def test_some_steps_always_apply(always: str) -> None:
    assert reason(always, SYNCED) is None and reason(always, MANUAL) is None


def test_next_skips_what_is_not_needed_and_back_skips_it_too() -> None:
    reports, review = steps.index_of("reports"), steps.index_of("review")
    assert neighbour(reports, +1, SYNCED) == steps.index_of("sync_rollover")
    sync_rollover = steps.index_of("sync_rollover")
    assert neighbour(sync_rollover, +1, SYNCED) == review  # 3 to 6 are the sync's
    assert neighbour(review, -1, SYNCED) == sync_rollover
    assert neighbour(reports, +1, MANUAL) == steps.index_of("inactive_staff")  # no sync to roll over
    assert neighbour(reports, +1, None) == reports + 1  # no numbers yet: nothing is skipped
    assert neighbour(len(STEPS) - 1, +1, MANUAL) == len(STEPS) - 1
    assert neighbour(0, -1, MANUAL) == 0


def test_the_step_list_says_not_needed_or_how_many_are_staged() -> None:
    staged = overview(steps_={"archive_classrooms": {"pending": 1_234, "applied": 5}})
    assert caption(spec("archive_classrooms"), staged) == "4. Archive classrooms  (1,234 staged)"
    assert caption(spec("archive_classrooms"), MANUAL) == "4. Archive classrooms"
    assert caption(spec("sync_rollover"), MANUAL) == "2. Sync rollover  (not needed)"
    assert caption(spec("welcome"), None) == "Welcome"


def state(step: str, summary: Overview, reached: bool = False, done: str = "") -> tuple[str, str]:
    item = step_state(spec(step), summary, reached, done)
    return item.state, item.why


def test_waiting_changes_come_before_decisions_and_sent_ones() -> None:
    both: dict[str, Any] = {
        "non_returning_students": {"pending": 2, "sending": 1, "conflict": 4, "applied": 9}
    }
    assert state("non_returning_students", overview(steps_=both)) == (
        steps.STAGED,
        "3 changes waiting to be sent",
    )
    decided = {"non_returning_students": {"conflict": 4, "rejected": 1, "applied": 9}}
    assert state("non_returning_students", overview(steps_=decided)) == (
        steps.IN_PROGRESS,
        "5 changes need your decision",
    )
    sent = {"non_returning_students": {"applied": 9, "discarded": 2}}
    assert state("non_returning_students", overview(steps_=sent)) == (steps.SENT, "9 changes applied")


def test_a_step_without_changes_is_done_opened_or_not_started() -> None:
    assert state("reports", MANUAL, reached=True, done="7 reports saved") == (steps.DONE, "7 reports saved")
    assert state("reports", MANUAL, reached=True) == (steps.IN_PROGRESS, "Opened, nothing staged yet")
    assert state("reports", MANUAL) == (steps.NOT_STARTED, spec("reports").purpose)
    assert state("sync_rollover", MANUAL, reached=True)[0] == steps.NOT_NEEDED


def test_review_counts_the_whole_outbox() -> None:
    summary = overview(
        steps_={"inactive_staff": {"applied": 3}, "archive_classrooms": {"applied": 4}},
        pending={"pending": 0, "conflict": 2, "rejected": 1},
    )
    assert state("review", summary) == (steps.IN_PROGRESS, "3 changes need your decision")
    waiting = overview(pending={"pending": 6})
    assert state("review", waiting) == (steps.STAGED, "6 changes waiting to be sent")
    sent = overview(steps_={"inactive_staff": {"applied": 3}, "archive_classrooms": {"applied": 4}})
    assert state("review", sent) == (steps.SENT, "7 changes applied")
    sent.applied_kinds.update({"revoke_staff_access": 3, "archive_classroom": 3, "unarchive_classroom": 1})
    assert state("review", sent) == (
        steps.SENT,
        "3 classrooms archived, 3 staff lost access, 1 classroom restored",
    )  # an undo is not counted as more of the same work


def test_back_to_school_is_never_left_in_progress_in_this_version() -> None:
    for reached in (False, True):
        assert state("back_to_school", MANUAL, reached=reached) == (
            steps.IN_WEB_PORTAL,
            steps.BACK_TO_SCHOOL_ELSEWHERE,
        )


def test_the_checklist_lists_the_numbered_steps_reached_up_to_the_saved_place() -> None:
    items = checklist(MANUAL, "archive_classrooms", {"reports": "Saved"})
    assert [item.title for item in items][:2] == ["1. Download reports", "2. Sync rollover"]
    assert len(items) == 8
    by_step = {item.step_id: item.state for item in items}
    assert by_step["reports"] == steps.DONE
    assert by_step["inactive_staff"] == steps.IN_PROGRESS  # before the saved place: reached
    assert by_step["archive_classrooms"] == steps.IN_PROGRESS
    assert by_step["non_returning_students"] == steps.NOT_STARTED
    never_started = {steps.NOT_STARTED, steps.NOT_NEEDED, steps.IN_WEB_PORTAL}
    assert {item.state for item in checklist(MANUAL, "no-such-step")} <= never_started

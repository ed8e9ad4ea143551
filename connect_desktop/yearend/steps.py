"""The year-end steps, in order: what each is for, when it is not needed, and how far it got.

The wizard, the dashboard's checklist and the planners all take their steps from here
(`Step` is also the `pending_operation.step` a planner's operations are filed under).
Every rule is a pure function of the account's `Overview`, so it can be tested without
a screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from connect_desktop.domain.operations import RETRYABLE, OutboxState, tally
from connect_desktop.domain.operations import STAGED as STAGED_STATES
from connect_desktop.domain.words import applied_text, changes_text, decision_text

if TYPE_CHECKING:
    from connect_desktop.store.overview import Overview


class Step(StrEnum):
    """A wizard step; the planners' values are stored as `pending_operation.step`."""

    WELCOME = "welcome"
    REPORTS = "reports"
    SYNC_ROLLOVER = "sync_rollover"
    INACTIVE_STAFF = "inactive_staff"
    ARCHIVE_CLASSROOMS = "archive_classrooms"
    NON_RETURNING_STUDENTS = "non_returning_students"
    MERGE_DUPLICATES = "merge_duplicates"
    REVIEW = "review"
    BACK_TO_SCHOOL = "back_to_school"
    DONE = "done"


NotNeeded = Callable[["Overview"], str | None]
"""Why a step does not apply to this account, or None when it does."""


@dataclass(frozen=True)
class StepSpec:
    """One wizard step: id (also the outbox `step`), number, title, one-line purpose."""

    step_id: Step
    number: int | None
    title: str
    purpose: str
    not_needed: NotNeeded


def _always(_summary: Overview) -> str | None:
    return None


def _needs_sync(summary: Overview) -> str | None:
    if summary.synced_records == 0:
        return (
            "Your account has no SIS sync: every record was uploaded by hand, "
            "so there is no sync to roll over."
        )
    return None


def _needs_manual(kind: str, noun: str) -> NotNeeded:
    def check(summary: Overview) -> str | None:
        synced, manual = summary.origins.get(kind, (0, 0))
        if manual == 0 and synced > 0:
            return f"All your {noun} come from your SIS sync: the sync takes care of them when it rolls over."
        if manual == 0:
            return f"Your account has no manually added {noun}."
        return None

    return check


def _back_to_school(summary: Overview) -> str | None:
    if summary.manual_records == 0 and summary.synced_records > 0:
        return "The new school year's data arrives through your SIS sync: nothing to upload by hand."
    return None


STEPS: tuple[StepSpec, ...] = (
    StepSpec(Step.WELCOME, None, "Welcome", "What this assistant does for your account.", _always),
    StepSpec(
        Step.REPORTS, 1, "Download reports", "Keep copies of your data before anything changes.", _always
    ),
    StepSpec(Step.SYNC_ROLLOVER, 2, "Sync rollover", "Check your SIS sync before the new year.", _needs_sync),
    StepSpec(
        Step.INACTIVE_STAFF,
        3,
        "Remove inactive staff",
        "Take away access of staff who left.",
        _needs_manual("staff", "staff"),
    ),
    StepSpec(
        Step.ARCHIVE_CLASSROOMS,
        4,
        "Archive classrooms",
        "Archive last year's classrooms.",
        _needs_manual("classroom", "classrooms"),
    ),
    StepSpec(
        Step.NON_RETURNING_STUDENTS,
        5,
        "Non-returning students",
        "Archive or delete students who leave.",
        _needs_manual("student", "students"),
    ),
    StepSpec(
        Step.MERGE_DUPLICATES,
        6,
        "Merge duplicate students",
        "Combine students entered twice.",
        _needs_manual("student", "students"),
    ),
    StepSpec(Step.REVIEW, 7, "Review and send", "Check every change, then send it to Connect.", _always),
    StepSpec(Step.BACK_TO_SCHOOL, 8, "Back to school", "Import the new school year's data.", _back_to_school),
    StepSpec(Step.DONE, None, "Done", "What happened, and what comes next.", _always),
)

STEP_IDS: tuple[str, ...] = tuple(spec.step_id for spec in STEPS)


def spec(step_id: str) -> StepSpec:
    """The step with this id (`KeyError` for an unknown one)."""
    for candidate in STEPS:
        if candidate.step_id == step_id:
            return candidate
    raise KeyError(f"unknown year-end step {step_id!r}")


def index_of(step_id: str) -> int:
    """The step's place in `STEPS` (`KeyError` for an unknown one)."""
    return STEPS.index(spec(step_id))


def neighbour(index: int, direction: int, summary: Overview | None) -> int:
    """Where Next (+1) or Back (-1) leads from `STEPS[index]`: past the steps that are not
    needed, never past Welcome or Done (those always apply)."""
    row = index + direction
    while 0 < row < len(STEPS) - 1 and summary is not None and STEPS[row].not_needed(summary):
        row += direction
    return max(0, min(row, len(STEPS) - 1))


def caption(step: StepSpec, summary: Overview | None) -> str:
    """The step's line in the wizard's step list, e.g. "4. Archive classrooms  (12 staged)"."""
    number = f"{step.number}. " if step.number else ""
    text = f"{number}{step.title}"
    if summary is None:
        return text
    if step.not_needed(summary):
        return f"{text}  (not needed)"
    waiting = summary.steps.get(step.step_id, {}).get(OutboxState.PENDING, 0)
    return f"{text}  ({waiting:,} staged)" if waiting else text


# -- the checklist ------------------------------------------------------------------------------

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
STAGED = "Staged"
SENT = "Sent"
NOT_NEEDED = "Not needed"
DONE = "Done"
IN_WEB_PORTAL = "In the web portal"
BACK_TO_SCHOOL_ELSEWHERE = (
    "This version does not import the new year's data: upload it in the Connect web portal."
)


@dataclass(frozen=True)
class ChecklistItem:
    step_id: str
    title: str
    state: str
    why: str


def step_state(step: StepSpec, summary: Overview, reached: bool, done: str = "") -> ChecklistItem:
    """One step's state; `reached` tells whether the user has opened the step (or a later one),
    `done` what the user finished on a step that stages nothing (reports saved, say).

    Waiting changes come first (the step is not finished while they are unsent), then
    changes that need a decision, then sent ones. Review counts the whole outbox.
    """
    title = f"{step.number}. {step.title}"
    reason = step.not_needed(summary)
    if reason:
        return ChecklistItem(step.step_id, title, NOT_NEEDED, reason)
    states = summary.steps.get(step.step_id, {})
    waiting = tally(states, STAGED_STATES)
    applied = states.get(OutboxState.APPLIED, 0)
    trouble = tally(states, RETRYABLE)
    if step.step_id == Step.REVIEW:
        waiting = summary.waiting
        applied = sum(s.get(OutboxState.APPLIED, 0) for s in summary.steps.values())
        trouble = tally(summary.pending_states, RETRYABLE)
    if waiting:
        return ChecklistItem(step.step_id, title, STAGED, f"{changes_text(waiting)} waiting to be sent")
    if trouble:
        return ChecklistItem(
            step.step_id,
            title,
            IN_PROGRESS,
            decision_text(trouble),
        )
    if applied:
        done_text = applied_text(summary.applied_kinds) if step.step_id == Step.REVIEW else ""
        return ChecklistItem(step.step_id, title, SENT, done_text or f"{changes_text(applied)} applied")
    if done:
        return ChecklistItem(step.step_id, title, DONE, done)
    if step.step_id == Step.BACK_TO_SCHOOL:  # no tools in this version: never "in progress"
        return ChecklistItem(step.step_id, title, IN_WEB_PORTAL, BACK_TO_SCHOOL_ELSEWHERE)
    if reached:
        return ChecklistItem(step.step_id, title, IN_PROGRESS, "Opened, nothing staged yet")
    return ChecklistItem(step.step_id, title, NOT_STARTED, step.purpose)


def checklist(
    summary: Overview, current_step: str, done: Mapping[str, str] | None = None
) -> list[ChecklistItem]:
    """All numbered steps; those up to the wizard's saved place count as reached."""
    done = done or {}
    reached_until = index_of(current_step) if current_step in STEP_IDS else 0
    return [
        step_state(step, summary, index <= reached_until, done.get(step.step_id, ""))
        for index, step in enumerate(STEPS)
        if step.number is not None
    ]

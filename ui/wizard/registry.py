"""The wizard's steps, in order, and which page class shows each.

Steps owned by other work start as placeholders; a real page plugs in with
`register_page(step_id, PageClass)` before the wizard is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ui.dashboard.summary import Summary


@dataclass(frozen=True)
class StepSpec:
    """One wizard step: id (also the outbox `step`), number, title, one-line purpose."""

    step_id: str
    number: int | None
    title: str
    purpose: str
    not_needed: Callable[[Summary], str | None]
    """Returns why the step does not apply to this account, or None when it does."""


def _always(_summary: Summary) -> str | None:
    return None


def _needs_sync(summary: Summary) -> str | None:
    if summary.synced_records == 0:
        return (
            "Your account has no SIS sync: every record was uploaded by hand, "
            "so there is no sync to roll over."
        )
    return None


def _needs_manual(kind: str, noun: str) -> Callable[[Summary], str | None]:
    def check(summary: Summary) -> str | None:
        synced, manual = summary.origins.get(kind, (0, 0))
        if manual == 0 and synced > 0:
            return f"All your {noun} come from your SIS sync: the sync takes care of them when it rolls over."
        if manual == 0:
            return f"Your account has no manually added {noun}."
        return None

    return check


def _back_to_school(summary: Summary) -> str | None:
    if summary.manual_records == 0 and summary.synced_records > 0:
        return "The new school year's data arrives through your SIS sync: nothing to upload by hand."
    return None


STEPS: tuple[StepSpec, ...] = (
    StepSpec("welcome", None, "Welcome", "What this assistant does for your account.", _always),
    StepSpec("reports", 1, "Download reports", "Keep copies of your data before anything changes.", _always),
    StepSpec("sync_rollover", 2, "Sync rollover", "Check your SIS sync before the new year.", _needs_sync),
    StepSpec(
        "inactive_staff",
        3,
        "Remove inactive staff",
        "Take away access of staff who left.",
        _needs_manual("staff", "staff"),
    ),
    StepSpec(
        "archive_classrooms",
        4,
        "Archive classrooms",
        "Archive last year's classrooms.",
        _needs_manual("classroom", "classrooms"),
    ),
    StepSpec(
        "non_returning_students",
        5,
        "Non-returning students",
        "Archive or delete students who leave.",
        _needs_manual("student", "students"),
    ),
    StepSpec(
        "merge_duplicates",
        6,
        "Merge duplicate students",
        "Combine students entered twice.",
        _needs_manual("student", "students"),
    ),
    StepSpec("review", 7, "Review and send", "Check every change, then send it to Connect.", _always),
    StepSpec("back_to_school", 8, "Back to school", "Import the new school year's data.", _back_to_school),
    StepSpec("done", None, "Done", "What happened, and what comes next.", _always),
)

STEP_IDS: tuple[str, ...] = tuple(spec.step_id for spec in STEPS)

PageFactory = Callable[..., object]
_PAGES: dict[str, PageFactory] = {}


def register_page(step_id: str, factory: PageFactory) -> None:
    """Make `factory(spec, context)` build the page of `step_id` (replaces a placeholder)."""
    if step_id not in STEP_IDS:
        raise KeyError(f"unknown wizard step {step_id!r}")
    _PAGES[step_id] = factory


def page_factory(step_id: str) -> PageFactory | None:
    return _PAGES.get(step_id)


def spec(step_id: str) -> StepSpec:
    return next(s for s in STEPS if s.step_id == step_id)

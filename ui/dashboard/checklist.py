"""The year-end checklist: each step's state, worked out from the summary (pure, no widgets)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ui.dashboard.summary import Summary
from ui.wizard.registry import STEPS, StepSpec

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
STAGED = "Staged"
SENT = "Sent"
NOT_NEEDED = "Not needed"
DONE = "Done"


@dataclass(frozen=True)
class ChecklistItem:
    step_id: str
    title: str
    state: str
    why: str


def step_state(spec: StepSpec, summary: Summary, reached: bool, done: str = "") -> ChecklistItem:
    """One step's state; `reached` tells whether the user has opened the step (or a later one),
    `done` what the user finished on a step that stages nothing (reports saved, say)."""
    title = f"{spec.number}. {spec.title}"
    reason = spec.not_needed(summary)
    if reason:
        return ChecklistItem(spec.step_id, title, NOT_NEEDED, reason)
    states = summary.steps.get(spec.step_id, {})
    waiting = states.get("pending", 0) + states.get("sending", 0)
    applied = states.get("applied", 0)
    trouble = states.get("conflict", 0) + states.get("rejected", 0)
    if spec.step_id == "review":
        waiting, applied = summary.waiting, sum(s.get("applied", 0) for s in summary.steps.values())
        trouble = summary.pending_states.get("conflict", 0) + summary.pending_states.get("rejected", 0)
    if waiting:
        return ChecklistItem(spec.step_id, title, STAGED, f"{waiting:,} changes waiting to be sent")
    if trouble:
        return ChecklistItem(spec.step_id, title, IN_PROGRESS, f"{trouble:,} changes need your decision")
    if applied:
        return ChecklistItem(spec.step_id, title, SENT, f"{applied:,} changes applied")
    if done:
        return ChecklistItem(spec.step_id, title, DONE, done)
    if reached:
        return ChecklistItem(spec.step_id, title, IN_PROGRESS, "Opened, nothing staged yet")
    return ChecklistItem(spec.step_id, title, NOT_STARTED, spec.purpose)


def checklist(
    summary: Summary, current_step: str, done: Mapping[str, str] | None = None
) -> list[ChecklistItem]:
    """All numbered steps; those up to the wizard's saved place count as reached."""
    done = done or {}
    ids = [s.step_id for s in STEPS]
    reached_until = ids.index(current_step) if current_step in ids else 0
    return [
        step_state(spec, summary, ids.index(spec.step_id) <= reached_until, done.get(spec.step_id, ""))
        for spec in STEPS
        if spec.number is not None
    ]

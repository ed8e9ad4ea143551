"""The plain-language message stored on each run (for people: clients read the run's numbers
from its `counts`, see `syncing.runs`). Entity nouns are `domain.words`'."""

from __future__ import annotations

import datetime as dt

from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.domain.words import noun
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.findings import findings, plural
from connect_desktop.rostering.plan import PlanSettings, RolloverPlan
from connect_desktop.rostering.snapshot import PORTION_TYPES
from connect_server.syncing.apply import ApplyResult


def done(
    result: ApplyResult, plan: RolloverPlan, approved: bool, settings: PlanSettings, today: dt.date
) -> str:
    types = result.types.values()
    text = (
        f"Created {sum(r.created for r in types)}, updated {sum(r.updated for r in types)} "
        f"and archived {plural(sum(r.archived for r in types), 'record')}."
    )
    if approved and any(r.archived for r in types) and plan.held:
        text += " Archives were approved for this run only; the thresholds stay as they were."
    return text + _extras(result, settings, today)


def held(result: ApplyResult, plan: RolloverPlan, settings: PlanSettings, today: dt.date) -> str:
    reasons = "; ".join(
        f"{p.archives} of {p.managed} {noun(t)} ({p.archive_percent:.1f}%, threshold {p.threshold:g}%)"
        for t, p in plan.types.items()
        if p.held
    )
    tried = sum(r.tried_to_archive for r in result.types.values())
    types = result.types.values()
    return (
        f"Held: this run would archive {reasons}. Nothing was archived ({plural(tried, 'record')} listed "
        f"as 'tried to archive'); created {sum(r.created for r in types)} and updated "
        f"{plural(sum(r.updated for r in types), 'record')}. Approve this run's archives, or raise the "
        "threshold; until then every run like it is held again." + _extras(result, settings, today)
    )


def paused_all(settings: PlanSettings, today: dt.date) -> str:
    ends = [p.until for p in settings.active_pauses(today) if p.portion is None]
    dated = [day for day in ends if day is not None]
    until = f" until {max(dated).isoformat()}" if ends and len(dated) == len(ends) else ""
    return f"The sync is paused{until}; nothing was read or changed."


SHOWN_PROBLEMS = 3


def failed_source(diags: Diagnostics) -> str:
    """Why a run changed nothing: the source's errors, each group once, as the validator says them."""
    errors = [f for f in findings(diags.items, diags.tallies) if f.severity == "error"]
    said = " | ".join(f.sentence for f in errors[:SHOWN_PROBLEMS])
    left = len(errors) - SHOWN_PROBLEMS
    more = f" | and {plural(left, 'more problem')}." if left > 0 else ""
    return f"The sync source has {plural(diags.errors, 'error')}; nothing was changed: {said}{more}"


def _extras(result: ApplyResult, settings: PlanSettings, today: dt.date) -> str:
    text = ""
    paused = settings.paused_types(today)
    portions = [p for p, ts in PORTION_TYPES.items() if set(ts) <= paused]
    if portions:
        text += f" Paused, left untouched: {', '.join(portions)}."
    skipped = {t: r.skipped for t, r in result.types.items() if r.skipped}
    if skipped:
        listed = ", ".join(f"{n} {noun(t, n)}" for t, n in skipped.items())
        text += f" Not applied because they refer to records not in Connect (e.g. paused): {listed}."
    return text


# -- what school admins read (their schools' numbers only; see `connect_server.sync_scope`) --
FOR_SCHOOLS = "Counts are for your schools only."


def preview_for_schools(plan: RolloverPlan) -> str:
    """A school admin's preview message: the district's verdict, no district numbers."""
    if plan.paused_all:
        return "The sync is paused: a run now would change nothing."
    if plan.held:
        nouns = ", ".join(noun(t) for t in plan.held_types)
        return (
            f"{FOR_SCHOOLS} The next run would be held: across the district it would archive more "
            f"{nouns} than the threshold allows. New and changed records would still be applied; "
            "nothing would be archived."
        )
    return f"{FOR_SCHOOLS} The next run would apply all of these changes."


def run_for_schools(
    status: str, counts: dict[str, dict[str, int]] | None, approved: bool, message: str | None
) -> str:
    """A run's message for a school admin, from their schools' `counts` (None: not recorded).

    The stored message carries district numbers and source errors, so only a paused run's
    (which names no record) is passed on.
    """
    if status == SyncRunStatus.SKIPPED_PAUSED.value:
        return message or "The sync was paused; nothing was read or changed."
    if status == SyncRunStatus.RUNNING.value:
        return "The sync is running."
    if status == SyncRunStatus.FAILED.value:
        return "The sync stopped without changing anything. A district admin can see why."
    if counts is None:
        return (
            "Counts for your schools were not recorded for this run (it ran before the server kept "
            "them per school); a district admin can see the district's totals."
        )
    types = counts.values()
    created, updated = sum(c.get("created", 0) for c in types), sum(c.get("updated", 0) for c in types)
    if status == SyncRunStatus.FAILED_THRESHOLD.value:
        tried = sum(c.get("tried_to_archive", 0) for c in types)
        return (
            "Held at the deletion threshold: across the district this run would have archived more than "
            "the threshold allows, so nothing was archived. In your schools: "
            f"{plural(tried, 'record')} listed as 'tried to archive'; created {created} and updated "
            f"{plural(updated, 'record')}. A district admin can "
            "approve this run's archives once or raise the threshold."
        )
    archived = sum(c.get("archived", 0) for c in types)
    text = f"In your schools: created {created}, updated {updated} and archived {plural(archived, 'record')}."
    return text + (" Archives were approved for this run only." if approved else "")

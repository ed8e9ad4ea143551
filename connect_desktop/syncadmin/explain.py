"""A sync run in plain words, from the numbers the server records in the run's `counts`.

Every run since the server kept them records, per type, the plan it applied
(`SyncRunTypeCounts.planned`: managed, archive, threshold, archive_percent, held). The
run's `message` is for people and is never parsed. A run recorded before that has only
its counts, and its explanation says that the details are not available.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from connect_desktop.api.schema import SyncRunTypeCounts, SyncTypePreview
from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.domain.words import counted, lower_first, noun, run_status_text
from connect_desktop.rostering.plan import over_threshold
from connect_desktop.rostering.snapshot import TYPES
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from connect_desktop.syncadmin.pauses import plan_settings_of
from connect_desktop.syncadmin.portions import TYPE_PORTION, portion_title
from connect_desktop.syncadmin.text import long_date, percent

HELD = SyncRunStatus.FAILED_THRESHOLD.value
TOLD = (
    "Connect does not send a notice about sync runs: this history (here and on the SIS "
    "Rostering page of the Connect web portal) is the only place it shows. If others need to "
    "know, tell them."
)
_OUTCOME = {
    SyncRunStatus.SUCCEEDED.value: "finished without problems",
    SyncRunStatus.SKIPPED_PAUSED.value: "was skipped because the sync is paused",
    SyncRunStatus.FAILED.value: "failed",
    SyncRunStatus.RUNNING.value: "is still running",
}
"""How a headline ends for a run that was not held."""


@dataclass(frozen=True)
class HeldType:
    """A type a held run wanted to archive; `planned` is None when its numbers are not available
    (a run recorded before the server kept them, or a school admin's: those are the district's)."""

    type: str
    tried: int
    planned: SyncTypePreview | None = None

    @property
    def percent(self) -> float | None:
        return self.planned.archive_percent if self.planned is not None else None

    @property
    def threshold(self) -> float | None:
        return self.planned.threshold if self.planned is not None else None

    def holds_at(self, threshold: float) -> bool:
        """Whether these archives would hold a run at `threshold` % (the planner's rule)."""
        assert self.planned is not None
        return over_threshold(self.planned.archive, self.planned.managed, threshold)


@dataclass(frozen=True)
class RunExplanation:
    headline: str
    what_happened: str
    archived: str
    told: str
    next_run: str
    what_to_do: str
    held: list[HeldType] = field(default_factory=list)

    def paragraphs(self) -> list[str]:
        return [self.what_happened, self.archived, self.told, self.next_run, self.what_to_do]

    def text(self) -> str:
        return "\n\n".join([self.headline, *self.paragraphs()])


def type_counts(run: SyncRunRow) -> dict[str, SyncRunTypeCounts]:
    """The run's counts per type, read field by field; a part that cannot be read is left out
    (a `planned` from a newer server with unknown fields is dropped, not an error)."""
    stored: dict[str, Any] = run.counts  # JSON from the cache: check each part's shape
    return {type_: _type_counts(raw) for type_, raw in stored.items() if isinstance(raw, Mapping)}


def _type_counts(raw: Mapping[str, Any]) -> SyncRunTypeCounts:
    known = {k: v for k, v in raw.items() if k in SyncRunTypeCounts.model_fields}
    planned = known.pop("planned", None)
    if isinstance(planned, Mapping):
        known["planned"] = {k: v for k, v in planned.items() if k in SyncTypePreview.model_fields}
    for attempt in (known, {k: v for k, v in known.items() if k != "planned"}):
        try:
            return SyncRunTypeCounts.model_validate(attempt)
        except ValidationError:
            continue
    return SyncRunTypeCounts()


def _in_type_order(types: Iterable[str]) -> list[str]:
    """Entity types in the sync's order (schools first), unknown ones last."""
    return sorted(types, key=lambda t: TYPES.index(t) if t in TYPES else len(TYPES))


def held_types(run: SyncRunRow) -> list[HeldType]:
    """The types that held the run, in type order, with their numbers when the run recorded them;
    otherwise every type it tried to archive (which type held it is then not known)."""
    counts = type_counts(run)
    order = _in_type_order(counts)
    if any(counts[t].planned is not None for t in order):
        return [
            HeldType(t, planned.archive, planned)
            for t in order
            if (planned := counts[t].planned) is not None and planned.held
        ]
    return [HeldType(t, counts[t].tried_to_archive) for t in order if counts[t].tried_to_archive]


def approved_archives(run: SyncRunRow) -> str:
    """Everything approving a held run once archives, type by type, as listed under "Tried to
    archive": '6 staff, 173 students, 451 family links (63 of them with their contacts)'.

    Every type, not only those that held it: with archiving allowed the run archives them all.
    """
    counts = type_counts(run)
    parts: list[str] = []
    for type_ in _in_type_order(counts):
        tried = counts[type_].tried_to_archive
        if not tried:
            continue
        planned = counts[type_].planned
        also = planned.removed_with_parent if planned is not None else 0
        parts.append(counted(type_, tried) + (f" ({also:,} of them with their contacts)" if also else ""))
    return ", ".join(parts)


def describe_held(h: HeldType) -> str:
    """'165 students (16.1% of synced students), more than your threshold of 10%'."""
    text = counted(h.type, h.tried)
    if h.percent is not None:
        text += f" ({percent(h.percent)} of synced {noun(h.type)})"
    if h.threshold is not None:
        text += f", more than your threshold of {percent(h.threshold)}"
    return text


def explain_run(
    run: SyncRunRow, settings: SyncSettingsRow | None, for_schools: bool = False
) -> RunExplanation:
    """A run in plain words: what happened, whether anything was archived, who was told,
    whether the next run will do the same, and what to do (`for_schools`: to a school admin,
    whose counts are their schools'). `settings` are the thresholds now (staged ones included)."""
    when = long_date(run.started_at)
    it = "In your schools, it" if for_schools else "It"
    created, updated = run.total("created"), run.total("updated")
    archived, tried = run.total("archived"), run.total("tried_to_archive")
    if for_schools and not run.counts and run.status in (HELD, SyncRunStatus.SUCCEEDED.value):
        result = "was held at the deletion threshold" if run.status == HELD else "finished"
        return RunExplanation(
            f"Your sync on {when} {result}.",
            "How many records it changed in your schools was not recorded: the run is older than that.",
            "A district admin sees what it did across the district.",
            TOLD,
            "A district admin can tell whether the next run will do the same.",
            run.message or "",
        )
    if run.status != HELD:
        outcome = _OUTCOME.get(run.status) or lower_first(run_status_text(run.status))
        archived_text = (
            f"{it} archived {archived:,} record{'s' if archived != 1 else ''}."
            if archived
            else "Nothing was archived."
        )
        approved = " Archives were approved for this run only." if run.approved_archives else ""
        return RunExplanation(
            f"Your sync on {when} {outcome}.",
            f"{it} created {created:,} and updated {updated:,} record{'s' if updated != 1 else ''}."
            + approved,
            archived_text,
            TOLD,
            "The next run will work the same way: the thresholds and pauses below apply to it.",
            run.message or "",
        )
    held = held_types(run)
    parts = [describe_held(h) for h in held]
    wanted = "; and ".join(parts) if parts else f"{tried:,} records"
    return RunExplanation(
        f"Your sync on {when} was held at the deletion threshold.",
        f"{it} wanted to archive {wanted}.",
        f"Nothing was archived. Creates ({created:,}) and updates ({updated:,}) did apply; "
        f"the {tried:,} records it tried to archive are listed under “Tried to archive”.",
        TOLD,
        _next_run(held, settings, for_schools),
        _what_to_do(for_schools),
        held,
    )


def _next_run(held: list[HeldType], settings: SyncSettingsRow | None, for_schools: bool) -> str:
    """Whether the next run is held too: each held type's archives against its threshold now."""
    approver = (
        "a district admin approves this run once or raises the threshold"
        if for_schools
        else "you approve this run once or raise the threshold"
    )
    again = (
        f"Yes, the next run will be held too, in the same way, unless {approver}. "
        "Until then, every sync creates and updates records but archives nothing."
    )
    known = [h for h in held if h.planned is not None]
    if not known:
        if for_schools:
            return again
        return (
            "The details (how many of how many synced records, against which threshold) are not "
            "available for this run: it was recorded before Connect kept them. If the thresholds are "
            f"as they were then, the next run will be held too unless {approver}."
        )
    now = plan_settings_of(settings)
    raised = [h for h in known if not h.holds_at(now.threshold(h.type))]
    if not raised:
        return again
    said = ", ".join(
        f"{portion_title(TYPE_PORTION.get(h.type)).lower()} (now {percent(now.threshold(h.type))})"
        for h in raised
    )
    if len(raised) == len(held):
        return (
            f"The next run will not be held for this reason: the threshold was raised since for {said} "
            "(or that change is waiting to be sent)."
        )
    still = ", ".join(noun(h.type) for h in held if h not in raised)
    return f"The threshold was raised since for {said}, but not enough for {still}. " + again


def _what_to_do(for_schools: bool) -> str:
    if for_schools:
        return (
            "What to do: check the list of what it tried to archive in your schools. If it is wrong, fix "
            "the export in your SIS. If it is right, tell your district admin: only they can approve this "
            "run once or raise the threshold, which counts the whole district."
        )
    return (
        "What to do: check the list of what it tried to archive. If it is right (say, graduates and "
        "staff who left), approve this run once; your threshold stays as it is. If it is wrong, fix the "
        "export in your SIS and let the next sync run. To allow this many archives every time, raise "
        "the threshold instead."
    )

"""The "Sync rollover" step's work and words (worker thread for the I/O; no widgets).

Reads the sync history and settings from the cache (`connect_desktop.store.sync_history`),
calls the server's sync endpoints (`connect_desktop.api.sync_calls`), runs the offline
rollover preview (`connect_desktop.rostering.preview`) and explains a held run in plain
words (`explain_run`, pure).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connect_desktop.api import sync_calls
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import SYNC_PORTIONS, OperationKind
from connect_desktop.reports.atomic import atomic_path
from connect_desktop.reports.cells import RISKY_FIRST, text_converter
from connect_desktop.reports.saving import save_workbook, spooling
from connect_desktop.reports.workbook import discard_workbook, new_workbook
from connect_desktop.rollover.plan import PlannedOperation
from connect_desktop.rostering.plan import DEFAULT_THRESHOLD, Change
from connect_desktop.rostering.preview import RolloverPreview, TypePreview, preview_rollover
from connect_desktop.rostering.snapshot import PORTION_TYPES, TYPES
from connect_desktop.store import sync_history
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from ui.backend import AccountService

STEP = "sync_rollover"
HELD = "failed_threshold"
NOUN = {
    "school": "schools",
    "term": "terms",
    "staff": "staff",
    "student": "students",
    "contact": "family contacts",
    "student_contact": "family links",
    "classroom": "classrooms",
    "enrollment": "enrollments",
}
PORTION_TITLE = {
    "all": "The whole sync",
    "schools": "Schools and terms",
    "staff": "Staff",
    "students": "Students",
    "contacts": "Family contacts and links",
    "classrooms": "Classrooms",
    "enrollments": "Enrollments (rosters)",
}
TYPE_PORTION = {t: portion for portion, types in PORTION_TYPES.items() for t in types}
_HELD_PART = re.compile(
    r"(?P<archives>\d+) of (?P<managed>\d+) (?P<noun>[a-z][a-z ]*?) "
    r"\((?P<pct>[\d.]+)%, threshold (?P<threshold>[\d.]+)%\)"
)
_TYPE_OF_NOUN = {noun: t for t, noun in NOUN.items()} | {"contacts": "contact"}

Row = tuple[Any, ...]


# -- status ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStatus:
    settings: SyncSettingsRow | None
    runs: list[SyncRunRow]
    schools: list[str] | None = None
    """The schools the runs' counts and lists cover (a school admin's); None: the whole district."""


def load_status(service: AccountService, limit: int = 200) -> SyncStatus:
    with service.cache.sessions() as db:
        return SyncStatus(
            sync_history.sync_settings(db),
            sync_history.list_runs(db, limit=limit),
            sync_history.counts_scope(db),
        )


def scope_note(schools: list[str] | None) -> str:
    """What a school admin is told: the counts and lists are their schools' ("" for the district)."""
    if schools is None:
        return ""
    which = ", ".join(schools) if schools else "none yet"
    return (
        f"Counts and lists here are for your schools only ({which}), not the whole district. "
        "The deletion threshold counts the whole district; approving a held run is for district admins."
    )


def threshold_of(settings: SyncSettingsRow | None, portion: str) -> float:
    if settings is None:
        return DEFAULT_THRESHOLD
    return float(settings.thresholds.get(portion, DEFAULT_THRESHOLD))


def active_pauses(settings: SyncSettingsRow | None, today: dt.date) -> list[dict[str, Any]]:
    """The pauses in force today."""
    if settings is None:
        return []
    found = []
    for pause in settings.pauses:
        start, until = _day(pause.get("from")), _day(pause.get("until"))
        if (start is None or start <= today) and (until is None or today <= until):
            found.append(pause)
    return found


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def describe_pause(pause: dict[str, Any]) -> str:
    portion = PORTION_TITLE.get(str(pause.get("portion") or "all"), str(pause.get("portion")))
    start, until = _day(pause.get("from")), _day(pause.get("until"))
    when = ""
    if start:
        when += f" from {long_date(start)}"
    when += (
        f" until {long_date(until)} (it resumes by itself the day after)"
        if until
        else " until you remove the pause"
    )
    return f"{portion}: paused{when}"


def long_date(day: dt.date | dt.datetime) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# -- explaining a run -----------------------------------------------------------------------
@dataclass(frozen=True)
class HeldType:
    type: str
    tried: int
    managed: int | None
    percent: float | None
    threshold: float | None


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


def held_types(run: SyncRunRow) -> list[HeldType]:
    """The types that held the run: numbers from the run's message, else from its counts."""
    parsed: dict[str, HeldType] = {}
    for match in _HELD_PART.finditer(run.message or ""):
        type_ = _TYPE_OF_NOUN.get(match["noun"])
        if type_ is not None:
            parsed[type_] = HeldType(
                type_,
                int(match["archives"]),
                int(match["managed"]),
                float(match["pct"]),
                float(match["threshold"]),
            )
    if parsed:
        return [parsed[t] for t in TYPES if t in parsed]
    return [
        HeldType(t, int(c.get("tried_to_archive", 0)), None, None, None)
        for t, c in run.counts.items()
        if c.get("tried_to_archive")
    ]


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def describe_held(h: HeldType) -> str:
    """ "165 students (16.1% of synced students), more than your threshold of 10%"."""
    noun = NOUN.get(h.type, h.type)
    text = f"{h.tried:,} {noun}"
    if h.percent is not None:
        text += f" ({_pct(h.percent)} of synced {noun})"
    if h.threshold is not None:
        text += f", more than your threshold of {_pct(h.threshold)}"
    return text


def explain_run(
    run: SyncRunRow, settings: SyncSettingsRow | None, for_schools: bool = False
) -> RunExplanation:
    """A run in plain words: what happened, whether anything was archived, who was told,
    whether the next run will do the same, and what to do (`for_schools`: to a school admin,
    whose counts are their schools')."""
    when = long_date(run.started_at)
    it = "In your schools, it" if for_schools else "It"
    created, updated = run.total("created"), run.total("updated")
    archived, tried = run.total("archived"), run.total("tried_to_archive")
    told = (
        "Connect does not send a notice about sync runs: this history (here and on the SIS "
        "Rostering page of the Connect web portal) is the only place it shows. If others need to "
        "know, tell them."
    )
    if for_schools and not run.counts and run.status in (HELD, "succeeded"):
        result = "was held at the deletion threshold" if run.status == HELD else "finished"
        return RunExplanation(
            f"Your sync on {when} {result}.",
            "How many records it changed in your schools was not recorded: the run is older than that.",
            "A district admin sees what it did across the district.",
            told,
            "A district admin can tell whether the next run will do the same.",
            run.message or "",
        )
    if run.status != HELD:
        from_status = {
            "succeeded": "finished without problems",
            "skipped_paused": "was skipped because the sync is paused",
            "failed": "failed",
            "running": "is still running",
        }.get(run.status, run.status)
        archived_text = (
            f"{it} archived {archived:,} record{'s' if archived != 1 else ''}."
            if archived
            else "Nothing was archived."
        )
        approved = " Archives were approved for this run only." if run.approved_archives else ""
        return RunExplanation(
            f"Your sync on {when} {from_status}.",
            f"{it} created {created:,} and updated {updated:,} record{'s' if updated != 1 else ''}."
            + approved,
            archived_text,
            told,
            "The next run will work the same way: the thresholds and pauses below apply to it.",
            run.message or "",
        )
    held = held_types(run)
    approver = (
        "a district admin approves this run once or raises the threshold"
        if for_schools
        else "you approve this run once or raise the threshold"
    )
    parts = [describe_held(h) for h in held]
    wanted = "; and ".join(parts) if parts else f"{tried:,} records"
    raised = []
    for h in held:
        portion = TYPE_PORTION.get(h.type, h.type)
        now = threshold_of(settings, portion)
        if h.percent is not None and now >= h.percent:
            raised.append(f"{PORTION_TITLE.get(portion, portion).lower()} (now {_pct(now)})")
    if raised:
        next_run = (
            "The next run will not be held for this reason: the threshold was raised since for "
            + ", ".join(raised)
            + " (or that change is waiting to be sent)."
        )
    else:
        next_run = (
            f"Yes, the next run will be held too, in the same way, unless {approver}. "
            "Until then, every sync creates and updates records but archives nothing."
        )
    what_to_do = (
        "What to do: check the list of what it tried to archive. If it is right (say, graduates and "
        "staff who left), approve this run once; your threshold stays as it is. If it is wrong, fix the "
        "export in your SIS and let the next sync run. To allow this many archives every time, raise "
        "the threshold instead."
    )
    if for_schools:
        what_to_do = (
            "What to do: check the list of what it tried to archive in your schools. If it is wrong, fix "
            "the export in your SIS. If it is right, tell your district admin: only they can approve this "
            "run once or raise the threshold, which counts the whole district."
        )
    return RunExplanation(
        f"Your sync on {when} was held at the deletion threshold.",
        f"{it} wanted to archive {wanted}.",
        f"Nothing was archived. Creates ({created:,}) and updates ({updated:,}) did apply; "
        f"the {tried:,} records it tried to archive are listed under “Tried to archive”.",
        told,
        next_run,
        what_to_do,
        held,
    )


# -- what a run tried to archive (server, paged) --------------------------------------------
class ArchiveSource:
    """A `PageSource` over `GET /sync/runs/{id}/archives` (worker thread only)."""

    def __init__(self, service: AccountService, run_id: str, type_: str | None = None) -> None:
        self._service = service
        self.run_id = run_id
        self.type = type_
        self._lock = threading.Lock()

    def _page(self, offset: int, limit: int) -> sync_calls.ArchivePage:
        with self._lock, self._service.client() as client:
            return sync_calls.run_archives(client, self.run_id, type_=self.type, offset=offset, limit=limit)

    def count(self) -> int:
        return self._page(0, 1).total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return [
            (item.id, item.label, NOUN.get(item.type, item.type), item.source_id, item.type)
            for item in self._page(offset, min(limit, 5_000)).items
        ]

    def iter_all(self, page: int = 2_000) -> Iterator[sync_calls.ArchiveItem]:
        offset = 0
        while True:
            found = self._page(offset, page)
            yield from found.items
            offset += len(found.items)
            if not found.items or offset >= found.total:
                return


ARCHIVE_HEADERS = ("Type", "Name", "SIS id", "Connect id")


def _csv_safe(value: str) -> str:
    return "'" + value if value and value[0] in RISKY_FIRST else value


def export_archives(source: ArchiveSource, path: Path, cancel: Any = None) -> int:
    """Write the whole list to CSV or XLSX (by `path`'s suffix); text cells only. Returns rows.

    Written like the reports: complete or not at all, readable by the owner only; a full,
    read-only or vanished folder raises a `FolderError` (a `ReportError`) with a plain message.
    """
    rows = 0
    with atomic_path(path, overwrite=True) as tmp:  # the save dialog already asked about overwriting
        if path.suffix.lower() == ".csv":
            with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(ARCHIVE_HEADERS)
                for item in source.iter_all():
                    if cancel is not None and cancel.is_set():
                        raise InterruptedError
                    writer.writerow(
                        [
                            _csv_safe(v)
                            for v in (NOUN.get(item.type, item.type), item.label, item.source_id, item.id)
                        ]
                    )
                    rows += 1
        else:
            wb = new_workbook()
            try:
                ws = wb.create_sheet("Tried to archive")
                text = text_converter(ws)
                with spooling():
                    ws.append(list(ARCHIVE_HEADERS))
                for item in source.iter_all():
                    if cancel is not None and cancel.is_set():
                        raise InterruptedError
                    values = (NOUN.get(item.type, item.type), item.label, item.source_id, item.id)
                    with spooling():
                        ws.append([text(v) for v in values])
                    rows += 1
                save_workbook(wb, tmp)
            except BaseException:
                discard_workbook(wb)
                raise
    return rows


def approve_run(service: AccountService) -> sync_calls.RunResult:
    """Run the sync once with archives allowed (not an outbox operation), then pull."""
    with service.client() as client:
        result = sync_calls.run_sync(client, approve_archives=True)
    service.pull()
    return result


# -- the settings change ----------------------------------------------------------------------
def settings_change(
    settings: SyncSettingsRow,
    thresholds: dict[str, float],
    pauses: list[dict[str, Any]],
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
    if _norm(pauses) != _norm(settings.pauses):
        params["pauses"] = pauses
    if daily_sync != settings.daily_sync:
        params["daily_sync"] = daily_sync
    return params


def _norm(pauses: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    return [(str(p.get("portion") or "all"), p.get("from") or None, p.get("until") or None) for p in pauses]


def settings_operation(settings: SyncSettingsRow, params: dict[str, Any]) -> PlannedOperation:
    return PlannedOperation(
        OperationKind.UPDATE_SYNC_SETTINGS, EntityType.SYNC_SETTINGS, settings.id, params, STEP
    )


# -- the offline rollover preview ------------------------------------------------------------
class PreviewSession:
    """A rollover preview over the cache, held open for paging.

    The preview's snapshot is a SQLite database bound to the thread that opened it, so
    every use (opening, paging, closing) runs on one private thread; callers (pool
    threads) wait for it.
    """

    def __init__(self, service: AccountService, package: Path, today: dt.date) -> None:
        self.package = package
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollover-preview")
        self._connection: Any = None
        try:
            self.preview: RolloverPreview = self._thread.submit(self._open, service, package, today).result()
        except BaseException:
            self._thread.submit(self._close_connection).result()
            self._thread.shutdown()
            raise

    def _open(self, service: AccountService, package: Path, today: dt.date) -> RolloverPreview:
        self._connection = service.cache.engine.connect()
        return preview_rollover(self._connection, package, today=today)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def types(self) -> dict[str, TypePreview]:
        return self.preview.types

    def changes(self, type_: str, kind: str, offset: int, limit: int) -> list[Change]:
        return self._thread.submit(self.preview.changes, type_, kind, offset, limit).result()  # type: ignore[arg-type]

    def close(self) -> None:
        def close_all() -> None:
            self.preview.close()
            self._close_connection()

        self._thread.submit(close_all).result()
        self._thread.shutdown()


def change_label(change: Change) -> str:
    f = change.fields
    for keys in (("last_name", "first_name"), ("family_name", "given_name")):
        if f.get(keys[0]) or f.get(keys[1]):
            return ", ".join(str(f.get(k) or "") for k in keys).strip(", ")
    for key in ("name", "title", "email"):
        if f.get(key):
            return str(f[key])
    return change.source_id


def change_detail(change: Change) -> str:
    if change.changes:
        return "; ".join(
            f"{k}: {old or '–'} → {new or '–'}" for k, (old, new) in sorted(change.changes.items())
        )
    shown = [
        f"{k}: {v}"
        for k, v in change.fields.items()
        if v not in (None, "") and k not in ("first_name", "last_name")
    ]
    return "; ".join(shown[:6])


class PreviewChangesSource:
    """A `PageSource` over one type's creates, updates or archives of a preview."""

    def __init__(self, session: PreviewSession, type_: str, kind: str, total: int) -> None:
        self._session = session
        self.type = type_
        self.kind = kind
        self._total = total

    def count(self) -> int:
        return self._total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return [
            (c.source_id, change_label(c), c.source_id, change_detail(c))
            for c in self._session.changes(self.type, self.kind, offset, limit)
        ]

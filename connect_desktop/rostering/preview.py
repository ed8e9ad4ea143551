"""The offline rollover preview: what the server's next sync of a package would do.

It runs the engine the server runs — the same reader, the same extraction of the
sync-managed records (`rostering.current`) and the same planner — over the desktop
cache instead of the server's database, so the preview and the run cannot disagree
as long as the cache is up to date with the server.

What it plans against, decided deliberately: the cache **as downloaded** (the server's
records at the last pull), not the view with the pending year-end operations applied.
The preview answers "what would a sync do if it ran now"; staged, unsent changes are
not on the server yet, and none of them changes a sync-managed record's source
identity. Once they are sent and pulled, a new preview reflects them (an archived
synced classroom that is still in the export would then show as an update that
unarchives it). The thresholds and pauses are the account's sync settings as pulled;
pass `settings` to preview with other ones (say, the threshold about to be set).

The preview is only meaningful for a cache that holds the whole district (a district
admin's): a school-scoped cache lacks the other schools' records, which would all
look like creates. `RolloverPreview.scoped` says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, String, column, inspect, select, table

from connect_desktop.api.schema import SyncTypePreview
from connect_desktop.rostering.current import load_plan_settings
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.follow_on import plan_sync
from connect_desktop.rostering.plan import (
    Change,
    ChangeKind,
    PlanSettings,
    RolloverPlan,
    TypePlan,
)
from connect_desktop.rostering.validate import ValidationReport, read_snapshot

__all__ = ["RolloverPreview", "TypePreview", "preview_rollover", "type_preview"]


TypePreview = SyncTypePreview
"""What the run would do to one entity type: the wire's shape, so the desktop's offline
preview, the server's preview and a run's recorded plan are read the same way."""


def type_preview(plan: TypePlan) -> TypePreview:
    """One type's plan in the shared shape (`archive_percent` rounded to 2 places)."""
    return TypePreview(
        create=plan.creates,
        update=plan.updates,
        archive=plan.archives,
        unchanged=plan.unchanged,
        managed=plan.managed,
        threshold=plan.threshold,
        archive_percent=round(plan.archive_percent, 2),
        paused=plan.paused,
        in_source=plan.in_source,
        held=plan.held,
        moved_with_parent=plan.moved_with_parent,
        removed_with_parent=plan.removed_with_parent,
    )


@dataclass(slots=True)
class RolloverPreview:
    """The validation report and, when the package is usable, the plan.

    Holds the package's snapshot open for paging through the changes: use it as a
    context manager (or call `close`).
    """

    validation: ValidationReport
    plan: RolloverPlan | None
    scoped: bool = False

    @property
    def ok(self) -> bool:
        """The package could be read without errors, so there is a plan."""
        return self.plan is not None

    @property
    def held(self) -> bool:
        return self.plan is not None and self.plan.held

    @property
    def held_types(self) -> list[str]:
        return self.plan.held_types if self.plan is not None else []

    @property
    def types(self) -> dict[str, TypePreview]:
        if self.plan is None:
            return {}
        return {t: type_preview(p) for t, p in self.plan.types.items()}

    def changes(self, type_: str, kind: ChangeKind, offset: int = 0, limit: int = 100) -> list[Change]:
        """One page of a type's creates, updates or archives (source_id order)."""
        return self.plan.changes(type_, kind, offset, limit) if self.plan is not None else []

    def iter_changes(self, type_: str, kind: ChangeKind) -> Iterator[Change]:
        if self.plan is not None:
            yield from self.plan.iter_changes(type_, kind)

    def close(self) -> None:
        if self.plan is not None:
            self.plan.snapshot.close()

    def __enter__(self) -> RolloverPreview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def preview_rollover(
    cache_connection: Connection,
    package_path: str | Path,
    *,
    today: dt.date,
    settings: PlanSettings | None = None,
    work_dir: str | Path | None = None,
) -> RolloverPreview:
    """Validate the package and plan its sync against the cache's sync-managed records.

    With errors in the package there is no plan (`ok` False); the diagnostics say why.
    Raises the engine's `SourceError` for a file that cannot be read at all.
    """
    diags = Diagnostics()
    snapshot = read_snapshot(package_path, diags, work_dir=work_dir)
    try:
        report = ValidationReport(
            str(package_path),
            snapshot.version,
            diags.errors,
            diags.warnings,
            diags.items,
            diags.suppressed,
            snapshot.counts(),
            diags.tallies,
        )
        if diags.errors:
            snapshot.close()
            return RolloverPreview(report, None, _scoped(cache_connection))
        settings = settings or load_plan_settings(cache_connection)
        plan = plan_sync(snapshot, cache_connection, settings, today=today)
    except BaseException:
        snapshot.close()
        raise
    return RolloverPreview(report, plan, _scoped(cache_connection))


def _scoped(connection: Connection) -> bool:
    """True when the cache belongs to someone who sees only some schools."""
    if not inspect(connection).has_table("account"):
        return False  # not a signed-in cache (tests, scripts)
    account = table("account", column("role", String))
    role = connection.execute(select(account.c.role).limit(1)).scalar()
    return role is not None and role != "district_admin"

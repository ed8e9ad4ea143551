"""The sync-history sheet, whose count columns follow the types found in the runs."""

from __future__ import annotations

from dataclasses import dataclass

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import SYNC_PORTIONS
from connect_desktop.reports import labels
from connect_desktop.reports.cells import Kind
from connect_desktop.reports.context import ReportContext
from connect_desktop.reports.sheets import SheetPlan
from connect_desktop.reports.source import CacheReader
from connect_desktop.reports.workbook import Column

TYPE_ORDER: tuple[str, ...] = SYNC_PORTIONS + tuple(e.value for e in EntityType)
MEASURE_ORDER = ("created", "updated", "archived", "tried_to_archive", "would_archive")
MEASURE_LABEL = {"tried_to_archive": "tried to archive", "would_archive": "tried to archive"}

_LEADING = (
    Column("Started", Kind.DATETIME), Column("Finished", Kind.DATETIME), Column("Status", width=24),
    Column("Trigger"), Column("Archives approved", Kind.FLAG, width=10),
)  # fmt: skip
_TRAILING = (Column("Message", width=60), Column("Run ID", Kind.ID))


def _order(key: str, order: tuple[str, ...]) -> tuple[int, str]:
    return (order.index(key) if key in order else len(order), key)


@dataclass(frozen=True)
class SyncRunsSheet:
    """One row per sync run, newest first, with created/updated/archived/… per type."""

    name: str = "Sync runs"
    title: str = "Sync history"
    outbox: bool = False

    def count(self, reader: CacheReader, ctx: ReportContext) -> int:
        return int(reader.scalar("SELECT COUNT(*) FROM sync_run") or 0)

    def plan(self, reader: CacheReader, ctx: ReportContext) -> SheetPlan:
        # counts only: a type's `planned` (the run's plan, an object) is not a column
        pairs = reader.rows(
            """SELECT DISTINCT t.key, m.key FROM sync_run r, json_each(r.counts) t, json_each(t.value) m
               WHERE json_valid(r.counts) AND t.type = 'object' AND m.type = 'integer'"""
        )
        pairs.sort(key=lambda p: (_order(p[0], TYPE_ORDER), _order(p[1], MEASURE_ORDER)))
        params: dict[str, object] = {}
        selects: list[str] = []
        count_columns: list[Column] = []
        for i, (type_key, measure) in enumerate(pairs):
            params[f"p{i}"] = f'$."{_json_key(type_key)}"."{_json_key(measure)}"'
            selects.append(f"json_extract(r.counts, :p{i})")
            type_label = labels.ENTITY_PLURAL.get(type_key, labels.humanise(type_key).capitalize())
            measure_label = MEASURE_LABEL.get(measure, labels.humanise(measure))
            count_columns.append(Column(f"{type_label} {measure_label}", Kind.INT, width=11))
        counts_sql = "".join(f", {s}" for s in selects)
        sql = f"""
SELECT r.started_at, r.finished_at, {labels.case("r.status", labels.SYNC_STATUS)},
       {labels.case("r.trigger", labels.TRIGGER)}, r.approved_archives{counts_sql},
       r.message, r.id
FROM sync_run r
ORDER BY r.started_at DESC, r.id
"""
        return SheetPlan((*_LEADING, *count_columns, *_TRAILING), sql, params)


def _json_key(key: str) -> str:
    return key.replace("\\", "\\\\").replace('"', '\\"')

"""Sync history as each user may read it: the one place runs, archive lists and previews are narrowed.

Routes take `ScopedSync` (a dependency that answers teachers with 403) and never read
`sync_run`, `sync_run_archive` or a preview themselves; the changes feed encodes
`sync_run` records with `run_reading`. District admins get everything as stored. A
school admin gets, for their schools only (see `syncing.schools` for which school a
record counts in):

- a run's `counts`, summed over their schools, without schools and terms (district
  level); none for runs recorded before the server kept counts per school; never the
  run's `planned` numbers (the district's, behind its threshold verdict);
- a run's `message`, rewritten from those counts (the stored one carries district
  numbers and source errors);
- a run's archive list: the items filed under their schools (`scope.archive_visible`);
- a preview counting their schools' records; the verdict (held or not) stays the
  district's, since the threshold is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Select

from connect_desktop.api.schema import SyncArchivePage
from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.snapshot import TYPES
from connect_server.auth import CurrentPrincipal, require_admin
from connect_server.context import ServerContext, get_context
from connect_server.scope import Principal, archive_visible, visible
from connect_server.sync_runner import Preview, preview_sync, run_archives
from connect_server.syncing.messages import run_for_schools
from connect_server.syncing.schools import DISTRICT_TYPES, Counts, sum_for
from connect_server.wire import CODECS

RUN_COUNTS = ("created", "updated", "archived", "tried_to_archive")
SOURCE_FAILED = "The sync source cannot be read as it is; a district admin can see why."
Encoder = Callable[[Any], dict[str, Any]]


def run_data(principal: Principal, data: dict[str, Any], by_school: Counts | None) -> dict[str, Any]:
    """A sync_run record's data as `principal` may read it (`by_school`: the stored split)."""
    if principal.is_district_admin:
        return data
    counts: dict[str, dict[str, int]] = {}
    if data.get("counts") and by_school is not None:
        sums = sum_for(by_school, principal.school_ids)
        counts = {
            t: {name: sums.get(t, {}).get(name, 0) for name in RUN_COUNTS}
            for t in TYPES
            if t not in DISTRICT_TYPES
        }
    message = run_for_schools(
        str(data.get("status")),
        counts if by_school is not None else None,
        bool(data.get("approved_archives")),
        data.get("message"),
    )
    return {**data, "counts": counts, "message": message}


def run_reading(principal: Principal, *, dates_as_text: bool = False) -> tuple[Select[Any], Encoder]:
    """The SELECT of sync_run records and the encoder that narrows each to `principal`."""
    codec = CODECS[EntityType.SYNC_RUN]
    statement = codec.select(dates_as_text=dates_as_text).add_columns(codec.table.c.counts_by_school)
    encode = codec.encoder(dates_as_text=dates_as_text)

    def change(row: Any) -> dict[str, Any]:
        found = encode(tuple(row[:-1]))
        found["data"] = run_data(principal, found["data"], row[-1])
        return found

    return statement, change


class SyncReader:
    """The sync history, archive lists and previews of one admin's request."""

    def __init__(self, principal: Principal, context: ServerContext) -> None:
        self.principal = principal
        self.context = context

    def runs(self, limit: int, run_id: str | None = None) -> list[dict[str, Any]]:
        """Runs newest first (or the one with `run_id`), as changes."""
        statement, encode = run_reading(self.principal)
        table = CODECS[EntityType.SYNC_RUN].table
        condition = visible(self.principal, EntityType.SYNC_RUN)
        if condition is not None:
            statement = statement.where(condition)
        if run_id is not None:
            statement = statement.where(table.c.id == run_id)
        statement = statement.order_by(table.c.started_at.desc(), table.c.seq.desc()).limit(limit)
        with self.context.sessions() as session:
            return [encode(row) for row in session.execute(statement)]

    def run(self, run_id: str) -> dict[str, Any] | None:
        found = self.runs(1, run_id)
        return found[0] if found else None

    def archives(self, run_id: str, type_: str | None, offset: int, limit: int) -> SyncArchivePage | None:
        return run_archives(
            self.context.sessions,
            run_id,
            type_=type_,
            offset=offset,
            limit=limit,
            visible=archive_visible(self.principal),
        )

    def preview(self) -> Preview:
        """A dry run; a school admin's counts their schools, without the source's findings
        (they quote rows of every school)."""
        sessions, clock = self.context.sessions, self.context.clock
        if self.principal.is_district_admin:
            return preview_sync(sessions, clock=clock)
        found = preview_sync(sessions, clock=clock, schools=self.principal.school_ids)
        message = found.message if found.ok else SOURCE_FAILED
        return replace(found, message=message, diagnostics=[])


def sync_reader(
    principal: CurrentPrincipal, context: Annotated[ServerContext, Depends(get_context)]
) -> SyncReader:
    """The request's `SyncReader`; 403 for teachers."""
    require_admin(principal)
    return SyncReader(principal, context)


ScopedSync = Annotated[SyncReader, Depends(sync_reader)]

"""`PageSource`s for the lazy table models: the core's paged reads, shaped into table rows.

Every read goes through `connect_desktop.account.Account` (on the model's worker
threads); these adapters only turn its rows into the tuples a table shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from connect_desktop.account import Account, OpenPlan
from connect_desktop.domain.words import kind_text
from connect_desktop.rollover.plan import Plan
from connect_desktop.store import queries

Row = tuple[Any, ...]
T = TypeVar("T")


class PlanSource:
    """Rows of a year-end plan (`Account.open_plan`), one `to_row(item)` each."""

    def __init__(self, opened: OpenPlan[Any], to_row: Callable[[Any], Row]) -> None:
        self.opened = opened
        self._to_row = to_row

    def plan(self) -> Plan[Any]:
        return self.opened.plan()

    def call(self, work: Callable[[Plan[Any]], T]) -> T:
        """Run `work(plan)` while no other thread uses the plan (see `OpenPlan.call`)."""
        return self.opened.call(work)

    def count(self) -> int:
        return self.opened.count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return [self._to_row(item) for item in self.opened.page(offset, limit)]

    def close(self) -> None:
        self.opened.close()


class ListingSource:
    """Students, staff or classrooms of the cache (effective state), paged by keyset.

    `LazyTableModel` sees `fetch_after` and pages with the previous page's `next_after`
    and `count=False`, so scrolling deep into a million rows costs the same per page.
    `to_row` turns a row dataclass into the table's tuple.
    """

    def __init__(
        self,
        service: Account,
        kind: str,
        flt: queries.ListFilter | None = None,
        to_row: Callable[[Any], Row] = lambda item: tuple(vars(item).values()),
    ) -> None:
        self._service = service
        self._kind = kind
        self._filter = flt if flt is not None else queries.ListFilter()
        self._to_row = to_row

    def count(self) -> int:
        return int(self._service.records(self._kind, self._filter, 0, 0).total or 0)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        """By OFFSET (slow when deep); the model uses `fetch_after` instead."""
        page = self._service.records(self._kind, self._filter, offset, limit, count=False)
        return [self._to_row(item) for item in page.rows]

    def fetch_after(self, after: Sequence[Any] | None, limit: int) -> tuple[list[Row], Any]:
        page = self._service.records(self._kind, self._filter, 0, limit, after=after, count=False)
        return [self._to_row(item) for item in page.rows], page.next_after


class PendingSource:
    """Operations of the outbox in some states (of one step, or only `op_ids`), with target names."""

    def __init__(
        self,
        service: Account,
        states: Iterable[str],
        step: str | None = None,
        op_ids: frozenset[str] | None = None,
        permanent_first: bool = False,
    ) -> None:
        self._service = service
        self._states = tuple(states)
        self._step = step
        self._op_ids = op_ids
        self._permanent_first = permanent_first

    def _page(self, offset: int, limit: int) -> queries.Page[queries.PendingRow]:
        return self._service.pending_page(
            step=self._step,
            states=self._states,
            offset=offset,
            limit=limit,
            op_ids=self._op_ids,
            permanent_first=self._permanent_first,
        )

    def _rows(self) -> Iterator[queries.PendingRow]:
        offset = 0
        while True:
            page = self._page(offset, 1000)
            yield from page.rows
            offset += len(page.rows)
            if not page.rows or offset >= (page.total or 0):
                return

    def count(self) -> int:
        return int(self._page(0, 0).total or 0)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        rows = self._page(offset, limit).rows
        labels = self._service.labels(rows)
        return [
            (
                row.op_id,
                kind_text(row.kind),
                labels.get(row.op_id, row.target_id),
                row.state,
                row.result_message or "",
                row.step,
            )
            for row in rows
        ]

    def op_ids(self) -> list[str]:
        return [op_id for op_id, _state in self.op_states()]

    def op_states(self) -> list[tuple[str, str]]:
        """(op_id, state) of every operation this source lists."""
        return [(row.op_id, row.state) for row in self._rows()]

    def op_kinds(self) -> list[tuple[str, str, str]]:
        """(op_id, state, kind) of every operation this source lists."""
        return [(row.op_id, row.state, row.kind) for row in self._rows()]


class RestorableSource:
    """Sent year-end changes that can still be restored, newest first, with target names."""

    def __init__(self, service: Account) -> None:
        self._service = service

    def count(self) -> int:
        return self._service.undoable_count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        changes = self._service.undoable_page(offset, limit)
        labels = self._service.target_names([(c.target_type, c.target_id) for c in changes])
        return [
            (
                change.op_id,
                kind_text(change.kind),
                labels.get((change.target_type, change.target_id), change.target_id),
                change.step,
                change.sent_at,
                change.batch or "",
            )
            for change in changes
        ]

    def op_ids(self) -> list[str]:
        """Every restorable change's op_id (for "all but these")."""
        found: list[str] = []
        while page := self._service.undoable_page(len(found), 5000):
            found.extend(change.op_id for change in page)
        return found

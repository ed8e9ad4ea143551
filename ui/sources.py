"""`PageSource`s over the core's paged reads: year-end plans and the outbox.

Both are called on worker threads only (by `LazyTableModel`), and serialise their use
of the one connection they hold with a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from connect_desktop.rollover.plan import Plan, PlannedOperation
from connect_desktop.store import queries
from ui.backend import AccountService

Row = tuple[Any, ...]
T = TypeVar("T")


def selection_ids(all_selected: bool, keys: frozenset[str]) -> tuple[frozenset[str] | None, frozenset[str]]:
    """A table selection as the planners take it: `(selected_ids, excluded_ids)`."""
    return (None, keys) if all_selected else (keys, frozenset())


class PlanSource:
    """Rows of a year-end plan; `make_plan(connection)` builds it on first use."""

    def __init__(
        self,
        service: AccountService,
        make_plan: Callable[[Any], Plan[Any]],
        to_row: Callable[[Any], Row],
    ) -> None:
        self._service = service
        self._make_plan = make_plan
        self._to_row = to_row
        self._lock = threading.Lock()
        self._connection: Any = None
        self._plan: Plan[Any] | None = None

    def _ensure(self) -> Plan[Any]:
        if self._plan is None:
            self._connection = self._service.cache.engine.connect()
            self._plan = self._make_plan(self._connection)
        return self._plan

    def plan(self) -> Plan[Any]:
        with self._lock:
            return self._ensure()

    def count(self) -> int:
        with self._lock:
            return self._ensure().count

    def fetch(self, offset: int, limit: int) -> list[Row]:
        with self._lock:
            return [self._to_row(item) for item in self._ensure().page(offset, limit)]

    def operations(
        self, all_selected: bool, keys: frozenset[str], confirmation: str | None = None
    ) -> list[PlannedOperation]:
        """The operations for the selection: all but `keys`, or only `keys`.

        A permanent plan raises `ConfirmationError` unless `confirmation` is its phrase.
        """
        with self._lock:
            plan = self._ensure()
            selected, excluded = selection_ids(all_selected, keys)
            return list(plan.to_operations(selected, excluded, confirmation=confirmation))

    def call(self, work: Callable[[Plan[Any]], T]) -> T:
        """Run `work(plan)` with the plan's connection to itself (consequences, details)."""
        with self._lock:
            return work(self._ensure())

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._plan = None


_LISTINGS: dict[str, Callable[..., queries.Page[Any]]] = {
    "student": queries.list_students,
    "staff": queries.list_staff,
    "classroom": queries.list_classrooms,
}


class ListingSource:
    """Students, staff or classrooms of the cache (effective state), paged by keyset.

    `LazyTableModel` sees `fetch_after` and pages with the previous page's `next_after`
    and `count=False`, so scrolling deep into a million rows costs the same per page.
    `to_row` turns a row dataclass into the table's tuple.
    """

    def __init__(
        self,
        service: AccountService,
        kind: str,
        flt: queries.ListFilter | None = None,
        to_row: Callable[[Any], Row] = lambda item: tuple(vars(item).values()),
    ) -> None:
        self._service = service
        self._list = _LISTINGS[kind]
        self._filter = flt if flt is not None else queries.ListFilter()
        self._to_row = to_row

    def count(self) -> int:
        with self._service.cache.sessions() as db:
            total = self._list(db, self._filter, 0, 0).total
        return int(total or 0)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        """By OFFSET (slow when deep); the model uses `fetch_after` instead."""
        with self._service.cache.sessions() as db:
            page = self._list(db, self._filter, offset, limit, count=False)
        return [self._to_row(item) for item in page.rows]

    def fetch_after(self, after: Sequence[Any] | None, limit: int) -> tuple[list[Row], Any]:
        with self._service.cache.sessions() as db:
            page = self._list(db, self._filter, 0, limit, after=after, count=False)
        return [self._to_row(item) for item in page.rows], page.next_after


class PendingSource:
    """Operations of the outbox in some states (of one step, if given), with target names."""

    def __init__(
        self,
        service: AccountService,
        states: Sequence[str],
        step: str | None = None,
        op_ids: frozenset[str] | None = None,
    ) -> None:
        self._service = service
        self._states = tuple(states)
        self._step = step
        self._op_ids = op_ids

    def _page(self, offset: int, limit: int) -> queries.Page[queries.PendingRow]:
        with self._service.cache.sessions() as db:
            return queries.list_pending(db, step=self._step, states=self._states, offset=offset, limit=limit)

    def _rows(self) -> Iterator[queries.PendingRow]:
        offset = 0
        while True:
            page = self._page(offset, 1000)
            yield from page.rows
            offset += len(page.rows)
            if not page.rows or offset >= page.total:
                return

    def count(self) -> int:
        if self._op_ids is not None:
            return sum(1 for row in self._rows() if row.op_id in self._op_ids)
        return self._page(0, 0).total

    def fetch(self, offset: int, limit: int) -> list[Row]:
        if self._op_ids is not None:
            rows = [row for row in self._rows() if row.op_id in self._op_ids][offset : offset + limit]
        else:
            rows = self._page(offset, limit).rows
        labels = self._service.labels(rows)
        return [
            (
                row.op_id,
                describe_kind(row.kind),
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
        wanted = self._op_ids
        return [(row.op_id, row.state) for row in self._rows() if wanted is None or row.op_id in wanted]


class RestorableSource:
    """Sent year-end changes that can still be restored, newest first, with target names."""

    def __init__(self, service: AccountService) -> None:
        self._service = service

    def count(self) -> int:
        return self._service.undoable_count()

    def fetch(self, offset: int, limit: int) -> list[Row]:
        changes = self._service.undoable_page(offset, limit)
        labels = self._service.target_names([(c.target_type, c.target_id) for c in changes])
        return [
            (
                change.op_id,
                describe_kind(change.kind),
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


KIND_TEXT = {
    "archive_classroom": "Archive classroom",
    "unarchive_classroom": "Unarchive classroom",
    "revoke_staff_access": "Remove staff access",
    "restore_staff_access": "Restore staff access",
    "archive_student": "Archive student",
    "unarchive_student": "Unarchive student",
    "delete_student": "Delete student (permanent)",
    "update_sync_settings": "Change sync settings",
}


def describe_kind(kind: str) -> str:
    return KIND_TEXT.get(kind, kind.replace("_", " ").capitalize())

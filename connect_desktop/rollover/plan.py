"""What every year-end plan shares: operations, selections, skipped records, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Select, func, select

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import TARGET_TYPE, OperationKind
from connect_desktop.domain.words import noun
from connect_desktop.errors import KnownError
from connect_desktop.rollover.selection_sql import id_set
from connect_desktop.yearend.steps import Step


class PlannedOperation(NamedTuple):
    """One change to hand to the outbox; nothing is written until it is staged."""

    kind: OperationKind
    target_type: EntityType
    target_id: str
    params: dict[str, Any]
    step: str


def operation(kind: OperationKind, target_id: str, step: str, **params: Any) -> PlannedOperation:
    """Build an operation whose target type is the one `kind` requires."""
    return PlannedOperation(kind, TARGET_TYPE[kind], target_id, dict(params), step)


@dataclass(frozen=True)
class Skipped:
    """Records a plan deliberately leaves alone, with the reason shown to the user."""

    count: int
    reason: str


class PlanItem(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def reason(self) -> str: ...


ItemT = TypeVar("ItemT", bound=PlanItem)


@dataclass(frozen=True, slots=True)
class PlanFilter:
    """Narrowing shared by all planners; a field a planner has no use for is ignored."""

    school_id: str | None = None
    grade: str | None = None
    term_id: str | None = None
    search: str | None = None

    def like(self) -> str | None:
        """The search text as a case-insensitive LIKE pattern (with `\\` as escape)."""
        text = (self.search or "").strip()
        if not text:
            return None
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which plan items the user kept: all of them, or `only` these, minus `excluded`."""

    only: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()

    @classmethod
    def of(cls, selected_ids: Iterable[str] | None = None, excluded_ids: Iterable[str] = ()) -> Selection:
        only = None if selected_ids is None else frozenset(selected_ids)
        return cls(only, frozenset(excluded_ids))

    @classmethod
    def from_checks(cls, all_checked: bool, keys: Iterable[str]) -> Selection:
        """A table's check marks: every item but `keys` (after "select all"), or only `keys`."""
        return cls(None, frozenset(keys)) if all_checked else cls(frozenset(keys))


class PlanError(KnownError):
    """A plan cannot be made or used as asked; the message is for the user."""


class ConfirmationError(PlanError):
    """A permanent change was asked for without typing the exact confirmation phrase."""

    def __init__(self, expected: str) -> None:
        super().__init__(f'This cannot be undone. To go ahead, type exactly: "{expected}"')
        self.expected = expected


@dataclass(frozen=True, eq=False)
class Plan(Generic[ItemT]):
    """A reviewable list of proposed changes, read lazily from the cache.

    `query` selects the item columns with the record id first, in display order;
    `make_item` turns a row into an item (a small named tuple). Each kept item becomes
    one operation of `kind`. Rows are streamed from the cache, so a plan of a million
    students costs one row at a time. The connection must stay open while the plan is used.
    """

    step: Step
    kind: OperationKind
    count: int
    connection: Connection = field(repr=False)
    query: Select[Any] = field(repr=False)
    make_item: Callable[[Any], ItemT] = field(repr=False)
    skipped: tuple[Skipped, ...] = ()
    description: str = ""
    permanent_noun: str | None = None
    """Set for plans whose operations cannot be undone (e.g. "STUDENTS" for deletions)."""

    def items(self) -> Iterator[ItemT]:
        """Every item, in display order."""
        result = self.connection.execute(self.query)
        try:
            for row in result:
                yield self.make_item(row)
        finally:
            result.close()

    def page(self, offset: int, limit: int) -> list[ItemT]:
        """One page of items, in display order (for lazy table models)."""
        rows = self.connection.execute(self.query.offset(offset).limit(limit))
        return [self.make_item(row) for row in rows]

    def ids(self, selection: Selection | None = None) -> Iterator[str]:
        """The ids of the items `selection` keeps (default: all), unordered; cheaper than `items`."""
        result = self.connection.execute(self.id_query(selection or Selection()))
        try:
            for (item_id,) in result:
                yield item_id
        finally:
            result.close()

    def selected_count(self, selection: Selection) -> int:
        """How many plan items `selection` keeps (ids not in the plan are ignored)."""
        if selection.only is None and not selection.excluded:
            return self.count
        return count_of(self.connection, self.id_query(selection))

    def confirmation_phrase(
        self, selected_ids: Iterable[str] | None = None, excluded_ids: Iterable[str] = ()
    ) -> str | None:
        """What the user must type to send a permanent plan, e.g. "DELETE 12 STUDENTS"."""
        if self.permanent_noun is None:
            return None
        count = self.selected_count(Selection.of(selected_ids, excluded_ids))
        return f"DELETE {count} {noun(TARGET_TYPE[self.kind], count).upper()}"  # "DELETE 1 STUDENT"

    def to_operations(
        self,
        selected_ids: Iterable[str] | None = None,
        excluded_ids: Iterable[str] = (),
        *,
        confirmation: str | None = None,
    ) -> Iterator[PlannedOperation]:
        """The operations for the items the selection keeps (unordered).

        A permanent plan raises `ConfirmationError` unless `confirmation` is exactly
        its `confirmation_phrase` for this selection; nothing is produced before that.
        """
        selection = Selection.of(selected_ids, excluded_ids)
        self.check_confirmation(selection, confirmation)
        return (operation(self.kind, item_id, self.step) for item_id in self.ids(selection))

    def check_confirmation(self, selection: Selection, confirmation: str | None) -> None:
        """Raise `ConfirmationError` when this plan is permanent and `confirmation` is not
        exactly its phrase for `selection` (a plan that can be undone needs none)."""
        if self.permanent_noun is None:
            return
        expected = self.confirmation_phrase(selection.only, selection.excluded)
        if confirmation != expected:
            raise ConfirmationError(str(expected))

    def id_query(self, selection: Selection) -> Select[Any]:
        """SELECT the ids of the items `selection` keeps (unordered), for use inside SQL."""
        id_column = self.query.selected_columns[0]
        query = self.query.order_by(None).with_only_columns(id_column)
        if selection.only is not None:
            query = query.where(id_column.in_(id_set(selection.only)))
        if selection.excluded:
            query = query.where(id_column.not_in(id_set(selection.excluded)))
        return query


def count_of(connection: Connection, query: Select[Any]) -> int:
    """How many rows `query` returns."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return int(connection.execute(counted).scalar_one())

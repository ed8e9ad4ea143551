"""A year-end plan kept open on a connection of its own, read bit by bit from worker threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from connect_desktop.rollover.plan import Plan
from connect_desktop.store.db import Cache

ItemT = TypeVar("ItemT")
T = TypeVar("T")


class OpenPlan(Generic[ItemT]):
    """`make_plan(connection)` builds the plan on first use; every use holds one lock.

    A plan streams its rows from the connection it was made on, so the connection stays
    open (and used by one thread at a time) until `close()`.
    """

    def __init__(self, cache: Cache, make_plan: Callable[[Connection], Plan[Any]]) -> None:
        self._cache = cache
        self._make_plan = make_plan
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._plan: Plan[Any] | None = None

    def _ensure(self) -> Plan[Any]:
        if self._plan is None:
            self._connection = self._cache.engine.connect()
            self._plan = self._make_plan(self._connection)
        return self._plan

    def plan(self) -> Plan[Any]:
        """The plan (made now if it was not yet)."""
        with self._lock:
            return self._ensure()

    def count(self) -> int:
        with self._lock:
            return self._ensure().count

    def page(self, offset: int, limit: int) -> list[ItemT]:
        """One page of items, in display order."""
        with self._lock:
            return self._ensure().page(offset, limit)

    def call(self, work: Callable[[Plan[Any]], T]) -> T:
        """Run `work(plan)` while no other thread uses the plan (consequences, staging)."""
        with self._lock:
            return work(self._ensure())

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._plan = None

"""`ListingSource` over a real cache: keyset pages equal OFFSET pages, and never count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex

from connect_desktop.account import Account
from connect_desktop.store import queries
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.store.writer import apply_changes
from ui.models.lazy_table import Column, KeysetPageSource, LazyTableModel
from ui.sources import ListingSource
from ui.tasks import ImmediatePool, TaskRunner


def _student(n: int) -> dict[str, Any]:
    data = {
        "school_id": "sch-1",
        "student_number": f"N{n:04d}",
        "first_name": f"Kid{n % 7}",
        "last_name": f"Last{n % 13:02d}",
        "birth_date": "2015-01-02",
        "grade": "3",
        "status": "active",
        "withdrawn_on": None,
        "source_id": None,
        "origin": "manual",
    }
    return {"seq": 0, "type": "student", "id": f"stu-{n:04d}", "version": 1, "deleted": False, "data": data}


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        with cache.raw() as connection:
            apply_changes(connection, [_student(n) for n in range(257)])
            connection.commit()
        yield cache


class RecordingAccount(Account):
    """The real account service over `cache`, noting how each page was asked for."""

    def __init__(self, cache: Cache) -> None:
        super().__init__(None, None, cache)  # type: ignore[arg-type]  # no server needed
        self.calls: list[dict[str, Any]] = []

    def records(self, *args: Any, **kwargs: Any) -> queries.Page[Any]:
        self.calls.append(kwargs)
        return super().records(*args, **kwargs)


def test_keyset_pages_match_offset_pages(cache: Cache) -> None:
    account = RecordingAccount(cache)
    calls = account.calls
    source = ListingSource(account, "student", to_row=lambda s: (s.id, s.last_name))
    assert isinstance(source, KeysetPageSource)
    model = LazyTableModel((Column("Name", 1),), TaskRunner(ImmediatePool()), page_size=50)
    model.set_source(source)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.total == 257 and model.rowCount() == 257
    with cache.sessions() as db:
        expected = [s.id for s in queries.list_records(db, "student", limit=1000).rows]
    assert [model.key(r) for r in range(model.rowCount())] == expected
    pages = [c for c in calls if "after" in c]
    assert len(pages) == 6  # 5 full pages and an empty one
    assert pages[0]["after"] is None and all(c["after"] is not None for c in pages[1:])
    assert all(c["count"] is False for c in pages)

"""The lazy table model, without any widget: rows, fetchMore, counts, selection."""

from __future__ import annotations

import threading

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from ui.models.lazy_table import Column, LazyTableModel, ListSource
from ui.tasks import ImmediatePool, TaskRunner

COLUMNS = (Column("Name", 1), Column("Number", 2, lambda n: f"#{n}"))


class CountingSource(ListSource):
    def __init__(self, total: int) -> None:
        super().__init__([(f"id{i}", f"name {i}", i) for i in range(total)])
        self.fetches: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def fetch(self, offset: int, limit: int) -> list[tuple[object, ...]]:
        self.fetches.append((offset, limit))
        self.threads.add(threading.get_ident())
        return super().fetch(offset, limit)


def make(total: int, page_size: int = 10, checkable: bool = False) -> tuple[LazyTableModel, CountingSource]:
    model = LazyTableModel(COLUMNS, TaskRunner(ImmediatePool()), page_size=page_size, checkable=checkable)
    source = CountingSource(total)
    model.set_source(source)
    return model, source


def test_first_page_and_count() -> None:
    model, source = make(25)
    assert model.total == 25
    assert model.rowCount() == 10
    assert model.columnCount() == 2
    assert model.data(model.index(3, 0)) == "name 3"
    assert model.data(model.index(3, 1)) == "#3"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Number"
    assert source.fetches == [(0, 10)]


def test_fetch_more_until_the_end() -> None:
    model, source = make(25)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 25
    assert source.fetches == [(0, 10), (10, 10), (20, 10)]
    assert not model.canFetchMore(QModelIndex())


def test_empty_source() -> None:
    model, _ = make(0)
    assert model.total == 0
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())


def test_a_million_rows_cost_one_page() -> None:
    model, source = make(1_000_000, page_size=200)
    assert model.total == 1_000_000
    assert model.rowCount() == 200
    assert source.fetches == [(0, 200)]


def test_selection_all_minus_excluded_without_loading() -> None:
    model, _ = make(1_000_000, checkable=True)
    model.select_all(True)
    assert model.selected_count() == 1_000_000
    model.setData(model.index(2, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.selected_count() == 999_999
    assert model.selection() == (True, frozenset({"id2"}))
    assert model.data(model.index(2, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.data(model.index(3, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    model.select_all(False)
    model.set_selected(4, True)
    assert model.selection() == (False, frozenset({"id4"}))


def test_replacing_the_source_resets() -> None:
    model, _ = make(25, checkable=True)
    model.set_selected(0, True)
    model.set_source(CountingSource(3))
    assert model.rowCount() == 3
    assert model.selected_count() == 0


def test_pages_come_from_a_worker_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    model = LazyTableModel(COLUMNS, runner, page_size=10)
    source = CountingSource(25)
    with qtbot.waitSignal(model.pageLoaded, timeout=5000):
        model.set_source(source)
    qtbot.waitUntil(lambda: model.total == 25)
    assert threading.get_ident() not in source.threads
    assert model.rowCount() == 10
    runner.shutdown()


class KeysetSource(CountingSource):
    """Pages by keyset: `fetch_after(last key, limit)`; OFFSET paging must not be used."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.after_calls: list[object] = []

    def fetch(self, offset: int, limit: int) -> list[tuple[object, ...]]:
        raise AssertionError("a keyset source is paged by key, not by offset")

    def fetch_after(self, after: object, limit: int) -> tuple[list[tuple[object, ...]], object]:
        self.after_calls.append(after)
        start = 0 if after is None else next(i for i, r in enumerate(self._rows) if r[2] == after) + 1
        rows = self._rows[start : start + limit]
        return rows, (rows[-1][2] if rows else None)


def test_keyset_source_is_paged_by_the_last_key() -> None:
    model = LazyTableModel(COLUMNS, TaskRunner(ImmediatePool()), page_size=10)
    source = KeysetSource(25)
    model.set_source(source)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 25
    assert source.after_calls == [None, 9, 19]
    assert [model.data(model.index(r, 1)) for r in (0, 10, 24)] == ["#0", "#10", "#24"]
    model.set_source(source)  # a new source (or reload) starts from the first key again
    assert source.after_calls[-1] is None and model.rowCount() == 10


def test_keyset_source_that_runs_dry_before_the_count() -> None:
    model = LazyTableModel(COLUMNS, TaskRunner(ImmediatePool()), page_size=10)
    source = KeysetSource(15)
    source.count = lambda: 40  # type: ignore[method-assign]  # records went away after counting
    model.set_source(source)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 15 and model.total == 15

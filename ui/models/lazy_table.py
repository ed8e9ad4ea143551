"""A lazy table model over any `PageSource`: pages are fetched in the background.

The model never holds more rows than the user scrolled to; it asks the source for the
total once (in the background too) so views can say "200 of 1,000,000". Rows are plain
tuples; `Column` says which tuple element a column shows and how. With `checkable` the
first column carries a check box per row; the selection is kept as "these keys" or
"all except these keys", so selecting a million rows costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ui.tasks import TaskContext, TaskRunner

Row = tuple[Any, ...]
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class PageSource(Protocol):
    """Where the rows come from; both methods are called on a worker thread."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> list[Row]: ...


@runtime_checkable
class KeysetPageSource(Protocol):
    """A `PageSource` that can also page by keyset: fast at any depth (no OFFSET scan).

    `fetch_after(None, limit)` is the first page; each call returns the rows and the key
    to pass for the next page (None when there is no more).
    """

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> list[Row]: ...

    def fetch_after(self, after: Any, limit: int) -> tuple[list[Row], Any]: ...


class ListSource:
    """A `PageSource` over an in-memory list (tests, small tables)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = list(rows)

    def count(self) -> int:
        return len(self._rows)

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return self._rows[offset : offset + limit]


@dataclass(frozen=True)
class Column:
    """One visible column: header text, tuple position, optional text formatter."""

    title: str
    index: int
    format: Callable[[Any], str] | None = None
    align_right: bool = False

    def text(self, value: Any) -> str:
        if self.format is not None:
            return self.format(value)
        return "" if value is None else str(value)


class LazyTableModel(QAbstractTableModel):
    """`canFetchMore`/`fetchMore` over a `PageSource`; one page request in flight at a time."""

    countChanged = Signal(int)  # noqa: N815 (Qt naming)
    pageLoaded = Signal(int)  # noqa: N815 - rows loaded so far
    loadFailed = Signal(object)  # noqa: N815
    selectionChanged = Signal(int)  # noqa: N815 - number of selected rows
    checkEdited = Signal(object, bool)  # noqa: N815 - (key, checked): the user ticked or cleared a box

    def __init__(
        self,
        columns: Sequence[Column],
        runner: TaskRunner,
        *,
        page_size: int = 200,
        key_index: int = 0,
        checkable: bool = False,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._runner = runner
        self._page_size = page_size
        self._key_index = key_index
        self._checkable = checkable
        self._source: PageSource | None = None
        self._rows: list[Row] = []
        self._total: int | None = None
        self._loading = False
        self._generation = 0
        self._after: Any = None
        """The keyset of the last loaded row (keyset sources only)."""
        self._all_selected = False
        self._marked: set[Any] = set()  # selected keys, or excluded keys when all selected

    # --- feeding -------------------------------------------------------------------
    def set_source(self, source: PageSource | None) -> None:
        """Replace the source: drop loaded rows and the selection, count and load page one."""
        self._generation += 1
        self.beginResetModel()
        self._source = source
        self._rows = []
        self._total = None
        self._loading = False
        self._after = None
        self._all_selected = False
        self._marked = set()
        self.endResetModel()
        self.selectionChanged.emit(0)
        if source is None:
            return
        generation = self._generation
        self._runner.run(
            lambda _ctx: source.count(),
            on_success=lambda total: self._counted(generation, total),
            on_failure=self.loadFailed.emit,
            name="count rows",
        )
        self._request_page()

    def reload(self) -> None:
        self.set_source(self._source)

    @property
    def total(self) -> int | None:
        """Rows in the source (None until counted)."""
        return self._total

    @property
    def loaded(self) -> int:
        return len(self._rows)

    @property
    def loading(self) -> bool:
        return self._loading

    def row(self, row: int) -> Row:
        return self._rows[row]

    def key(self, row: int) -> Any:
        return self._rows[row][self._key_index]

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._generation:
            return
        self._total = total
        self.countChanged.emit(total)
        self.selectionChanged.emit(self.selected_count())

    def _request_page(self) -> None:
        if self._source is None or self._loading:
            return
        self._loading = True
        source, generation, offset = self._source, self._generation, len(self._rows)
        limit, after = self._page_size, self._after
        keyset = source if isinstance(source, KeysetPageSource) else None

        def work(_ctx: TaskContext) -> tuple[list[Row], Any]:
            if keyset is not None:  # by keyset: each page costs the same at any depth
                return keyset.fetch_after(after if offset else None, limit)
            return source.fetch(offset, limit), None

        self._runner.run(
            work,
            on_success=lambda page: self._page_arrived(generation, offset, *page),
            on_failure=lambda exc: self._page_failed(generation, exc),
            name="fetch rows",
        )

    def _page_arrived(self, generation: int, offset: int, rows: list[Row], after: Any = None) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._loading = False
        self._after = after
        if rows:
            self.beginInsertRows(_ROOT, offset, offset + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        keyset_done = isinstance(self._source, KeysetPageSource) and after is None
        ran_dry = len(rows) < self._page_size or keyset_done
        if ran_dry and (self._total is None or self._total > len(self._rows)):
            self._total = len(self._rows)  # the source ran dry earlier than counted
            self.countChanged.emit(self._total)
        self.pageLoaded.emit(len(self._rows))

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self.loadFailed.emit(exc)

    # --- Qt model interface --------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: Index = _ROOT) -> bool:  # noqa: N802
        if parent.isValid() or self._source is None or self._loading:
            return False
        return self._total is None or len(self._rows) < self._total

    def fetchMore(self, parent: Index = _ROOT) -> None:  # noqa: N802
        if not parent.isValid():
            self._request_page()

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], self._columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(row[column.index])
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.text(row[column.index]) or None  # the full text of a cut-off cell
        if role == Qt.ItemDataRole.CheckStateRole and self._checkable and index.column() == 0:
            return Qt.CheckState.Checked if self.is_selected(index.row()) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if self._checkable and index.isValid() and index.column() == 0:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not (self._checkable and index.isValid() and role == Qt.ItemDataRole.CheckStateRole):
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        self.set_selected(index.row(), checked)
        self.checkEdited.emit(self.key(index.row()), checked)
        return True

    # --- selection -----------------------------------------------------------------
    def is_selected(self, row: int) -> bool:
        marked = self.key(row) in self._marked
        return not marked if self._all_selected else marked

    def set_selected(self, row: int, selected: bool) -> None:
        key = self.key(row)
        if selected != self._all_selected:
            self._marked.add(key)
        else:
            self._marked.discard(key)
        top_left = self.index(row, 0)
        self.dataChanged.emit(top_left, top_left, [Qt.ItemDataRole.CheckStateRole])
        self.selectionChanged.emit(self.selected_count())

    def select_all(self, selected: bool = True, but: Iterable[Any] = ()) -> None:
        """Select (or clear) every row of the source, loaded or not, except the keys `but`."""
        self._all_selected = selected
        self._marked = set(but)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, 0), [Qt.ItemDataRole.CheckStateRole]
            )
        self.selectionChanged.emit(self.selected_count())

    def selected_count(self) -> int:
        if not self._all_selected:
            return len(self._marked)
        total = self._total if self._total is not None else len(self._rows)
        return max(0, total - len(self._marked))

    def selection(self) -> tuple[bool, frozenset[Any]]:
        """`(all_selected, keys)`: the selected keys, or the excluded ones when all are selected."""
        return self._all_selected, frozenset(self._marked)

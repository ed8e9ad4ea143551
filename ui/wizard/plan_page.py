"""A step page showing a year-end plan: filters, preview table, selection, "Add to my changes".

Subclasses say what to plan in two halves: `plan_params()` reads the filter widgets on
the GUI thread into a plain value, and `build_plan(connection, params)` makes the plan
from it on a worker thread (it must not touch widgets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from connect_desktop.domain.words import changes_text
from connect_desktop.rollover.plan import Plan, PlanError, PlanFilter, Selection
from connect_desktop.store.overview import FilterChoices
from connect_desktop.yearend.steps import StepSpec
from ui.models.lazy_table import Column, LazyTableModel
from ui.sources import PlanSource
from ui.wizard.page import StepPage, WizardContext, label, tab_chain

ALL = ""


def filter_combo(name: str, all_text: str, changed: Callable[[], None]) -> QComboBox:
    """A filter's drop-down: first choice `all_text` (value ALL); `changed` runs on every pick."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMinimumContentsLength(8)
    combo.addItem(all_text, ALL)
    combo.currentIndexChanged.connect(lambda _index: changed())
    return combo


"""The data of an "All …" choice in a filter box."""

MAX_COLUMN_WIDTH = 280
MIN_COLUMN_WIDTH = 70
NAME_COLUMN_WIDTH = 200
REFIT_WIDTH_CHANGE = 120
"""How much wider or narrower (px) the table must get before its columns are fitted again."""
"""Kept for the name column when the other columns are shrunk to fit the view."""
SEARCH_DELAY_MS = 300


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label with a mnemonic that moves the focus to `widget`."""
    caption = QLabel(text)
    caption.setBuddy(widget)
    return caption


def _focusable_in(layout: QLayout) -> list[QWidget]:
    """The controls that take Tab in `layout`, in the order it shows them (a box's own
    controls in the order they were made, which is the order they are laid out in)."""
    found: list[QWidget] = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        widget, inner = item.widget(), item.layout()
        if inner is not None:
            found += _focusable_in(inner)
        elif widget is not None:
            # not a combo box's popup list, which is a window of its own
            found += [
                w
                for w in (widget, *widget.findChildren(QWidget))
                if _takes_tab(w) and w.window() is widget.window()
            ]
    return found


def _takes_tab(widget: QWidget) -> bool:
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.focusProxy() is None


class PlanPage(StepPage):
    """Subclasses give `columns`, `plan_params()`, `build_plan(connection, params)`, `to_row(item)`."""

    columns: Sequence[Column] = ()
    noun = "records"
    stretch_column = 0
    """The visible column that takes the spare width (the name column)."""

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.source: PlanSource | None = None
        self.plan: Plan[Any] | None = None
        self.choices: FilterChoices | None = None
        self._fitted = False
        self._fitted_width = 0
        """The table's width when the columns were last fitted: a much wider or narrower
        table (the window maximised, a smaller screen) fits them again."""
        self.notes = label("", "hint")
        self.notes.setAccessibleName("What this step proposes")
        self.filter_row = QHBoxLayout()
        self.options_row = QHBoxLayout()
        self.model = LazyTableModel(self.columns, context.runner, checkable=True, page_size=200, parent=self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in the table
        self.table.setModel(self.model)
        self.table.setAccessibleName(f"{spec.title}: records that would change")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.model.pageLoaded.connect(self._fit_columns)
        self.table.viewport().installEventFilter(self)
        self.count = label("", "hint")
        self.count.setAccessibleName("How many are selected")
        self.select_all = QPushButton("Select &all")
        self.select_all.setAccessibleName("Select all")
        self.select_none = QPushButton("Select n&one")
        self.select_none.setAccessibleName("Select none")
        self.add = QPushButton("Add to &my changes")
        self.add.setObjectName("primary")
        self.add.setAccessibleName("Add to my changes")
        self.add.setEnabled(False)
        self.select_all.clicked.connect(lambda: self.model.select_all(True))
        self.select_none.clicked.connect(lambda: self.model.select_all(False))
        self.add.clicked.connect(self.stage_selection)
        self.model.selectionChanged.connect(self._update_count)
        self.model.countChanged.connect(self._update_count)
        self.model.loadFailed.connect(self._load_failed)
        self.feedback = label("", "hint")
        self.feedback.setAccessibleName("What happened")
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.select_all)
        self.buttons.addWidget(self.select_none)
        self.buttons.addWidget(self.count, 1)
        self.buttons.addWidget(self.add)
        self.body.addLayout(self.filter_row)
        self.body.addLayout(self.options_row)
        self.body.addWidget(self.notes)
        self.body.addWidget(self.table, 1)
        self.body.addLayout(self.buttons)
        self.body.addWidget(self.feedback)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.school: QComboBox | None = None
        self.grade: QComboBox | None = None
        self.search: QLineEdit | None = None
        self._tabs_ordered = False

    # -- filter widgets shared by the steps ----------------------------------------------
    def add_school_filter(self, mnemonic_text: str = "&School:") -> QComboBox:
        self.school = self._combo("School filter", "All schools")
        self.filter_row.addWidget(buddy(mnemonic_text, self.school))
        self.filter_row.addWidget(self.school, 1)
        return self.school

    def add_grade_filter(self, mnemonic_text: str = "&Grade:") -> QComboBox:
        self.grade = self._combo("Grade filter", "All grades")
        self.filter_row.addWidget(buddy(mnemonic_text, self.grade))
        self.filter_row.addWidget(self.grade)
        return self.grade

    def add_search(self, placeholder: str, mnemonic_text: str = "Sea&rch:") -> QLineEdit:
        self.search = QLineEdit()
        self.search.setPlaceholderText(placeholder)
        self.search.setAccessibleName("Search")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.filter_row.addWidget(buddy(mnemonic_text, self.search))
        self.filter_row.addWidget(self.search, 1)
        return self.search

    def _combo(self, name: str, all_text: str) -> QComboBox:
        return filter_combo(name, all_text, self.reload)

    def _search_now(self) -> None:
        self._search_timer.stop()
        self.reload()

    def plan_filter(self) -> PlanFilter:
        """The school, grade and search boxes as the planners take them (GUI thread)."""

        def value(combo: QComboBox | None) -> str | None:
            return (combo.currentData() or None) if combo is not None else None

        text = self.search.text().strip() if self.search is not None else ""
        return PlanFilter(school_id=value(self.school), grade=value(self.grade), search=text or None)

    def load_choices(self) -> None:
        """Fill the filter boxes (once per page, in the background)."""
        if self.choices is not None:
            return
        service = self.context.service

        def done(choices: FilterChoices) -> None:
            self.choices = choices
            self.choices_loaded(choices)

        self.context.runner.op(lambda _ctx: service.filter_choices(), name="filter choices").success(
            done
        ).exclusive(self).run()

    def choices_loaded(self, choices: FilterChoices) -> None:
        """Fill the boxes; subclasses fill their own too (signals blocked: no reload per item)."""
        if self.school is not None:
            fill(self.school, choices.schools)
        if self.grade is not None:
            fill(self.grade, [(g, "Kindergarten" if g == "K" else f"Grade {g}") for g in choices.grades])

    # -- the plan ----------------------------------------------------------------------
    def plan_params(self) -> Any:
        """The filters as a plain value (GUI thread); None when there is nothing to plan yet."""
        return self.plan_filter()

    def build_plan(self, connection: Any, params: Any) -> Plan[Any]:
        """Make the plan from `params` (worker thread: no widgets here)."""
        raise NotImplementedError

    def to_row(self, item: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def initialize_page(self) -> None:
        super().initialize_page()
        self.load_choices()
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._tabs_ordered:  # once shown: the step's own filters and options are in place
            self._tabs_ordered = True
            self.order_tabs()

    def order_tabs(self) -> None:
        """Tab runs as the page reads: the filters, the options (each box in turn), the
        table, then Select all, Select none and Add, whatever order they were built in."""
        chain = [
            *_focusable_in(self.filter_row),
            *_focusable_in(self.options_row),
            self.table,
            *_focusable_in(self.buttons),
        ]
        tab_chain(chain)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.table.viewport()
            and event.type() == QEvent.Type.Resize
            and self._fitted
            and abs(self.table.viewport().width() - self._fitted_width) > REFIT_WIDTH_CHANGE
        ):
            self._fitted = False
            self._fit_columns(self.model.loaded)
        return super().eventFilter(watched, event)

    def reload(self) -> None:
        """Plan again with the current filters (in the background) and show the preview."""
        self._search_timer.stop()
        if self.source is not None:
            old = self.source
            self.context.runner.run(lambda _ctx: old.close(), name="close plan")
        self.source = None
        self.plan = None
        self._fitted = False
        self.feedback.setText("")
        params = self.plan_params()
        if params is None:
            self.model.set_source(None)
            self._update_count()
            return
        build = self.build_plan
        opened = self.context.service.open_plan(lambda connection: build(connection, params))
        source = PlanSource(opened, self.to_row)
        self.source = source
        self.notes.setText("Looking for records to change…")
        self.context.runner.run(
            lambda _ctx: source.plan(),
            on_success=lambda plan: self._plan_ready(source, plan),
            on_failure=self._plan_failed,
            name="make plan",
        )
        self.model.set_source(source)

    def _plan_ready(self, source: PlanSource, plan: Plan[Any]) -> None:
        if source is not self.source:
            return
        self.plan = plan
        notes = [plan.description] + [skipped.reason for skipped in plan.skipped]
        self.notes.setText(" ".join(n for n in notes if n))
        self.plan_changed(plan)

    def plan_changed(self, plan: Plan[Any]) -> None:
        """A new plan is on screen (subclasses update what depends on it)."""

    def _plan_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PlanError):
            self.notes.setText(str(exc))
        else:
            self.context.reporter.report(exc)

    def _load_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, PlanError):  # a PlanError is shown by _plan_failed already
            self.context.reporter.report(exc)

    def _update_count(self, *_args: object) -> None:
        total = self.model.total
        selected = self.model.selected_count() if self.source is not None else 0
        shown = "…" if total is None else f"{total:,}"
        self.count.setText(f"{selected:,} of {shown} {self.noun} selected")
        self.add.setEnabled(selected > 0)

    # -- staging -----------------------------------------------------------------------
    def stage_selection(self) -> None:
        """Stage the selected rows' operations (in the background), then refresh."""
        self.stage_with(None)

    def stage_with(self, confirmation: str | None, on_done: Callable[[int], None] | None = None) -> None:
        """Stage the selection (in one transaction, streamed from the plan's SQL); a permanent
        plan refuses (in the core) without `confirmation`."""
        source = self.source
        if source is None or self.model.selected_count() == 0:
            return
        selection = Selection.from_checks(*self.model.selection())
        service = self.context.service
        self.add.setEnabled(False)
        self.feedback.setText("Adding to your changes…")

        def stage(plan: Plan[Any]) -> int:
            return service.stage_plan(plan, selection, confirmation=confirmation)

        self.context.runner.op(lambda _ctx: source.call(stage), name="stage").success(
            on_done or self._staged
        ).failure(self._stage_failed).exclusive(self).run()

    def _staged(self, count: int) -> None:
        self.feedback.setText(
            f"{changes_text(count)} added to your list. "
            "Nothing is sent until you review and send them (step 7)."
        )
        self.context.bridge.info(f"{changes_text(count)} added to your list")
        feedback = self.feedback.text()
        self.reload()  # staged records leave the preview ("already staged" note)
        self.feedback.setText(feedback)
        self.context.outbox_changed()

    def _stage_failed(self, exc: BaseException) -> None:
        self._update_count()
        if isinstance(exc, PlanError):
            self.feedback.setText(str(exc))
            return
        self.feedback.setText("")
        self.context.reporter.report(exc)

    # -- layout ------------------------------------------------------------------------
    def _fit_columns(self, _loaded: int) -> None:
        """Once per plan: numbers fit, text columns fit their text (capped, shrunk to fit the
        view when needed), and the name column stretches over what is left."""
        if self._fitted or self.model.loaded == 0:
            return
        self._fitted = True
        self._fitted_width = self.table.viewport().width()
        header = self.table.horizontalHeader()
        text_columns: list[int] = []
        fixed = 0
        for column, spec in enumerate(self.columns):
            if column == self.stretch_column:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
                continue
            self.table.resizeColumnToContents(column)
            if spec.align_right:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
                fixed += header.sectionSize(column)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, min(header.sectionSize(column), MAX_COLUMN_WIDTH))
                text_columns.append(column)
        room = self.table.viewport().width() - fixed - NAME_COLUMN_WIDTH
        wanted = sum(header.sectionSize(column) for column in text_columns)
        if text_columns and wanted > room > 0:
            scale = room / wanted
            for column in text_columns:
                smallest = max(MIN_COLUMN_WIDTH, header.sectionSizeFromContents(column).width())
                header.resizeSection(column, max(smallest, int(header.sectionSize(column) * scale)))


def fill(combo: QComboBox, items: Sequence[tuple[Any, str]]) -> None:
    """Replace a filter box's choices after its first ("All …") item, keeping the current one."""
    current = combo.currentData()
    combo.blockSignals(True)
    try:
        while combo.count() > 1:
            combo.removeItem(1)
        for data, text in items:
            combo.addItem(text, data)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
    finally:
        combo.blockSignals(False)
    if combo.currentData() != current:
        combo.currentIndexChanged.emit(combo.currentIndex())


__all__ = ["ALL", "PlanPage", "buddy", "fill"]

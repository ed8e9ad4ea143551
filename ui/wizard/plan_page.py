"""A step page showing a year-end plan: preview table, selection, "Add to my changes"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView

from connect_desktop.rollover.plan import Plan
from ui.models.lazy_table import Column, LazyTableModel
from ui.sources import PlanSource
from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.registry import StepSpec


class PlanPage(StepPage):
    """Subclasses give `columns`, `make_plan(connection)` and `to_row(item)`."""

    columns: Sequence[Column] = ()
    noun = "records"

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.source: PlanSource | None = None
        self.notes = label("", "hint")
        self.model = LazyTableModel(self.columns, context.runner, checkable=True, page_size=200, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(f"{spec.title}: records that would change")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.model.pageLoaded.connect(self._fit_columns)
        self.count = label("", "hint")
        self.count.setAccessibleName("How many are selected")
        self.select_all = QPushButton("Select &all")
        self.select_all.setAccessibleName("Select all")
        self.select_none = QPushButton("Select &none")
        self.select_none.setAccessibleName("Select none")
        self.add = QPushButton("A&dd to my changes")
        self.add.setObjectName("primary")
        self.add.setAccessibleName("Add to my changes")
        self.add.setEnabled(False)
        self.select_all.clicked.connect(lambda: self.model.select_all(True))
        self.select_none.clicked.connect(lambda: self.model.select_all(False))
        self.add.clicked.connect(self.stage_selection)
        self.model.selectionChanged.connect(self._update_count)
        self.model.countChanged.connect(self._update_count)
        self.model.loadFailed.connect(context.reporter.report)
        self.feedback = label("", "hint")
        self.feedback.setAccessibleName("What happened")
        buttons = QHBoxLayout()
        buttons.addWidget(self.select_all)
        buttons.addWidget(self.select_none)
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.add)
        self.body.addWidget(self.notes)
        self.body.addWidget(self.table, 1)
        self.body.addLayout(buttons)
        self.body.addWidget(self.feedback)

    def make_plan(self, connection: Any) -> Plan[Any]:
        raise NotImplementedError

    def to_row(self, item: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def initialize_page(self) -> None:
        super().initialize_page()
        self.reload()

    def reload(self) -> None:
        if self.source is not None:
            old = self.source
            self.context.runner.run(lambda _ctx: old.close(), name="close plan")
        self.source = PlanSource(self.context.service, self.make_plan, self.to_row)
        source = self.source
        self.context.runner.run(lambda _ctx: source.plan(), on_success=self._plan_ready, name="make plan")
        self.model.set_source(source)

    def _plan_ready(self, plan: Plan[Any]) -> None:
        notes = [plan.description] + [skipped.reason for skipped in plan.skipped]
        self.notes.setText(" ".join(n for n in notes if n))

    def _update_count(self, *_args: object) -> None:
        total = self.model.total
        selected = self.model.selected_count()
        shown = "…" if total is None else f"{total:,}"
        self.count.setText(f"{selected:,} of {shown} {self.noun} selected")
        self.add.setEnabled(selected > 0)

    def stage_selection(self) -> None:
        """Stage the selected rows' operations (in the background), then refresh."""
        source = self.source
        if source is None:
            return
        all_selected, keys = self.model.selection()
        service = self.context.service
        self.add.setEnabled(False)
        self.feedback.setText("Adding to your changes…")
        self.context.runner.run(
            lambda _ctx: service.stage(source.operations(all_selected, keys)),
            on_success=self._staged,
            on_failure=self._stage_failed,
            name="stage",
        )

    def _staged(self, count: int) -> None:
        self.feedback.setText(
            f"{count:,} change{'s' if count != 1 else ''} added to your list. "
            "Nothing is sent until you review and send them (step 7)."
        )
        self.context.bridge.info(f"{count:,} changes added to your list")
        self.model.select_all(False)
        self.context.outbox_changed()

    def _stage_failed(self, exc: BaseException) -> None:
        self.feedback.setText("")
        self._update_count()
        self.context.reporter.report(exc)

    def _fit_columns(self, loaded: int) -> None:
        """Size the columns to the first page's text (capped), once per source."""
        if loaded <= 200:
            self.table.resizeColumnsToContents()
            header = self.table.horizontalHeader()
            for column in range(self.model.columnCount() - 1):
                header.resizeSection(column, min(header.sectionSize(column), 320))

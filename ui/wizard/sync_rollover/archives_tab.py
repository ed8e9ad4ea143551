"""Tab 2, Tried to archive: what the selected run archived or, when held, tried to archive,
paged in from the server, and saved as CSV or Excel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.words import noun
from connect_desktop.rostering.snapshot import TYPES
from connect_desktop.store.sync_history import SyncRunRow
from connect_desktop.syncadmin.archives import ArchiveSource, export_archives
from connect_desktop.syncadmin.explain import HELD
from connect_desktop.syncadmin.text import long_date
from ui.dialog_dirs import start_dir
from ui.models.lazy_table import Column, LazyTableModel
from ui.tasks import TaskContext
from ui.wizard.page import WizardContext, label
from ui.wizard.plan_page import buddy
from ui.wizard.sync_rollover.tab import RolloverTab
from ui.wizard.sync_rollover.widgets import table_view


class ArchivesTab(RolloverTab):
    """Lists the archive list of the run the history tab selected (`show_run`)."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.selected_run: SyncRunRow | None = None
        self.for_schools = False
        self.archive_source: ArchiveSource | None = None
        layout = QVBoxLayout(self)
        self.archive_title = label("Select a run in the history.")
        self.archive_type = QComboBox()
        self.archive_type.setAccessibleName("Type of record")
        self.archive_type.addItem("All types", None)
        for type_ in TYPES:
            self.archive_type.addItem(noun(type_).capitalize(), type_)
        self.archive_type.currentIndexChanged.connect(lambda _i: self.list_run())
        self.archive_model = LazyTableModel(
            (Column("Name", 1), Column("Type", 2), Column("SIS id", 3), Column("Connect id", 0)),
            context.runner,
            page_size=200,
            parent=self,
        )
        self.archive_table = table_view("What the run tried to archive")
        self.archive_table.setModel(self.archive_model)
        self.archive_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.archive_table.setColumnWidth(0, 260)
        self.archive_table.setColumnWidth(1, 140)
        self.archive_table.setColumnWidth(2, 200)
        self.archive_model.countChanged.connect(self._archive_counted)
        self.archive_model.loadFailed.connect(context.reporter.report)
        self.export_csv = QPushButton("Sav&e as CSV…")
        self.export_xlsx = QPushButton("Save as E&xcel…")
        self.export_csv.clicked.connect(lambda: self.choose_export("csv"))
        self.export_xlsx.clicked.connect(lambda: self.choose_export("xlsx"))
        self.export_feedback = label("", "hint")
        self.export_feedback.setAccessibleName("Saved list")
        top = QHBoxLayout()
        top.addWidget(buddy("Sho&w:", self.archive_type))
        top.addWidget(self.archive_type)
        top.addStretch(1)
        top.addWidget(self.export_csv)
        top.addWidget(self.export_xlsx)
        layout.addWidget(self.archive_title)
        layout.addLayout(top)
        layout.addWidget(self.archive_table, 1)
        layout.addWidget(self.export_feedback)

    def release(self) -> None:
        self.archive_source = None
        self.archive_model.set_source(None)

    def show_run(self, run: SyncRunRow | None, for_schools: bool) -> None:
        """List what `run` archived or tried to (`for_schools`: a school admin's part of it)."""
        self.selected_run = run
        self.for_schools = for_schools
        self.list_run()

    def list_run(self) -> None:
        """(Re)load the selected run's list for the type chosen."""
        run = self.selected_run
        has_list = run is not None and bool(run.total("tried_to_archive") or run.total("archived"))
        self.export_csv.setEnabled(has_list)
        self.export_xlsx.setEnabled(has_list)
        if run is None or not has_list:
            self.archive_source = None
            self.archive_model.set_source(None)
            self.archive_title.setText(
                "This run archived nothing and tried to archive nothing." if run else ""
            )
            return
        what = "tried to archive (nothing of it was archived)" if run.status == HELD else "archived"
        where = " in your schools" if self.for_schools else ""
        self.archive_title.setText(f"What the sync on {long_date(run.started_at)} {what}{where}.")
        source = ArchiveSource(self.context.service, run.id, self.archive_type.currentData())
        self.archive_source = source
        self.archive_model.set_source(source)

    def _archive_counted(self, total: int) -> None:
        if self.selected_run is not None:
            base = self.archive_title.text().split(" — ")[0]
            self.archive_title.setText(f"{base} — {total:,} records")

    def choose_export(self, fmt: str) -> None:
        if self.selected_run is None:
            return
        name = f"Tried to archive - {self.selected_run.started_at:%Y-%m-%d}.{fmt}"
        pattern = "CSV (*.csv)" if fmt == "csv" else "Excel workbook (*.xlsx)"
        path, _ = QFileDialog.getSaveFileName(self, "Save the list", start_dir(file_name=name), pattern)
        if path:
            self.export_archives_to(Path(path))

    def export_archives_to(self, path: Path) -> None:
        source = self.archive_source
        if source is None:
            return
        self.export_feedback.setText("Saving the list…")

        def work(ctx: TaskContext) -> int:
            return export_archives(source, path, ctx.token)

        self.context.runner.op(work, name="export archives").success(
            lambda rows: self.export_feedback.setText(f"Saved {rows:,} rows to {path}.")
        ).failure(self._export_failed).run()

    def _export_failed(self, exc: BaseException) -> None:
        self.export_feedback.setText("")
        self.context.reporter.report(exc)

"""Tab 4, Rollover preview: a new export read and planned against the cache, per type, with
the records behind each count."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.words import counted, follow_on_more, follow_on_text, noun
from connect_desktop.rostering.diagnostics import SourceError
from connect_desktop.rostering.plan import ChangeKind
from connect_desktop.rostering.preview import TypePreview
from connect_desktop.syncadmin.preview import PreviewChangesSource, PreviewSession
from ui.dialog_dirs import start_dir
from ui.models.lazy_table import Column, LazyTableModel
from ui.wizard.page import WizardContext, label
from ui.wizard.sync_rollover.tab import RolloverTab
from ui.wizard.sync_rollover.widgets import table_view

KINDS: tuple[ChangeKind, ...] = ("create", "update", "archive")
KIND_TITLE = {"create": "Create", "update": "Update", "archive": "Archive"}


class PreviewTab(RolloverTab):
    """Holds the preview open (`session`) while the page lives, for paging through its changes."""

    types_changed = Signal(object)
    """The previewed per-type numbers (a dict of `TypePreview`; empty when there is no plan)."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.session: PreviewSession | None = None
        self.preview_types: dict[str, TypePreview] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(
            label(
                "Check the new school year's export before your sync reads it: the preview runs the same "
                "sync engine as Connect, on this computer, against the data you downloaded. Nothing is "
                "changed. Supported: OneRoster CSV (a .zip file or a folder).",
                "hint",
            )
        )
        self.choose_zip = QPushButton("Choose an export &file…")
        self.choose_dir = QPushButton("Choose an export f&older…")
        self.choose_zip.clicked.connect(self._choose_zip)
        self.choose_dir.clicked.connect(self._choose_dir)
        self.preview_status = label("", "hint")
        self.preview_status.setAccessibleName("Preview status")
        row = QHBoxLayout()
        row.addWidget(self.choose_zip)
        row.addWidget(self.choose_dir)
        row.addStretch(1)
        self.problems = QTableWidget(0, 4)
        self.problems.setTabKeyNavigation(False)
        self.problems.setAccessibleName("Problems in the export")
        self.problems.setHorizontalHeaderLabels(["File", "Row", "Column", "Problem"])
        self.problems.verticalHeader().hide()
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.hide()
        self.counts = QTableWidget(0, 8)
        self.counts.setTabKeyNavigation(False)
        self.counts.setAccessibleName("What the next sync would do, per type")
        self.counts.setHorizontalHeaderLabels(
            ["Type", "Create", "Update", "Archive", "Synced now", "Archive %", "Threshold", "Result"]
        )
        self.counts.verticalHeader().hide()
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.counts.horizontalHeader().setStretchLastSection(True)
        self.counts.currentCellChanged.connect(lambda row, column, _r, _c: self.show_changes(row, column))
        self.counts.hide()
        self.follow_on = label("", "hint")
        self.follow_on.setAccessibleName("What the sync also changes")
        self.follow_on.hide()
        self.changes_title = label("", "sectionTitle")
        self.changes_model = LazyTableModel(
            (Column("Name", 1), Column("SIS id", 2), Column("Details", 3)), context.runner, parent=self
        )
        self.changes_model.loadFailed.connect(context.reporter.report)
        self.changes_table = table_view("The records behind the selected count")
        self.changes_table.setModel(self.changes_model)
        self.changes_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.changes_table.setColumnWidth(0, 240)
        self.changes_table.setColumnWidth(1, 160)
        self.changes_table.hide()
        layout.addLayout(row)
        layout.addWidget(self.preview_status)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.counts, 1)
        layout.addWidget(self.follow_on)
        layout.addWidget(self.changes_title)
        layout.addWidget(self.changes_table, 1)

    def _choose_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The new year's export", start_dir(), "Zip files (*.zip)")
        if path:
            self.preview_package(Path(path))

    def _choose_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "The new year's export folder", start_dir())
        if path:
            self.preview_package(Path(path))

    def preview_package(self, path: Path) -> None:
        """Run the rollover preview of `path` over the cache (background)."""
        self._close_session()
        account, today = self.context.service, self.context.today()
        self.preview_status.setText(f"Reading {path.name} and comparing it with your data…")
        self.problems.hide()
        self.counts.hide()
        self.follow_on.hide()
        self.changes_table.hide()
        self.changes_title.setText("")
        self.choose_zip.setEnabled(False)
        self.choose_dir.setEnabled(False)
        self.context.runner.op(
            lambda _ctx: PreviewSession(account, path, today), name="rollover preview"
        ).success(self._preview_ready).failure(self._preview_failed).always(self._preview_ended).run()

    def _preview_ended(self) -> None:
        self.choose_zip.setEnabled(True)
        self.choose_dir.setEnabled(True)

    def _preview_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SourceError | OSError):
            self.preview_status.setText(f"This export cannot be read: {exc}")
            return
        self.preview_status.setText("")
        self.context.reporter.report(exc)

    def _set_types(self, types: dict[str, TypePreview]) -> None:
        self.preview_types = types
        self.types_changed.emit(types)

    def _preview_ready(self, session: PreviewSession) -> None:
        self.session = session
        report = session.preview.validation
        if not session.preview.ok:
            errors = [d for d in report.diagnostics if d.severity == "error"]
            self.preview_status.setText(
                f"{session.package.name} has {report.errors:,} error{'s' if report.errors != 1 else ''}: "
                "the sync would stop without changing anything. Fix them in your SIS and export again."
            )
            self.problems.setRowCount(len(errors))
            for row, d in enumerate(errors):
                for column, value in enumerate((d.file or "", d.row or "", d.column or "", d.message)):
                    self.problems.setItem(row, column, QTableWidgetItem(str(value)))
            self.problems.resizeColumnsToContents()
            self.problems.show()
            self._set_types({})
            return
        types = session.types
        held = session.preview.held_types
        scoped = (
            " (your account sees only some schools, so this preview is incomplete)"
            if session.preview.scoped
            else ""
        )
        if held:
            nouns = ", ".join(noun(t) for t in held)
            self.preview_status.setText(
                f"{session.package.name}: the next sync would be HELD at the threshold for {nouns}: "
                f"creates and updates would apply, nothing would be archived.{scoped}"
            )
        else:
            self.preview_status.setText(f"{session.package.name}: the next sync would run through.{scoped}")
        self.counts.setRowCount(len(types))
        for row, (type_, p) in enumerate(types.items()):
            values = (
                noun(type_).capitalize(),
                f"{p.create:,}",
                _with_follow_on(p.update, p.moved_with_parent),
                _with_follow_on(p.archive, p.removed_with_parent),
                f"{p.managed:,}",
                f"{p.archive_percent:.1f}%",
                f"{p.threshold:g}%",
                "Paused" if p.paused else ("Held" if p.held else "OK"),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, type_)
                if 1 <= column <= 6:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if 1 <= column <= 3:
                    item.setToolTip("Select to see these records")
                self.counts.setItem(row, column, item)
        self.counts.show()
        moved = {t: p.moved_with_parent for t, p in types.items()}
        removed = {t: p.removed_with_parent for t, p in types.items()}
        self.follow_on.setText(follow_on_text(moved, removed))
        self.follow_on.setVisible(bool(self.follow_on.text()))
        self.changes_title.setText("Select a Create, Update or Archive count to see the records behind it.")
        self._set_types(types)

    def show_changes(self, row: int, column: int) -> None:
        if self.session is None or row < 0 or not 1 <= column <= 3:
            return
        item = self.counts.item(row, 0)
        if item is None:
            return
        type_ = item.data(Qt.ItemDataRole.UserRole)
        kind = KINDS[column - 1]
        p = self.preview_types[type_]
        total = {"create": p.create, "update": p.update, "archive": p.archive}[kind]
        more = {"update": p.moved_with_parent, "archive": p.removed_with_parent}.get(kind, 0)
        listed = " listed below" if more else ""
        title = f"{KIND_TITLE[kind]}: {counted(type_, total)}{listed}{follow_on_more(kind, type_, more)}"
        self.changes_title.setText(title)
        self.changes_model.set_source(PreviewChangesSource(self.session, type_, kind, total))
        self.changes_table.show()

    def _close_session(self) -> None:
        """Close the open preview in the background (a new one is being made)."""
        if self.session is not None:
            old, self.session = self.session, None
            self.changes_model.set_source(None)
            self.context.runner.op(lambda _ctx: old.close(), name="close preview").run()

    def release(self) -> None:
        """Close the preview on its own thread before the window goes away."""
        if self.session is not None:
            old, self.session = self.session, None
            self.changes_model.set_source(None)
            old.close()


def _with_follow_on(listed: int, more: int) -> str:
    """A count cell: the listed records, plus those the run writes along with them ("0 + 114")."""
    return f"{listed:,} + {more:,}" if more else f"{listed:,}"

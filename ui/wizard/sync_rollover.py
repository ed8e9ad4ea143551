"""Step 2, Sync rollover: sync status and history, held runs explained and approved once,
deletion thresholds and pauses (staged), and the offline rollover preview of a new export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.operations import SYNC_PORTIONS
from connect_desktop.rostering.preview import TypePreview
from connect_desktop.rostering.snapshot import PORTION_TYPES, TYPES
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from ui import sync_service as svc
from ui.dialog_dirs import start_dir
from ui.models.lazy_table import Column, LazyTableModel
from ui.tasks import TaskContext
from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.plan_page import buddy
from ui.wizard.registry import StepSpec

NO_DATE = QDate(2000, 1, 1)
"""The minimum of a pause's date boxes, shown as "No date"."""
STATUS_TEXT = {
    "succeeded": "Finished",
    "failed_threshold": "Held: nothing archived",
    "skipped_paused": "Skipped (paused)",
    "failed": "Failed",
    "running": "Running",
}
KIND_TITLE = {"create": "Create", "update": "Update", "archive": "Archive"}


def _table_view(name: str) -> QTableView:
    table = QTableView()
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


class DateBox(QDateEdit):
    """A date with a "No date" choice (the minimum)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(NO_DATE)
        self.setSpecialValueText("No date")
        self.setDate(NO_DATE)

    def value(self) -> str | None:
        day = self.date()
        return None if day == NO_DATE else day.toString("yyyy-MM-dd")

    def set_value(self, value: str | None) -> None:
        self.setDate(QDate.fromString(value, "yyyy-MM-dd") if value else NO_DATE)


class SyncRolloverPage(StepPage):
    explanation = (
        "Your SIS sync rolls your data over when your SIS (Clever, ClassLink or OneRoster) rolls over. "
        "A sync never deletes: records that left the SIS are archived. When one run would archive more "
        "than the deletion threshold, it is held: creates and updates still apply, nothing is archived. "
        "Here you see what happened, approve a held run once, set thresholds, pause the sync, and "
        "preview the new year's export before it goes live."
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.status_data: svc.SyncStatus | None = None
        self.settings: SyncSettingsRow | None = None
        self.selected_run: SyncRunRow | None = None
        self.explanation_of: svc.RunExplanation | None = None
        self.confirm_box: QMessageBox | None = None
        self.preview: svc.PreviewSession | None = None
        self.preview_types: dict[str, TypePreview] = {}
        self._loading = False
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Sync rollover sections")
        self.tabs.addTab(self._history_tab(), "&Status and history")
        self.tabs.addTab(self._archives_tab(), "&Tried to archive")
        self.tabs.addTab(self._settings_tab(), "Threshold and &pause")
        self.tabs.addTab(self._preview_tab(), "Rollover pre&view")
        self.body.addWidget(self.tabs, 1)

    # == tab 1: status and history =============================================================
    def _history_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.status_text = label("Reading the sync history…")
        self.status_text.setAccessibleName("Sync status")
        self.status_text.setTextFormat(Qt.TextFormat.RichText)
        self.run_box = QWidget()
        self.run_box.setObjectName("card")
        run_layout = QVBoxLayout(self.run_box)
        self.run_title = label("", "sectionTitle")
        self.run_text = label("")
        self.run_text.setAccessibleName("What happened in this run")
        self.run_text.setTextFormat(Qt.TextFormat.RichText)
        self.approve = QPushButton("&Approve this run once…")
        self.approve.setObjectName("primary")
        self.approve.setAccessibleName("Approve this run once")
        self.approve.clicked.connect(self.ask_approve)
        self.show_tried = QPushButton("See what it &tried to archive")
        self.show_tried.clicked.connect(lambda: self.tabs.setCurrentIndex(1))
        self.approve_feedback = label("", "hint")
        self.approve_feedback.setAccessibleName("Approval result")
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_tried)
        buttons.addWidget(self.approve)
        buttons.addWidget(self.approve_feedback, 1)
        run_layout.addWidget(self.run_title)
        run_layout.addWidget(self.run_text)
        run_layout.addLayout(buttons)
        self.runs = QTreeWidget()
        self.runs.setAccessibleName("Sync runs, newest first")
        self.runs.setHeaderLabels(
            ["Started", "Result", "Created", "Updated", "Archived", "Tried to archive", ""]
        )
        self.runs.setRootIsDecorated(False)
        self.runs.setUniformRowHeights(True)
        header = self.runs.header()
        for column in range(6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.runs.currentItemChanged.connect(self._run_selected)
        layout.addWidget(self.status_text)
        layout.addWidget(self.run_box)
        layout.addWidget(label("History", "sectionTitle"))
        layout.addWidget(self.runs, 1)
        return tab

    def initialize_page(self) -> None:
        super().initialize_page()
        self.reload()

    def reload(self) -> None:
        """Read the history and settings from the cache (in the background)."""
        if self._loading:
            return
        self._loading = True
        service = self.context.service

        def done(status: svc.SyncStatus) -> None:
            self._loading = False
            self.show_status(status)

        def failed(exc: BaseException) -> None:
            self._loading = False
            self.context.reporter.report(exc)

        self.context.runner.run(
            lambda _ctx: svc.load_status(service), on_success=done, on_failure=failed, name="sync status"
        )

    def show_status(self, status: svc.SyncStatus) -> None:
        self.status_data = status
        self.settings = status.settings
        today = self.context.today()
        settings = status.settings
        lines = []
        if settings is not None and (settings.source_kind or settings.source_label):
            source = " – ".join(p for p in (settings.source_kind, settings.source_label) if p)
            lines.append(f"<b>Source:</b> {source}")
        if settings is not None:
            lines.append(
                "<b>Daily sync:</b> "
                + ("on" if settings.daily_sync else "off (runs only when started by hand)")
            )
            pauses = svc.active_pauses(settings, today)
            lines.append(
                "<b>Paused now:</b> "
                + ("; ".join(svc.describe_pause(p) for p in pauses) if pauses else "nothing")
            )
            if settings.staged:
                lines.append(
                    "<i>Settings changes are waiting in your list (step 7); they apply once sent.</i>"
                )
        if not status.runs:
            lines.append("No sync run recorded yet.")
        if status.schools is not None:
            lines.insert(0, f"<b>{svc.scope_note(status.schools)}</b>")
        self.status_text.setText("<br>".join(lines))
        self.runs.clear()
        for run in status.runs:
            item = QTreeWidgetItem(
                [
                    _when(run.started_at),
                    STATUS_TEXT.get(run.status, run.status),
                    f"{run.total('created'):,}",
                    f"{run.total('updated'):,}",
                    f"{run.total('archived'):,}",
                    f"{run.total('tried_to_archive'):,}",
                    "approved once" if run.approved_archives else "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            for column in range(2, 6):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.runs.addTopLevelItem(item)
        self.runs.setCurrentItem(self.runs.topLevelItem(0)) if status.runs else self._show_run(None)
        self.load_settings_editor(settings)

    def _run_selected(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        runs = self.status_data.runs if self.status_data else []
        run_id = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        self._show_run(next((r for r in runs if r.id == run_id), None))

    @property
    def latest_run(self) -> SyncRunRow | None:
        return self.status_data.runs[0] if self.status_data and self.status_data.runs else None

    @property
    def for_schools(self) -> bool:
        """True for a school admin: the server sends their schools' counts and list items only."""
        return self.status_data is not None and self.status_data.schools is not None

    def _show_run(self, run: SyncRunRow | None) -> None:
        self.selected_run = run
        self.run_box.setVisible(run is not None)
        if run is None:
            self.explanation_of = None
            self._set_archive_run(None)
            return
        explanation = svc.explain_run(run, self.settings, self.for_schools)
        self.explanation_of = explanation
        held = run.status == svc.HELD
        self.run_title.setText(explanation.headline)
        self.run_title.setObjectName("heldTitle" if held else "sectionTitle")
        what = f"<p>{explanation.what_happened}</p>"
        if held and explanation.held:
            items = "".join(f"<li>{svc.describe_held(h)}</li>" for h in explanation.held)
            it = "In your schools, it" if self.for_schools else "It"
            what = f"<p>{it} wanted to archive:</p><ul>{items}</ul>"
        parts = [what, f"<p><b>{explanation.archived}</b></p>"]
        if held:
            parts.append(f"<p><b>Will the next run be held too?</b> {explanation.next_run}</p>")
            parts.append(f"<p><b>Who was told?</b> {explanation.told}</p>")
            parts.append(f"<p>{explanation.what_to_do}</p>")
        elif run.message:
            parts.append(f"<p>Connect's note: {run.message}</p>")
        self.run_text.setText("".join(parts))
        can_approve = held and run is self.latest_run and not self.for_schools  # district admins only
        self.approve.setVisible(can_approve)
        self.approve.setEnabled(can_approve)
        self.show_tried.setVisible(bool(run.total("tried_to_archive") or run.total("archived")))
        self._set_archive_run(run)

    # -- approve once ----------------------------------------------------------------------
    def ask_approve(self) -> None:
        run = self.selected_run
        if run is None or run.status != svc.HELD:
            return
        held = svc.held_types(run)
        listed = ", ".join(f"{h.tried:,} {svc.NOUN.get(h.type, h.type)}" for h in held) or "the records"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Approve this run once")
        box.setText(f"Run the sync now and let it archive {listed}?")
        box.setInformativeText(
            "The sync runs once more with archiving allowed for this one run. Archived records keep "
            "their history and can be unarchived. Your thresholds stay as they are: a later run that "
            "wants to archive this many again is held again."
        )
        go = box.addButton("&Approve and run once", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is go:
                self.approve_once()
            box.deleteLater()

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def approve_once(self) -> None:
        """POST /sync/runs {"approve_archives": true}, then pull (background)."""
        service = self.context.service
        self.approve.setEnabled(False)
        self.approve_feedback.setText("Running the sync with archives approved…")

        def done(result: Any) -> None:
            status = STATUS_TEXT.get(result.status, result.status)
            self.approve_feedback.setText(
                f"Done: {status}. {result.message} Your thresholds were not changed."
            )
            self.context.bridge.info("The sync ran with archives approved once")
            self.reload()
            self.context.outbox_changed()

        def failed(exc: BaseException) -> None:
            self.approve_feedback.setText("")
            self.approve.setEnabled(True)
            self.context.reporter.report(exc)

        self.context.runner.run(
            lambda _ctx: svc.approve_run(service), on_success=done, on_failure=failed, name="approve run"
        )

    # == tab 2: tried to archive ===============================================================
    def _archives_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.archive_title = label("Select a run in the history.")
        self.archive_type = QComboBox()
        self.archive_type.setAccessibleName("Type of record")
        self.archive_type.addItem("All types", None)
        for type_ in TYPES:
            self.archive_type.addItem(svc.NOUN[type_].capitalize(), type_)
        self.archive_type.currentIndexChanged.connect(lambda _i: self._set_archive_run(self.selected_run))
        self.archive_model = LazyTableModel(
            (Column("Name", 1), Column("Type", 2), Column("SIS id", 3), Column("Connect id", 0)),
            self.context.runner,
            page_size=200,
            parent=self,
        )
        self.archive_table = _table_view("What the run tried to archive")
        self.archive_table.setModel(self.archive_model)
        self.archive_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.archive_table.setColumnWidth(0, 260)
        self.archive_table.setColumnWidth(1, 140)
        self.archive_table.setColumnWidth(2, 200)
        self.archive_model.countChanged.connect(self._archive_counted)
        self.archive_model.loadFailed.connect(self.context.reporter.report)
        self.export_csv = QPushButton("Save as &CSV…")
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
        self.archive_source: svc.ArchiveSource | None = None
        return tab

    def _set_archive_run(self, run: SyncRunRow | None) -> None:
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
        held = run.status == svc.HELD
        what = "tried to archive (nothing of it was archived)" if held else "archived"
        where = " in your schools" if self.for_schools else ""
        self.archive_title.setText(f"What the sync on {svc.long_date(run.started_at)} {what}{where}.")
        source = svc.ArchiveSource(self.context.service, run.id, self.archive_type.currentData())
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
            return svc.export_archives(source, path, ctx.token)

        self.context.runner.run(
            work,
            on_success=lambda rows: self.export_feedback.setText(f"Saved {rows:,} rows to {path}."),
            on_failure=self._export_failed,
            name="export archives",
        )

    def _export_failed(self, exc: BaseException) -> None:
        self.export_feedback.setText("")
        self.context.reporter.report(exc)

    # == tab 3: thresholds and pauses ==========================================================
    def _settings_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(
            label(
                "Deletion threshold: the most a single run may archive of each part, as a percentage of its "
                "synced records. A run that would archive more is held (creates and updates still apply). "
                "The prediction uses the rollover preview (last tab).",
                "hint",
            )
        )
        grid = QGridLayout()
        for column, title in enumerate(("Part", "Threshold", "Next run would archive", "Result")):
            grid.addWidget(label(title, "columnTitle"), 0, column)
        self.threshold_boxes: dict[str, QSpinBox] = {}
        self.prediction: dict[str, tuple[QLabel, QLabel]] = {}
        for row, portion in enumerate(SYNC_PORTIONS, start=1):
            box = QSpinBox()
            box.setRange(0, 100)
            box.setSuffix(" %")
            box.setValue(10)
            box.setAccessibleName(f"Threshold for {svc.PORTION_TITLE[portion].lower()}")
            box.valueChanged.connect(lambda _v: self._update_predictions())
            self.threshold_boxes[portion] = box
            predicted, verdict = label("–", "hint"), label("", "hint")
            self.prediction[portion] = (predicted, verdict)
            grid.addWidget(buddy(svc.PORTION_TITLE[portion], box), row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(predicted, row, 2)
            grid.addWidget(verdict, row, 3)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)

        layout.addWidget(label("Pauses", "sectionTitle"))
        layout.addWidget(
            label(
                "A paused part is neither created, updated nor archived. With an until-date it resumes by "
                "itself the day after; without one it stays paused until you remove the pause.",
                "hint",
            )
        )
        self.daily = QCheckBox("Run the sync every &day")
        self.daily.setAccessibleName("Daily sync")
        self.pauses = QTableWidget(0, 4)
        self.pauses.setAccessibleName("Pauses")
        self.pauses.setHorizontalHeaderLabels(["Pause", "From", "Until", ""])
        self.pauses.verticalHeader().hide()
        self.pauses.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.pauses.setMinimumHeight(110)
        self.add_pause = QPushButton("Add a pa&use")
        self.add_pause.clicked.connect(lambda: self.add_pause_row("all", None, None))
        self.stage = QPushButton("Add to &my changes")
        self.stage.setObjectName("primary")
        self.stage.setAccessibleName("Add settings to my changes")
        self.stage.clicked.connect(self.stage_settings)
        self.settings_feedback = label("", "hint")
        self.settings_feedback.setAccessibleName("What happened")
        buttons = QHBoxLayout()
        buttons.addWidget(self.daily)
        buttons.addWidget(self.add_pause)
        buttons.addStretch(1)
        buttons.addWidget(self.stage)
        layout.addWidget(self.pauses, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.settings_feedback)
        return tab

    def add_pause_row(self, portion: str, start: str | None, until: str | None) -> int:
        row = self.pauses.rowCount()
        self.pauses.insertRow(row)
        combo = QComboBox()
        combo.setAccessibleName("What to pause")
        for key in ("all", *SYNC_PORTIONS):
            combo.addItem(svc.PORTION_TITLE[key], key)
        combo.setCurrentIndex(max(0, combo.findData(portion or "all")))
        begin, end = DateBox("Pause from"), DateBox("Pause until")
        begin.set_value(start)
        end.set_value(until)
        remove = QPushButton("Remove")
        remove.setAccessibleName("Remove this pause")
        remove.clicked.connect(lambda: self._remove_pause(remove))
        self.pauses.setCellWidget(row, 0, combo)
        self.pauses.setCellWidget(row, 1, begin)
        self.pauses.setCellWidget(row, 2, end)
        self.pauses.setCellWidget(row, 3, remove)
        self.pauses.resizeColumnToContents(1)
        self.pauses.resizeColumnToContents(2)
        return row

    def _remove_pause(self, button: QPushButton) -> None:
        for row in range(self.pauses.rowCount()):
            if self.pauses.cellWidget(row, 3) is button:
                self.pauses.removeRow(row)
                return

    def pause_values(self) -> list[dict[str, Any]]:
        values = []
        for row in range(self.pauses.rowCount()):
            combo = self.pauses.cellWidget(row, 0)
            begin, end = self.pauses.cellWidget(row, 1), self.pauses.cellWidget(row, 2)
            assert isinstance(combo, QComboBox) and isinstance(begin, DateBox) and isinstance(end, DateBox)
            values.append({"portion": combo.currentData(), "from": begin.value(), "until": end.value()})
        return values

    def load_settings_editor(self, settings: SyncSettingsRow | None) -> None:
        for portion, box in self.threshold_boxes.items():
            box.blockSignals(True)
            box.setValue(round(svc.threshold_of(settings, portion)))
            box.blockSignals(False)
        self.daily.setChecked(settings.daily_sync if settings is not None else True)
        self.pauses.setRowCount(0)
        for pause in settings.pauses if settings is not None else []:
            self.add_pause_row(str(pause.get("portion") or "all"), pause.get("from"), pause.get("until"))
        self.stage.setEnabled(settings is not None)
        self._update_predictions()

    def _update_predictions(self) -> None:
        types = self.preview_types
        for portion, (predicted, verdict) in self.prediction.items():
            parts = [types[t] for t in PORTION_TYPES[portion] if t in types]
            if not parts:
                predicted.setText("Preview an export to see")
                verdict.setText("")
                continue
            threshold = self.threshold_boxes[portion].value()
            archives = sum(p.archive for p in parts)
            worst = max(parts, key=lambda p: p.archive_pct)
            predicted.setText(
                f"{archives:,} of {sum(p.sync_managed for p in parts):,} ({worst.archive_pct:.1f}%)"
            )
            paused = all(p.paused for p in parts)
            held = not paused and any(p.archive and p.archive_pct > threshold for p in parts)
            verdict.setText("Paused" if paused else ("Held" if held else "OK"))
            verdict.setObjectName("heldTitle" if held else "hint")
            verdict.setStyleSheet("")

    def stage_settings(self) -> None:
        """Stage the threshold and pause edits as one update_sync_settings operation."""
        settings = self.settings
        if settings is None:
            return
        thresholds = {p: float(box.value()) for p, box in self.threshold_boxes.items()}
        pauses = self.pause_values()
        bad = [p for p in pauses if p["from"] and p["until"] and p["until"] < p["from"]]
        if bad:
            self.settings_feedback.setText("A pause ends before it starts: check its dates.")
            return
        params = svc.settings_change(settings, thresholds, pauses, self.daily.isChecked())
        if not params:
            self.settings_feedback.setText("Nothing changed: the settings are as shown.")
            return
        service = self.context.service
        operation = svc.settings_operation(settings, params)
        self.stage.setEnabled(False)

        def done(count: int) -> None:
            self.stage.setEnabled(True)
            self.settings_feedback.setText(
                "Settings change added to your list. Nothing changes on the server until you review and "
                "send it (step 7)."
            )
            self.context.bridge.info(f"{count} change added to your list")
            self.context.outbox_changed()
            self.reload()

        def failed(exc: BaseException) -> None:
            self.stage.setEnabled(True)
            self.context.reporter.report(exc)

        self.context.runner.run(
            lambda _ctx: service.stage([operation]), on_success=done, on_failure=failed, name="stage settings"
        )

    # == tab 4: rollover preview ===============================================================
    def _preview_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
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
        self.problems.setAccessibleName("Problems in the export")
        self.problems.setHorizontalHeaderLabels(["File", "Row", "Column", "Problem"])
        self.problems.verticalHeader().hide()
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.hide()
        self.counts = QTableWidget(0, 8)
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
        self.changes_title = label("", "sectionTitle")
        self.changes_model = LazyTableModel(
            (Column("Name", 1), Column("SIS id", 2), Column("Details", 3)), self.context.runner, parent=self
        )
        self.changes_model.loadFailed.connect(self.context.reporter.report)
        self.changes_table = _table_view("The records behind the selected count")
        self.changes_table.setModel(self.changes_model)
        self.changes_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.changes_table.setColumnWidth(0, 240)
        self.changes_table.setColumnWidth(1, 160)
        self.changes_table.hide()
        layout.addLayout(row)
        layout.addWidget(self.preview_status)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.counts, 1)
        layout.addWidget(self.changes_title)
        layout.addWidget(self.changes_table, 1)
        return tab

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
        self._close_preview()
        service, today = self.context.service, self.context.today()
        self.preview_status.setText(f"Reading {path.name} and comparing it with your data…")
        self.problems.hide()
        self.counts.hide()
        self.changes_table.hide()
        self.changes_title.setText("")
        self.choose_zip.setEnabled(False)
        self.choose_dir.setEnabled(False)

        def finished() -> None:
            self.choose_zip.setEnabled(True)
            self.choose_dir.setEnabled(True)

        self.context.runner.run(
            lambda _ctx: svc.PreviewSession(service, path, today),
            on_success=self._preview_ready,
            on_failure=self._preview_failed,
            on_finished=finished,
            name="rollover preview",
        )

    def _preview_failed(self, exc: BaseException) -> None:
        from connect_desktop.rostering.diagnostics import SourceError

        if isinstance(exc, SourceError | OSError):
            self.preview_status.setText(f"This export cannot be read: {exc}")
            return
        self.preview_status.setText("")
        self.context.reporter.report(exc)

    def _preview_ready(self, session: svc.PreviewSession) -> None:
        self.preview = session
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
            self.preview_types = {}
            self._update_predictions()
            return
        types = session.types
        self.preview_types = types
        held = session.preview.held_types
        scoped = (
            " (your account sees only some schools, so this preview is incomplete)"
            if session.preview.scoped
            else ""
        )
        if held:
            nouns = ", ".join(svc.NOUN.get(t, t) for t in held)
            self.preview_status.setText(
                f"{session.package.name}: the next sync would be HELD at the threshold for {nouns}: "
                f"creates and updates would apply, nothing would be archived.{scoped}"
            )
        else:
            self.preview_status.setText(f"{session.package.name}: the next sync would run through.{scoped}")
        self.counts.setRowCount(len(types))
        for row, (type_, p) in enumerate(types.items()):
            result = "Paused" if p.paused else ("Held" if p.held else "OK")
            values = (
                svc.NOUN.get(type_, type_).capitalize(),
                f"{p.create:,}",
                f"{p.update:,}",
                f"{p.archive:,}",
                f"{p.sync_managed:,}",
                f"{p.archive_pct:.1f}%",
                f"{p.threshold_pct:g}%",
                result,
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
        self.changes_title.setText("Select a Create, Update or Archive count to see the records behind it.")
        self._update_predictions()

    def show_changes(self, row: int, column: int) -> None:
        if self.preview is None or row < 0 or not 1 <= column <= 3:
            return
        item = self.counts.item(row, 0)
        if item is None:
            return
        type_ = item.data(Qt.ItemDataRole.UserRole)
        kind = ("create", "update", "archive")[column - 1]
        p = self.preview_types[type_]
        total = {"create": p.create, "update": p.update, "archive": p.archive}[kind]
        self.changes_title.setText(f"{KIND_TITLE[kind]}: {total:,} {svc.NOUN.get(type_, type_)}")
        self.changes_model.set_source(svc.PreviewChangesSource(self.preview, type_, kind, total))
        self.changes_table.show()

    def _close_preview(self) -> None:
        if self.preview is not None:
            old = self.preview
            self.preview = None
            self.changes_model.set_source(None)
            self.context.runner.run(lambda _ctx: old.close(), name="close preview")

    def leave_page(self) -> None:
        """Keep the preview (the user may come back); nothing to release."""

    def release(self) -> None:
        """Close the preview on its own thread before the window goes away."""
        if self.preview is not None:
            old, self.preview = self.preview, None
            self.changes_model.set_source(None)
            old.close()


__all__ = ["SyncRolloverPage"]

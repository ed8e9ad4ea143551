"""Tab 1, Status and history: the source, daily sync and pauses now, the runs, the selected run
explained in plain words, and approving a held run once."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.api.sync_calls import RunResult
from connect_desktop.domain.words import run_status_text, source_text
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from connect_desktop.syncadmin.explain import (
    HELD,
    RunExplanation,
    approved_archives,
    describe_held,
    explain_run,
)
from connect_desktop.syncadmin.history import SyncStatus, approve_run, load_status, scope_note
from connect_desktop.syncadmin.pauses import active_pauses, describe_pause
from ui.dialogs import confirm
from ui.wizard.page import WizardContext, label
from ui.wizard.sync_rollover.tab import RolloverTab
from ui.wizard.sync_rollover.widgets import when

COUNT_COLUMNS = ("created", "updated", "archived", "tried_to_archive")


APPROVE_ACTS_AT_ONCE = (
    "Unlike your other changes, this one acts at once, on the server: it does not wait for "
    "step 7, Review and send."
)
"""The one action of the wizard that does not go through Review: it says so."""


class HistoryTab(RolloverTab):
    """Reads the sync history and settings from the cache; the page passes them on."""

    status_loaded = Signal(object)
    """A `SyncStatus` was read (the settings tab shows its settings)."""
    run_selected = Signal(object)
    """The `SyncRunRow` selected in the history, or None."""
    show_archives = Signal()
    """The user asked to see what the selected run tried to archive."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.status_data: SyncStatus | None = None
        self.selected_run: SyncRunRow | None = None
        self.explanation_of: RunExplanation | None = None
        self.confirm_box: QMessageBox | None = None
        self._loading = False
        layout = QVBoxLayout(self)
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
        self.show_tried = QPushButton("See &what it tried to archive")  # Alt+T is the tab's
        self.show_tried.clicked.connect(self.show_archives.emit)
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

    def initialize(self) -> None:
        self.reload()

    def release(self) -> None:
        if self.confirm_box is not None:
            self.confirm_box.reject()

    @property
    def loading(self) -> bool:
        """True while the history is being read."""
        return self._loading

    @property
    def settings(self) -> SyncSettingsRow | None:
        return self.status_data.settings if self.status_data is not None else None

    @property
    def latest_run(self) -> SyncRunRow | None:
        return self.status_data.latest_run if self.status_data is not None else None

    @property
    def for_schools(self) -> bool:
        """True for a school admin: the server sends their schools' counts and list items only."""
        return self.status_data is not None and self.status_data.for_schools

    def reload(self) -> None:
        """Read the history and settings from the cache (in the background)."""
        if self._loading:
            return
        self._loading = True
        account = self.context.service
        self.context.runner.op(lambda _ctx: load_status(account), name="sync status").success(
            self.show_status
        ).always(self._loaded).run()

    def _loaded(self) -> None:
        self._loading = False

    def show_status(self, status: SyncStatus) -> None:
        self.status_data = status
        settings = status.settings
        lines = []
        if settings is not None and (settings.source_kind or settings.source_label):
            latest = status.latest_run
            read = latest.started_at if latest is not None else None
            lines.append(f"<b>Source:</b> {source_text(settings.source_kind, settings.source_label, read)}")
        if settings is not None:
            daily = "on" if settings.daily_sync else "off (runs only when started by hand)"
            lines.append(f"<b>Daily sync:</b> {daily}")
            pauses = active_pauses(settings, self.context.today())
            shown = "; ".join(describe_pause(p) for p in pauses) if pauses else "nothing"
            lines.append(f"<b>Paused now:</b> {shown}")
            if settings.staged:
                lines.append(
                    "<i>Settings changes are waiting in your list (step 7); they apply once sent.</i>"
                )
        if not status.runs:
            lines.append("No sync run recorded yet.")
        if status.schools is not None:
            lines.insert(0, f"<b>{scope_note(status.schools)}</b>")
        self.status_text.setText("<br>".join(lines))
        self.runs.clear()
        for run in status.runs:
            item = QTreeWidgetItem(
                [
                    when(run.started_at),
                    run_status_text(run.status),
                    *(f"{run.total(name):,}" for name in COUNT_COLUMNS),
                    "approved once" if run.approved_archives else "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, run.id)
            for column in range(2, 6):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.runs.addTopLevelItem(item)
        first = self.runs.topLevelItem(0)
        if first is not None:
            self.runs.setCurrentItem(first)
        else:
            self._show_run(None)
        self.status_loaded.emit(status)

    def _run_selected(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        runs = self.status_data.runs if self.status_data else []
        run_id = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        self._show_run(next((r for r in runs if r.id == run_id), None))

    def _show_run(self, run: SyncRunRow | None) -> None:
        self.selected_run = run
        self.run_box.setVisible(run is not None)
        if run is None:
            self.explanation_of = None
            self.run_selected.emit(None)
            return
        explanation = explain_run(run, self.settings, self.for_schools)
        self.explanation_of = explanation
        held = run.status == HELD
        self.run_title.setText(explanation.headline)
        self.run_title.setObjectName("heldTitle" if held else "sectionTitle")
        what = f"<p>{explanation.what_happened}</p>"
        if held and explanation.held:
            items = "".join(f"<li>{describe_held(h)}</li>" for h in explanation.held)
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
        self.run_selected.emit(run)

    # -- approve once ----------------------------------------------------------------------
    def ask_approve(self) -> None:
        run = self.selected_run
        if run is None or run.status != HELD:
            return
        listed = approved_archives(run) or "the records"

        def closed() -> None:
            self.confirm_box = None

        self.confirm_box = confirm(
            self,
            title="Approve this run once",
            text=f"Run the sync now and let it archive {listed}?",
            details=APPROVE_ACTS_AT_ONCE + " The sync runs once more with archiving allowed for this one "
            "run. Archived records keep their history and can be unarchived. Your thresholds stay as "
            "they are: a later run that wants to archive this many again is held again.",
            action="&Approve and run once",
            icon=QMessageBox.Icon.Warning,
            on_close=closed,
            on_confirm=self.approve_once,
        )

    def approve_once(self) -> None:
        """POST /sync/runs {"approve_archives": true}, then pull (background)."""
        account = self.context.service
        self.approve.setEnabled(False)
        self.approve_feedback.setText("Running the sync with archives approved…")
        self.context.runner.op(lambda _ctx: approve_run(account), name="approve run").success(
            self._approved
        ).failure(self._approve_failed).run()

    def _approved(self, result: RunResult) -> None:
        self.approve_feedback.setText(
            f"Done: {run_status_text(result.status)}. {result.message} Your thresholds were not changed."
        )
        self.context.bridge.info("The sync ran with archives approved once")
        self.reload()
        self.context.outbox_changed()

    def _approve_failed(self, exc: BaseException) -> None:
        self.approve_feedback.setText("")
        self.approve.setEnabled(True)
        self.context.reporter.report(exc)

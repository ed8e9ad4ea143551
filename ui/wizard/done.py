"""Done: what was sent, what still waits, what comes next, and restoring sent changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView

from connect_desktop.domain.operations import RETRYABLE, OutboxState, tally
from connect_desktop.domain.words import applied_text, changes_text, decision_text, local_time
from connect_desktop.yearend.steps import StepSpec
from ui.models.lazy_table import Column, LazyTableModel
from ui.sources import RestorableSource
from ui.tasks import TaskContext
from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.review import step_title


def _sent_at(value: dt.datetime | None) -> str:
    return local_time(value)


class DonePage(StepPage):
    explanation = "You have been through every year-end step."

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.result = label("", "sectionTitle")
        self.result.setAccessibleName("What was done")
        self.next = label(
            "Next: when the new school year's data is ready, import it (Back to school), or let your "
            "SIS sync bring it in. You can come back to any step from the list on the left; your "
            "changes and your place are saved on this computer."
        )
        self.restore_title = label("Changed your mind? Restore sent changes", "sectionTitle")
        self.restore_help = label(
            "Archived classrooms and students can be unarchived, and removed staff can get their access "
            "back. Restoring prepares the opposite change; it shows in Review and send like any other "
            "change and happens when you send it. Deleted students cannot be restored.",
            "hint",
        )
        columns = (
            Column("Change", 1),
            Column("Record", 2),
            Column("Step", 3, step_title),
            Column("Sent", 4, _sent_at),
        )
        self.model = LazyTableModel(columns, context.runner, checkable=True, page_size=200, parent=self)
        self.model.loadFailed.connect(context.reporter.report)
        self.model.selectionChanged.connect(self._update_buttons)
        self.model.countChanged.connect(self._update_buttons)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in the table
        self.table.setModel(self.model)
        self.table.setAccessibleName("Sent changes that can be restored")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.restore_selected = QPushButton("Restore &selected")
        self.restore_selected.setAccessibleName("Restore the selected sent changes")
        self.restore_selected.clicked.connect(self.restore_checked)
        self.restore_batch = QPushButton("Restore the &whole year-end batch")
        self.restore_batch.setAccessibleName("Restore every sent change of this year-end")
        self.restore_batch.clicked.connect(self.restore_whole_batch)
        self.open_review = QPushButton("Open &Review and send")
        self.open_review.setAccessibleName("Open Review and send")
        self.open_review.clicked.connect(lambda: context.go_to("review"))
        self.open_review.hide()
        self.feedback = label("", "hint")
        self.feedback.setAccessibleName("What happened")
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_selected)
        buttons.addWidget(self.restore_batch)
        buttons.addStretch(1)
        buttons.addWidget(self.open_review)
        self.body.addWidget(self.result)
        self.body.addWidget(self.next)
        self.body.addWidget(self.restore_title)
        self.body.addWidget(self.restore_help)
        self.body.addWidget(self.table, 1)
        self.body.addLayout(buttons)
        self.body.addWidget(self.feedback)
        self._busy = False
        self._update_buttons()

    def initialize_page(self) -> None:
        super().initialize_page()
        self.model.set_source(RestorableSource(self.context.service))
        summary = self.context.summary
        if summary is None:
            return
        applied = sum(states.get(OutboxState.APPLIED, 0) for states in summary.steps.values())
        waiting = summary.waiting
        trouble = tally(summary.pending_states, RETRYABLE)
        text = f"{changes_text(applied)} {'was' if applied == 1 else 'were'} applied in Connect"
        text += f": {applied_text(summary.applied_kinds)}." if summary.applied_kinds else "."
        if waiting:
            still = "is still" if waiting == 1 else "are still"
            text += f" {changes_text(waiting)} {still} waiting to be sent (step 7)."
        if trouble:
            text += f" {decision_text(trouble)} (step 7)."
        self.result.setText(text)

    def _update_buttons(self, *_args: object) -> None:
        total = self.model.total or 0
        self.restore_selected.setEnabled(not self._busy and self.model.selected_count() > 0)
        self.restore_batch.setEnabled(not self._busy and total > 0)

    # -- restoring ------------------------------------------------------------------------
    def restore_checked(self) -> None:
        """Stage the inverse of the checked sent changes."""
        all_selected, keys = self.model.selection()
        source, service = RestorableSource(self.context.service), self.context.service

        def work(_ctx: object) -> int:
            op_ids = [o for o in source.op_ids() if o not in keys] if all_selected else list(keys)
            return service.stage_restore(op_ids=op_ids)

        self._run(work)

    def restore_whole_batch(self) -> None:
        """Stage the inverse of every sent change of this year-end's batch."""
        service = self.context.service
        self._run(lambda _ctx: service.stage_restore(batch=service.year_end_batch()))

    def _run(self, work: Callable[[TaskContext], int]) -> None:
        self._busy = True
        self._update_buttons()
        self.feedback.setText("Preparing the restores…")

        def recover() -> None:
            self._busy = False
            self.feedback.setText("")
            self._update_buttons()

        self.context.runner.op(work, name="restore").success(self._restored).recover(recover).run()

    def _restored(self, count: int) -> None:
        self._busy = False
        if count:
            self.feedback.setText(
                f"{count:,} restore{'s' if count != 1 else ''} added to your list. They happen when you "
                "review and send them (step 7)."
            )
            self.open_review.show()
            self.context.bridge.info(f"{count:,} restores added to your list")
        else:
            self.feedback.setText("Nothing to restore: these changes are restored already or waiting to be.")
        self.model.reload()
        self.context.outbox_changed()

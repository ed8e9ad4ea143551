"""Step 7, Review and send: every staged change by step; uncheck, discard, send, resolve.

After a send the table shows each sent change's result: applied, conflict (someone
changed the record on the server: "Refresh and retry" or "Skip") or rejected (with the
server's reason). A pull follows every send so all screens show the new state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
)

from connect_desktop.account import SendOutcome
from connect_desktop.domain.operations import RETRYABLE, REVIEW, SENDABLE, STAGED, OutboxState, tally
from connect_desktop.domain.words import changes_text, permanent_warning, restorable_note, state_text
from connect_desktop.yearend.steps import StepSpec, spec
from ui.dialogs import confirm
from ui.models.lazy_table import Column, LazyTableModel
from ui.sources import PendingSource
from ui.tasks import Progress, TaskContext
from ui.wizard.page import StepPage, WizardContext, label

WAITING = REVIEW
RESULT_STATES = REVIEW | {OutboxState.APPLIED}


MIN_SQUEEZED_WIDTH = 140
HEADER_PADDING = 24
"""A column narrowed to make room for the last one keeps at least this width."""


@dataclass(frozen=True)
class SendChoice:
    """What a press of Send would send: how many of each kind, which ones, and the sendable
    op_ids left unchecked (kept for later)."""

    kinds: Counter[str]
    chosen: frozenset[str]
    excluded: list[str]


def step_title(step_id: str) -> str:
    try:
        return spec(step_id).title
    except StopIteration:
        return step_id.replace("_", " ").capitalize()


class ReviewPage(StepPage):
    explanation = (
        "These are all the changes you prepared, grouped by step. Uncheck a change to keep it for later, "
        "or discard it. Nothing reaches Connect until you press Send. Changes someone else made on the "
        "server in the meantime are never overwritten: they come back as conflicts for you to decide."
    )

    def __init__(self, spec_: StepSpec, context: WizardContext) -> None:
        super().__init__(spec_, context)
        self.showing_results = False
        self.last_sent: frozenset[str] = frozenset()
        self.confirm_box: QMessageBox | None = None
        self._kept_for_later = 0
        self._listing = 0
        """Counts the listings of what waits, so only the newest one fills the table."""
        self._kept_writes: dict[str, bool] = {}
        """Checks the user changed and the cache does not hold yet: op_id -> kept for later."""
        self._writing_kept = False
        self.groups = label("", "sectionTitle")
        self.groups.setAccessibleName("Changes by step")
        self.permanent = label("", "heldTitle")
        self.permanent.setAccessibleName("Changes that cannot be undone")
        self.permanent.hide()
        columns = (
            Column("Change", 1),
            Column("Record", 2),
            Column("Step", 5, step_title),
            Column("Status", 3, state_text),
            Column("Server's answer", 4),
        )
        self.model = LazyTableModel(columns, context.runner, checkable=True, page_size=200, parent=self)
        self.model.loadFailed.connect(context.reporter.report)
        self.model.selectionChanged.connect(self._update_buttons)
        self.model.checkEdited.connect(self._check_edited)
        self.model.countChanged.connect(self._update_buttons)
        self.model.pageLoaded.connect(self._update_buttons)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in the table
        self.table.setModel(self.model)
        self.table.setAccessibleName("Your changes")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.model.pageLoaded.connect(self._fit_columns)

        self.discard = self._button(
            "Disc&ard highlighted", "Discard the highlighted changes", self.discard_highlighted
        )
        self.retry = self._button(
            "&Refresh and retry", "Refresh and retry the conflicts", self.refresh_and_retry
        )
        self.skip = self._button("S&kip", "Skip the highlighted conflicts", self.skip_conflicts)
        self.back = self._button("Show &remaining changes", "Show remaining changes", self.show_waiting)
        self.send = self._button("&Send changes", "Send changes", self.ask_send)
        self.send.setObjectName("primary")
        self.note = label("Unchecked changes stay in your list for later; they are not sent.", "hint")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Sending progress")
        self.progress.hide()
        self.status = label("", "hint")
        self.status.setAccessibleName("What happened")

        row = QHBoxLayout()
        for button in (self.discard, self.retry, self.skip, self.back):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.send)
        self.body.addWidget(self.groups)
        self.body.addWidget(self.permanent)
        self.body.addWidget(self.table, 1)
        self.body.addWidget(self.note)
        self.body.addLayout(row)
        self.body.addWidget(self.progress)
        self.body.addWidget(self.status)
        self._busy = False

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        return button

    # -- loading -----------------------------------------------------------------------
    def initialize_page(self) -> None:
        super().initialize_page()
        summary = self.context.summary
        if (
            self.showing_results
            and summary is not None
            and summary.waiting > self._kept_for_later
            and not self._busy
        ):
            self.showing_results = False  # new changes (e.g. restores) were prepared since the send
            self.status.setText("")
        if self.showing_results:
            self._load_results()
        else:
            self.show_waiting()

    def show_waiting(self) -> None:
        """List what waits, each change checked unless the user keeps it for later (in the cache)."""
        self.showing_results = False
        self._listing += 1
        listing, service = self._listing, self.context.service
        self.model.set_source(None)  # nothing stale stays on screen (or checkable) meanwhile
        self.context.runner.run(
            lambda _ctx: (service.kept_for_later(), service.pending_kinds()),
            on_success=lambda found: self._list_waiting(listing, *found),
            on_failure=self.context.reporter.report,
            name="changes kept for later",
        )

    def _list_waiting(self, listing: int, kept: frozenset[str], kinds: dict[str, int]) -> None:
        if listing != self._listing or self.showing_results:
            return
        forever = permanent_warning(kinds)
        self.permanent.setText(f"{forever} They are listed first, marked “(permanent)”." if forever else "")
        self.permanent.setVisible(forever is not None)
        self.model.set_source(PendingSource(self.context.service, WAITING, permanent_first=True))
        self.model.select_all(True, but=kept | {k for k, later in self._kept_writes.items() if later})
        self._show_groups()
        self._update_buttons()

    def _check_edited(self, op_id: str, checked: bool) -> None:
        """Keep the user's choice in the cache, one write at a time, in the order they clicked."""
        if self.showing_results:
            return
        self._kept_writes[op_id] = not checked
        self._write_kept()

    def _write_kept(self) -> None:
        if self._writing_kept or not self._kept_writes:
            return
        writes = dict(self._kept_writes)
        service = self.context.service

        def work(_ctx: TaskContext) -> None:
            for kept in (True, False):
                service.keep_for_later([op_id for op_id, later in writes.items() if later is kept], kept)

        def written() -> None:
            for op_id, kept in writes.items():
                if self._kept_writes.get(op_id) is kept:
                    del self._kept_writes[op_id]
            self._writing_kept = False
            self._write_kept()

        self._writing_kept = True
        self.context.runner.run(
            work, on_failure=self.context.reporter.report, on_finished=written, name="keep for later"
        )

    def _load_results(self) -> None:
        self.permanent.hide()
        self.model.set_source(PendingSource(self.context.service, RESULT_STATES, op_ids=self.last_sent))
        self.model.select_all(True)
        self._update_buttons()

    def _show_groups(self) -> None:
        summary = self.context.summary
        if summary is None:
            return
        parts = []
        for step_id, states in summary.steps.items():
            waiting = tally(states, STAGED)
            trouble = tally(states, RETRYABLE)
            if waiting or trouble:
                extra = f", {trouble:,} need your decision" if trouble else ""
                parts.append(f"{step_title(step_id)}: {waiting:,} to send{extra}")
        self.groups.setText(" · ".join(parts) if parts else "No changes are waiting to be sent.")

    def _update_buttons(self, *_args: object) -> None:
        total = self.model.total or 0
        selected = self.model.selected_count()
        self.send.setText(f"&Send {changes_text(selected)}")
        self.send.setAccessibleName(f"Send {changes_text(selected)}")
        # The style sheet's padding and focus border are not in the button's size hint.
        self.send.setMinimumWidth(self.send.sizeHint().width() + 24)
        self.send.setEnabled(
            not self._busy and not self.showing_results and selected > 0 and self.confirm_box is None
        )
        self.discard.setEnabled(not self._busy and total > 0)
        self.retry.setEnabled(not self._busy and self._has_state(OutboxState.CONFLICT))
        self.skip.setEnabled(not self._busy and self._has_state(OutboxState.CONFLICT))
        self.back.setVisible(self.showing_results)
        # the results of a send are not sendable: no "Send 3 changes" beside them, greyed or not
        self.send.setVisible(not self.showing_results)
        self.note.setVisible(not self.showing_results)

    def _has_state(self, state: str) -> bool:
        return any(self.model.row(r)[3] == state for r in range(self.model.loaded))

    def _highlighted(self, state: str | None = None) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if not rows and state is not None:
            rows = list(range(self.model.loaded))
        return [self.model.key(r) for r in rows if state is None or self.model.row(r)[3] == state]

    # -- actions -----------------------------------------------------------------------
    def _run(self, work: Callable[[TaskContext], Any], done: Callable[[Any], None], busy_text: str) -> None:
        self._busy = True
        self.status.setText(busy_text)
        self._update_buttons()

        op = self.context.runner.op(work, name="review")
        op.success(done).progress(self._progress).recover(lambda: self._finish(None)).run()

    def _finish(self, text: str | None) -> None:
        self._busy = False
        self.progress.hide()
        if text is not None:
            self.status.setText(text)
        self._update_buttons()

    def _progress(self, progress: Progress) -> None:
        self.progress.show()
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        self.progress.setFormat(f"{progress.done:,} of {progress.total:,} sent")

    def discard_highlighted(self) -> None:
        op_ids = self._highlighted()
        if not op_ids:
            self.status.setText(
                "Highlight the changes to discard first (click a row; Shift or Ctrl for more)."
            )
            return
        service = self.context.service
        self._run(lambda _ctx: service.discard(op_ids), self._after_discard, "Discarding…")

    def _after_discard(self, count: int) -> None:
        self._finish(f"{changes_text(count)} discarded.")
        self.context.outbox_changed()
        self.show_waiting()

    def skip_conflicts(self) -> None:
        op_ids = self._highlighted(OutboxState.CONFLICT)
        service = self.context.service
        self._run(lambda _ctx: service.discard(op_ids), self._after_skip, "Skipping…")

    def _after_skip(self, count: int) -> None:
        self._finish(f"{changes_text(count, 'conflicting change')} skipped: the server's version stays.")
        self.context.outbox_changed()
        self.show_waiting()

    def refresh_and_retry(self) -> None:
        op_ids = self._highlighted(OutboxState.CONFLICT)
        service = self.context.service
        self._run(
            lambda _ctx: service.refresh_and_retry(op_ids), self._after_retry, "Downloading the latest data…"
        )

    def _after_retry(self, count: int) -> None:
        self._finish(
            f"Downloaded the latest data and prepared {changes_text(count)} again "
            "on the current version. Review them and send."
        )
        self.context.outbox_changed()
        self.show_waiting()

    def ask_send(self) -> None:
        """Work out exactly which changes the checks send, then confirm (the box is `confirm_box`)."""
        if self.model.selected_count() <= 0 or self._busy or self.confirm_box is not None:
            return
        all_selected, keys = self.model.selection()
        source = self.model_source()

        def work(_ctx: TaskContext) -> SendChoice:
            kinds: Counter[str] = Counter()
            chosen: set[str] = set()
            excluded: list[str] = []
            for op_id, state, kind in source.op_kinds():
                if (op_id not in keys) == all_selected:
                    chosen.add(op_id)
                    if state in SENDABLE:  # a checked conflict waits for Refresh and retry or Skip
                        kinds[kind] += 1
                elif state in SENDABLE:
                    excluded.append(op_id)
            return SendChoice(kinds, frozenset(chosen), excluded)

        self._run(work, self._confirm_send, "Checking your changes…")

    def _confirm_send(self, choice: SendChoice) -> None:
        """ "Send 12 changes to Connect?", with what can be restored and what is for good."""
        count = sum(choice.kinds.values())
        if count <= 0:
            self._finish("The checked changes are conflicts: refresh and retry them, or skip them, first.")
            return
        self._finish("")
        left_out = len(choice.excluded)
        plural = "s" if count != 1 else ""
        details = " ".join(
            part
            for part in ("They take effect on the server at once.", restorable_note(choice.kinds))
            if part
        )
        if left_out:
            details += (
                f" {changes_text(left_out, 'unchecked change')} "
                f"{'stay' if left_out != 1 else 'stays'} in your list for later."
            )
        forever = permanent_warning(choice.kinds)

        def closed() -> None:
            self.confirm_box = None
            self._update_buttons()

        self.confirm_box = confirm(
            self,
            title="Send changes",
            text=f"Send {count:,} change{plural} to Connect?" + (f"\n\n{forever}" if forever else ""),
            details=details,
            action=f"&Send {count:,}",
            action_name=f"Send {count:,} change{plural}",
            on_close=closed,
            on_confirm=lambda: self.send_changes(choice),
            destructive=forever is not None,
            icon=QMessageBox.Icon.Warning if forever else QMessageBox.Icon.Question,
            understood="I &understand this cannot be undone" if forever else None,
        )
        self._update_buttons()

    def send_changes(self, choice: SendChoice) -> None:
        """Send what the confirmation named; the changes left unchecked stay pending and unsent."""
        service = self.context.service

        def work(ctx: TaskContext) -> tuple[SendOutcome, frozenset[str]]:
            outcome = service.send(
                choice.excluded, progress=ctx.progress, cancel=ctx.token, included=choice.chosen
            )
            return outcome, choice.chosen

        self._run(work, self._sent, "Sending your changes to Connect…")

    def model_source(self) -> PendingSource:
        return PendingSource(self.context.service, WAITING)

    def _sent(self, result: tuple[SendOutcome, frozenset[str]]) -> None:
        outcome, sent = result
        self.last_sent = sent
        self._kept_for_later = outcome.not_sent
        self.showing_results = True
        parts = [f"{outcome.applied:,} applied"]
        if outcome.conflict:
            parts.append(
                f"{outcome.conflict:,} conflict{'s' if outcome.conflict != 1 else ''} "
                "(changed on the server: refresh and retry, or skip)"
            )
        if outcome.rejected:
            parts.append(f"{outcome.rejected:,} rejected (see the server's answer)")
        if outcome.not_sent:
            parts.append(f"{outcome.not_sent:,} unchecked kept in your list for later")
        self._finish("Sent. " + ", ".join(parts) + ". Your data was downloaded again.")
        self.groups.setText("Results of your last send")
        self._load_results()
        self.context.outbox_changed()

    def _fit_columns(self, loaded: int) -> None:
        """Size the columns to the first page's text (capped), once per source."""
        if loaded <= 200:
            self.table.resizeColumnsToContents()
            header = self.table.horizontalHeader()
            for column in range(self.model.columnCount() - 1):
                header.resizeSection(column, min(header.sectionSize(column), 320))
            self._room_for_last_column()

    def _room_for_last_column(self) -> None:
        """Narrow the widest column so the last one's header shows whole (its cells elide)."""
        header = self.table.horizontalHeader()
        last = self.model.columnCount() - 1
        if last <= 0:
            return
        others = range(last)
        # the hint leaves out the style sheet's padding
        lacking = sum(header.sectionSize(c) for c in others) + header.sectionSizeHint(last) + HEADER_PADDING
        lacking -= self.table.viewport().width()
        widest = max(others, key=header.sectionSize)
        if lacking > 0:
            header.resizeSection(widest, max(MIN_SQUEEZED_WIDTH, header.sectionSize(widest) - lacking))

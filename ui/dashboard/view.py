"""The dashboard: the account at a glance, the year-end checklist and the grade chart."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.operations import RETRYABLE, tally
from connect_desktop.domain.words import INACTIVE_TEXT, local_time, lower_first, noun, run_status_text
from connect_desktop.yearend.steps import checklist
from ui.dashboard.chart import GradeChart
from ui.dashboard.summary import Summary

TYPE_TITLES = tuple(
    (entity, noun(entity).capitalize())
    for entity in ("school", "staff", "student", "contact", "classroom", "enrollment")
)


def _label(text: str = "", name: str = "explanation") -> QLabel:
    widget = QLabel(text)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    return widget


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.addWidget(_label(title, "sectionTitle"))
    return frame, layout


class Dashboard(QWidget):
    """Shows a `Summary`; buttons ask the window to open the wizard or the review."""

    open_wizard = Signal()
    open_step = Signal(str)
    """A checklist row was opened (double-click or Enter): the step's id."""
    open_review = Signal()
    sync_now = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.heading = _label("Your Connect account", "pageTitle")
        self.account = _label()
        self.account.setAccessibleName("Account")

        counts_card, counts_layout = _card("Records")
        grid = QGridLayout()
        self.count_labels: dict[str, QLabel] = {}
        """The records in use: active, or with access."""
        self.count_titles: dict[str, QLabel] = {}
        for index, (kind, title) in enumerate(TYPE_TITLES):
            number = _label("–", "bigNumber")
            number.setAccessibleName(title)
            self.count_labels[kind] = number
            self.count_titles[kind] = caption = _label(title, "hint")
            grid.addWidget(number, (index // 3) * 2, index % 3)
            grid.addWidget(caption, (index // 3) * 2 + 1, index % 3)
        counts_layout.addLayout(grid)

        sync_card, sync_layout = _card("Sync")
        self.sync_text = _label()
        self.sync_text.setAccessibleName("Sync status")
        self.sync_button = QPushButton("&Sync now")
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.clicked.connect(self.sync_now)
        sync_layout.addWidget(self.sync_text)
        sync_layout.addWidget(self.sync_button)
        sync_layout.addStretch(1)

        changes_card, changes_layout = _card("Your changes")
        self.waiting = _label("", "bigNumber")
        self.waiting.setAccessibleName("Changes waiting to be sent")
        self.waiting_text = _label("", "hint")
        self.review_button = QPushButton("&Review and send")
        self.review_button.setAccessibleName("Review and send")
        self.review_button.clicked.connect(self.open_review)
        changes_layout.addWidget(self.waiting)
        changes_layout.addWidget(self.waiting_text)
        changes_layout.addWidget(self.review_button)
        changes_layout.addStretch(1)

        list_card, list_layout = _card("Year-end checklist")
        self.checklist = QTreeWidget()
        self.checklist.setAccessibleName("Year-end checklist")
        self.checklist.setColumnCount(3)
        self.checklist.setHeaderLabels(["Step", "State", "Why"])
        self.checklist.setRootIsDecorated(False)
        self.checklist.setColumnWidth(0, 230)
        self.checklist.setColumnWidth(1, 110)
        self.wizard_button = QPushButton("&Open the year-end steps")
        self.wizard_button.setObjectName("primary")
        self.wizard_button.setAccessibleName("Open the year-end steps")
        self.wizard_button.clicked.connect(self.open_wizard)
        self.checklist.itemActivated.connect(
            lambda row, _column: self.open_step.emit(row.data(0, Qt.ItemDataRole.UserRole))
        )
        list_layout.addWidget(self.checklist, 1)
        list_layout.addWidget(self.wizard_button)

        chart_card, chart_layout = _card("Students per grade")
        self.chart = GradeChart()
        chart_layout.addWidget(self.chart, 1)

        top = QHBoxLayout()
        top.addWidget(counts_card, 3)
        top.addWidget(sync_card, 2)
        top.addWidget(changes_card, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(list_card, 3)
        bottom.addWidget(chart_card, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.account)
        layout.addLayout(top)
        layout.addLayout(bottom, 1)
        self.setTabOrder(self.sync_button, self.review_button)
        self.setTabOrder(self.review_button, self.checklist)
        self.setTabOrder(self.checklist, self.wizard_button)

    def show_account(self, name: str, server: str) -> None:
        self.account.setText(f"Signed in as {name} on {server}")

    def show_summary(self, summary: Summary, current_step: str, done: dict[str, str] | None = None) -> None:
        for kind, title in TYPE_TITLES:  # in use, so archiving and revoking show here once sent
            out_of_use = summary.inactive.get(kind, 0)
            self.count_labels[kind].setText(f"{summary.counts.get(kind, 0) - out_of_use:,}")
            caption = f"{title} · {out_of_use:,} {INACTIVE_TEXT[kind]}" if out_of_use else title
            self.count_titles[kind].setText(caption)
            self.count_labels[kind].setAccessibleName(caption)
        kind_text = {
            "synced": "Synced from your SIS",
            "manual": "Entered by hand (no SIS sync)",
            "mixed": "Partly synced, partly entered by hand",
            "empty": "No records yet",
        }
        lines = [f"<b>{kind_text[summary.account_kind]}</b>"]
        if summary.sync_source:
            lines.append(f"Source: {summary.sync_source}")
        run = summary.last_sync_run
        if run is not None:
            when = local_time(run.finished_at or run.started_at)
            lines.append(f"Last sync run {when}: {lower_first(run_status_text(run.status))}")
        elif summary.synced_records:
            lines.append("No sync run recorded yet")
        if summary.last_pull_at:
            lines.append(f"Downloaded to this computer: {local_time(summary.last_pull_at)}")
        self.sync_text.setText("<br>".join(lines))
        self.waiting.setText(f"{summary.waiting:,}")
        trouble = tally(summary.pending_states, RETRYABLE)
        text = "changes waiting to be sent"
        if trouble:
            text += f"; {trouble:,} need your decision"
        self.waiting_text.setText(text)
        self.checklist.clear()
        for item in checklist(summary, current_step, done):
            row = QTreeWidgetItem([item.title, item.state, item.why])
            row.setData(0, Qt.ItemDataRole.UserRole, item.step_id)
            row.setToolTip(0, "Double-click, or press Enter, to open this step")
            row.setToolTip(2, item.why)
            self.checklist.addTopLevelItem(row)
        self.chart.set_grades(summary.grades)

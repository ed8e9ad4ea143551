"""Tab 3, Threshold and pause: the deletion threshold per part with what the previewed export
would do at it, the daily sync and the pauses, staged together as one change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.operations import SYNC_PORTIONS
from connect_desktop.rostering.preview import TypePreview
from connect_desktop.store.sync_history import SyncSettingsRow
from connect_desktop.syncadmin.pauses import PauseParams, pause_params, plan_settings_of
from connect_desktop.syncadmin.portions import ALL, PORTION_TITLE
from connect_desktop.syncadmin.settings import (
    pause_problem,
    predict,
    settings_change,
    settings_operation,
    threshold_of,
)
from ui.date_field import OptionalDate
from ui.wizard.page import WizardContext, label, tab_chain
from ui.wizard.plan_page import buddy
from ui.wizard.sync_rollover.tab import RolloverTab

VERDICT_TEXT = {"ok": "OK", "held": "Held", "paused": "Paused"}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


class SettingsTab(RolloverTab):
    """Edits the settings the history tab read (`load`); predictions use the preview's types."""

    staged = Signal()
    """A settings change went into the outbox (the history is read again)."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.settings: SyncSettingsRow | None = None
        self.preview_types: Mapping[str, TypePreview] = {}
        layout = QVBoxLayout(self)
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
            box.setMinimumHeight(box.sizeHint().height())  # a crowded tab must not squash its digits
            box.setAccessibleName(f"Threshold for {PORTION_TITLE[portion].lower()}")
            box.valueChanged.connect(lambda _v: self.update_predictions())
            self.threshold_boxes[portion] = box
            predicted, verdict = label("–", "hint"), label("", "hint")
            self.prediction[portion] = (predicted, verdict)
            grid.addWidget(buddy(PORTION_TITLE[portion], box), row, 0)
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
        self.daily = QCheckBox("&Run the sync every day")
        self.daily.setAccessibleName("Daily sync")
        self.pauses = QTableWidget(0, 4)
        self.pauses.setAccessibleName("Pauses")
        self.pauses.setHorizontalHeaderLabels(["Pause", "From", "Until", ""])
        self.pauses.verticalHeader().hide()
        self.pauses.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.pauses.setMinimumHeight(110)
        # Tab walks the fields of each pause (Qt's table would move its current cell instead).
        self.pauses.setTabKeyNavigation(False)
        self.add_pause = QPushButton("Add a pa&use")
        self.add_pause.clicked.connect(lambda: self.add_pause_row(ALL, None, None))
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

    # -- the editor ------------------------------------------------------------------------
    def load(self, settings: SyncSettingsRow | None) -> None:
        """Show `settings` (staged changes applied) in the editor."""
        self.settings = settings
        for portion, box in self.threshold_boxes.items():
            box.blockSignals(True)
            box.setValue(round(threshold_of(settings, portion)))
            box.blockSignals(False)
        self.daily.setChecked(settings.daily_sync if settings is not None else True)
        self.pauses.setRowCount(0)
        for pause in plan_settings_of(settings).pauses:
            params = pause_params(pause)
            self.add_pause_row(params["portion"] or ALL, params["from"], params["until"])
        self.stage.setEnabled(settings is not None)
        self.update_predictions()

    def add_pause_row(self, portion: str, start: str | None, until: str | None) -> int:
        row = self.pauses.rowCount()
        self.pauses.insertRow(row)
        combo = QComboBox()
        combo.setAccessibleName("What to pause")
        for key in (ALL, *SYNC_PORTIONS):
            combo.addItem(PORTION_TITLE[key], key)
        combo.setCurrentIndex(max(0, combo.findData(portion or ALL)))
        today = self.context.today()
        # No Alt-keys: every pause row has these, and one key cannot name several of them.
        begin = OptionalDate("From", "Pause from", today)
        end = OptionalDate("Until", "Pause until", today)
        begin.set_value(dt.date.fromisoformat(start) if start else None)
        end.set_value(dt.date.fromisoformat(until) if until else None)
        remove = QPushButton("Remove")
        remove.setAutoDefault(True)  # Enter presses it when it has the focus, as on every page
        remove.setAccessibleName("Remove this pause")
        remove.clicked.connect(lambda: self._remove_pause(remove))
        self.pauses.setCellWidget(row, 0, combo)
        self.pauses.setCellWidget(row, 1, begin)
        self.pauses.setCellWidget(row, 2, end)
        self.pauses.setCellWidget(row, 3, remove)
        self.pauses.resizeColumnToContents(1)
        self.pauses.resizeColumnToContents(2)
        self._order_tabs()
        return row

    def _order_tabs(self) -> None:
        """Tab runs the thresholds, then each pause left to right, then the buttons below."""
        chain: list[QWidget] = list(self.threshold_boxes.values())
        for row in range(self.pauses.rowCount()):
            for column in range(self.pauses.columnCount()):
                cell = self.pauses.cellWidget(row, column)
                if isinstance(cell, OptionalDate):
                    chain += [cell.use, cell.field.edit, cell.field.pick]
                elif cell is not None:
                    chain.append(cell)
        chain += [self.daily, self.add_pause, self.stage]
        tab_chain(chain)

    def _remove_pause(self, button: QPushButton) -> None:
        for row in range(self.pauses.rowCount()):
            if self.pauses.cellWidget(row, 3) is button:
                self.pauses.removeRow(row)
                self._order_tabs()
                return

    def pause_values(self) -> list[PauseParams]:
        values: list[PauseParams] = []
        for row in range(self.pauses.rowCount()):
            combo = self.pauses.cellWidget(row, 0)
            begin, end = self.pauses.cellWidget(row, 1), self.pauses.cellWidget(row, 2)
            assert isinstance(combo, QComboBox)
            assert isinstance(begin, OptionalDate) and isinstance(end, OptionalDate)
            values.append(
                {"portion": combo.currentData(), "from": _iso(begin.value()), "until": _iso(end.value())}
            )
        return values

    def date_problem(self) -> str | None:
        """The first pause date typed that is not a date, in words."""
        for row in range(self.pauses.rowCount()):
            for column in (1, 2):
                field = self.pauses.cellWidget(row, column)
                problem = field.problem() if isinstance(field, OptionalDate) else None
                if problem:
                    return problem
        return None

    # -- the prediction --------------------------------------------------------------------
    def set_preview(self, types: Mapping[str, TypePreview]) -> None:
        """Predict from a new preview's per-type numbers ({}: none)."""
        self.preview_types = types
        self.update_predictions()

    def update_predictions(self) -> None:
        for portion, (predicted, verdict) in self.prediction.items():
            found = predict(self.preview_types, portion, self.threshold_boxes[portion].value())
            if found is None:
                predicted.setText("Preview an export to see")
                verdict.setText("")
                continue
            predicted.setText(found.text())
            verdict.setText(VERDICT_TEXT[found.verdict])
            verdict.setObjectName("heldTitle" if found.verdict == "held" else "hint")
            verdict.setStyleSheet("")

    # -- staging ---------------------------------------------------------------------------
    def stage_settings(self) -> None:
        """Stage the threshold and pause edits as one update_sync_settings operation."""
        settings = self.settings
        if settings is None:
            return
        problem = self.date_problem()
        if problem:
            self.settings_feedback.setText(problem)
            return
        pauses = self.pause_values()
        problem = pause_problem(pauses)
        if problem:
            self.settings_feedback.setText(problem)
            return
        thresholds = {p: float(box.value()) for p, box in self.threshold_boxes.items()}
        params = settings_change(settings, thresholds, pauses, self.daily.isChecked())
        if not params:
            self.settings_feedback.setText("Nothing changed: the settings are as shown.")
            return
        account = self.context.service
        operation = settings_operation(settings, params)
        self.stage.setEnabled(False)
        self.context.runner.op(lambda _ctx: account.stage([operation]), name="stage settings").success(
            self._staged
        ).always(lambda: self.stage.setEnabled(True)).run()

    def _staged(self, count: int) -> None:
        self.settings_feedback.setText(
            "Settings change added to your list. Nothing changes on the server until you review and "
            "send it (step 7)."
        )
        self.context.bridge.info(f"{count} change added to your list")
        self.context.outbox_changed()
        self.staged.emit()

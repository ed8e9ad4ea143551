"""Step 5, Non-returning students: archive (or delete) manual students who are not coming back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from connect_desktop.rollover import RosterFileError, StudentNumbers, read_student_numbers
from connect_desktop.rollover.plan import Plan, PlanFilter, Selection
from connect_desktop.rollover.students import (
    StudentAction,
    StudentItem,
    StudentRule,
    StudentRules,
    plan_students,
)
from connect_desktop.yearend.steps import StepSpec
from ui.dialog_dirs import start_dir
from ui.models.lazy_table import Column
from ui.wizard.confirm_delete import ConfirmDeleteDialog
from ui.wizard.page import WizardContext, label
from ui.wizard.plan_page import PlanPage

RULES: tuple[tuple[StudentRule, str, str], ...] = (
    (
        StudentRule.LEAVING_DISTRICT,
        "&Leaving the district (recommended)",
        "Graduates of your district's last grade, students marked as withdrawn and, once you choose "
        "next year's file, those not in it. Students moving up to another of your schools keep "
        "receiving messages.",
    ),
    (
        StudentRule.TOP_GRADE,
        "&Top grade of each school",
        "Also fifth and eighth graders moving up to your own middle and high schools: archiving them "
        "stops their families' messages. Only for schools whose leavers leave Connect.",
    ),
    (StudentRule.WITHDRAWN, "&Withdrawn", "Only students marked as withdrawn during the year."),
    (
        StudentRule.NOT_IN_FILE,
        "Not in the new &upload file",
        "Students whose student number is not in next year's file (CSV or Excel).",
    ),
    (
        StudentRule.EVERYONE,
        "Ev&eryone",
        "Every manual student: only right before a fresh upload of all new and returning students.",
    ),
)
_READS_THE_FILE = frozenset({StudentRule.LEAVING_DISTRICT, StudentRule.NOT_IN_FILE})
"""Rules that use next year's file once one is chosen."""
FILE_FILTER = "Student files (*.csv *.txt *.xlsx *.xlsm);;All files (*)"


@dataclass(frozen=True)
class StudentParams:
    rules: StudentRules
    action: StudentAction
    filters: PlanFilter


class NonReturningStudentsPage(PlanPage):
    explanation = (
        "Students who are not coming back next year should be archived, so they no longer receive "
        "messages. Archiving can be undone. Deleting removes them for good. Choose who is not coming "
        "back, check the list and leave out anyone who is returning. Students from your SIS sync are "
        "left to the sync."
    )
    noun = "students"
    columns = (
        Column("Student", 1),
        Column("Student number", 2),
        Column("Grade", 3),
        Column("School", 4),
        Column("Status", 5, lambda status: str(status).capitalize()),
        Column("Why", 6),
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.file_numbers: StudentNumbers | None = None
        self.file_path: Path | None = None
        self.confirm_dialog: ConfirmDeleteDialog | None = None

        self.rule_group = QButtonGroup(self)
        rules_box = QGroupBox("Who is not coming back")
        rules_box.setAccessibleName("Who is not coming back")
        rules_layout = QVBoxLayout(rules_box)
        self.rule_buttons: dict[StudentRule, QRadioButton] = {}
        for rule, text, tip in RULES:
            button = QRadioButton(text)
            button.setAccessibleName(text.replace("&", ""))
            button.setAccessibleDescription(tip)
            button.setToolTip(tip)
            self.rule_group.addButton(button)
            self.rule_buttons[rule] = button
            if rule is StudentRule.NOT_IN_FILE:
                row = QHBoxLayout()
                row.addWidget(button)
                self.choose_file = QPushButton("Choose &file…")
                self.choose_file.setAccessibleName("Choose the new year's student file")
                self.choose_file.clicked.connect(self.choose_file_dialog)
                row.addWidget(self.choose_file)
                row.addStretch(1)
                rules_layout.addLayout(row)
                self.file_status = label("No file chosen yet.", "hint")
                self.file_status.setAccessibleName("The chosen file")
                rules_layout.addWidget(self.file_status)
                self.file_error = label("", "errorText")
                self.file_error.setAccessibleName("Problem with the file")
                self.file_error.hide()
                rules_layout.addWidget(self.file_error)
            else:
                rules_layout.addWidget(button)
        # the chosen rule in plain words, on the page (every rule's words are its tooltip too)
        self.rule_hint = label("", "explanation")
        self.rule_hint.setAccessibleName("Whom this rule proposes")
        self.rule_group.buttonToggled.connect(lambda _button, _on: self._explain_rule())
        self.rule_buttons[StudentRule.LEAVING_DISTRICT].setChecked(True)
        self.rule_group.buttonToggled.connect(self._choice_toggled)

        self.action_group = QButtonGroup(self)
        action_box = QGroupBox("What to do with them")
        action_box.setAccessibleName("What to do with them")
        action_layout = QVBoxLayout(action_box)
        self.archive = QRadioButton("Archi&ve (can be undone; recommended)")
        self.archive.setAccessibleName("Archive")
        self.delete = QRadioButton("Delete &permanently")
        self.delete.setAccessibleName("Delete permanently")
        self.archive.setChecked(True)
        for button in (self.archive, self.delete):
            self.action_group.addButton(button)
            action_layout.addWidget(button)
        action_layout.addWidget(
            label("Deleting asks you to type a confirmation and cannot be undone.", "hint")
        )
        action_layout.addStretch(1)
        self.action_group.buttonToggled.connect(self._choice_toggled)

        self.options_row.addWidget(rules_box, 3)
        self.options_row.addWidget(action_box, 2)
        # under both boxes, the page's whole width: two lines, and the table keeps its rows
        self.body.insertWidget(self.body.indexOf(self.notes), self.rule_hint)
        self.add_school_filter()
        self.add_grade_filter()
        self.add_search("Name or student number")

    # -- rule, file and action ------------------------------------------------------------
    def _choice_toggled(self, _button: QAbstractButton, on: bool) -> None:
        if on:  # a radio group toggles twice per choice: the old button off, the new one on
            self.reload()

    def _explain_rule(self) -> None:
        self.rule_hint.setText(next(tip for rule, _text, tip in RULES if rule is self.rule()))

    def rule(self) -> StudentRule:
        return next(rule for rule, button in self.rule_buttons.items() if button.isChecked())

    def action(self) -> StudentAction:
        return StudentAction.DELETE if self.delete.isChecked() else StudentAction.ARCHIVE

    def choose_file_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose next year's student file", start_dir(self.file_path), FILE_FILTER
        )
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        """Read the file's student numbers in the background; its problem is shown on the page."""
        self.file_status.setText(f"Reading {path.name}…")
        self.file_error.hide()
        self.choose_file.setEnabled(False)

        def done(numbers: StudentNumbers) -> None:
            self.choose_file.setEnabled(True)
            self.file_path, self.file_numbers = path, numbers
            self.file_status.setText(
                f"{path.name}: {len(numbers.numbers):,} student numbers (column “{numbers.column}”)."
            )
            if self.rule() in _READS_THE_FILE:
                self.reload()
            else:
                self.rule_buttons[StudentRule.NOT_IN_FILE].setChecked(True)

        def failed(exc: BaseException) -> None:
            self.choose_file.setEnabled(True)
            if not isinstance(exc, RosterFileError | OSError):
                self.context.reporter.report(exc)
                return
            self.file_path, self.file_numbers = None, None
            self.file_status.setText("No file chosen yet.")
            self.file_error.setText(str(exc))
            self.file_error.show()
            if self.rule() in _READS_THE_FILE:
                self.reload()

        self.context.runner.run(
            lambda _ctx: read_student_numbers(path), on_success=done, on_failure=failed, name="read file"
        )

    # -- the plan --------------------------------------------------------------------------
    def plan_params(self) -> StudentParams | None:
        rule = self.rule()
        deleting = self.action() is StudentAction.DELETE
        self.add.setText("Add to &my changes…" if deleting else "Add to &my changes")
        self.add.setAccessibleName(
            "Add to my changes (asks for a typed confirmation)" if deleting else "Add to my changes"
        )
        if rule is StudentRule.NOT_IN_FILE and self.file_numbers is None:
            self.notes.setText("Choose next year's student file to see who is not in it.")
            return None
        numbers = self.file_numbers.numbers if self.file_numbers is not None else None
        rules = StudentRules.of(rule, file_numbers=numbers if rule in _READS_THE_FILE else None)
        return StudentParams(rules, self.action(), self.plan_filter())

    def build_plan(self, connection: Any, params: StudentParams) -> Plan[StudentItem]:
        return plan_students(connection, params.rules, action=params.action, filters=params.filters)

    def to_row(self, item: StudentItem) -> tuple[Any, ...]:
        return (item.id, item.name, item.student_number, item.grade, item.school, item.status, item.reason)

    # -- staging: a delete only with its typed phrase ---------------------------------------
    def stage_selection(self) -> None:
        plan, source = self.plan, self.source
        if plan is None or source is None or plan.permanent_noun is None:
            super().stage_selection()
            return
        selection = Selection.from_checks(*self.model.selection())
        selected, excluded = selection.only, selection.excluded
        self.add.setEnabled(False)
        self.context.runner.run(
            lambda _ctx: source.call(lambda p: p.confirmation_phrase(selected, excluded)),
            on_success=self._ask_confirmation,
            on_failure=self._stage_failed,
            name="confirmation phrase",
        )

    def _ask_confirmation(self, phrase: str | None) -> None:
        self._update_count()
        if phrase is None:
            return
        count = self.model.selected_count()
        what = "this student" if count == 1 else f"these {count:,} students"
        dialog = ConfirmDeleteDialog(phrase, what, self)
        dialog.accepted.connect(lambda: self.stage_with(dialog.confirmation()))
        dialog.download_reports.connect(lambda: self.context.go_to("reports"))
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.confirm_dialog = dialog
        dialog.open()

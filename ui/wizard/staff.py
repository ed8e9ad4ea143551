"""Step 3, Remove inactive staff: revoke the access of manual staff who left or no longer sign in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QCheckBox

from connect_desktop.domain.school_year import inactive_since_default
from connect_desktop.rollover.plan import Plan, PlanFilter, Selection
from connect_desktop.rollover.staff import (
    SignedInUser,
    StaffItem,
    StaffPlan,
    TaughtClassroom,
    plan_inactive_staff,
)
from connect_desktop.store.overview import FilterChoices
from connect_desktop.yearend.steps import StepSpec
from ui.date_field import DateField
from ui.flow_layout import FlowLayout
from ui.models.lazy_table import Column
from ui.wizard.page import WizardContext, label
from ui.wizard.plan_page import PlanPage

CONSEQUENCE_DELAY_MS = 150


def _role(role: object) -> str:
    return str(role).replace("_", " ").capitalize()


@dataclass(frozen=True)
class StaffParams:
    as_of: dt.date
    since: dt.date | None
    no_classroom: bool
    left: bool
    signed_in: SignedInUser
    filters: PlanFilter


def _when(value: dt.datetime | None) -> str:
    return "Never" if value is None else f"{value:%Y-%m-%d}"


class InactiveStaffPage(PlanPage):
    explanation = (
        "When staff members leave, remove their access to your Connect account. Their messages and "
        "history stay; access can be restored later. Choose who counts as inactive, check the list, "
        "and leave out anyone who is staying. District admins and you are never proposed; staff from "
        "your SIS sync lose access through the sync."
    )
    noun = "staff"
    columns = (
        Column("Name", 1),
        Column("Email", 2),
        Column("Role", 3, _role),
        Column("School", 4),
        Column("Why", 5),
        Column("Last sign-in", 6, _when),
        Column("Classes", 7, align_right=True),  # short: a narrow screen keeps the names
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self._since_touched = False
        self.use_since = QCheckBox("Not signed &in since")
        self.use_since.setAccessibleName("Include staff not signed in since a date")
        self.use_since.setChecked(True)
        start = inactive_since_default({}, context.today())  # until the cache's school years are read
        self.since = DateField("Not signed in since", start)
        self.no_classroom = QCheckBox("T&eachers with no classroom this year")
        self.no_classroom.setAccessibleName("Include teachers with no classroom this year")
        self.no_classroom.setChecked(True)
        self.left = QCheckBox("Marked as &left")
        self.left.setAccessibleName("Include staff marked as left")
        self.left.setChecked(True)
        self.use_since.toggled.connect(self.since.setEnabled)
        self.use_since.toggled.connect(lambda _on: self.reload())
        self.since.dateChanged.connect(self._since_changed)
        self.no_classroom.toggled.connect(lambda _on: self.reload())
        self.left.toggled.connect(lambda _on: self.reload())
        options = FlowLayout()  # wraps on a narrow screen instead of widening the window
        options.addWidget(label("Propose:", "hint"))
        options.addWidget(self.use_since)
        options.addWidget(self.since)
        options.addWidget(self.no_classroom)
        options.addWidget(self.left)
        self.options_row.addLayout(options, 1)
        self.add_school_filter()
        self.add_search("Name or email")
        self.consequence = label("", "sectionTitle")
        self.consequence.setAccessibleName("What removing the selected staff does")
        self.details = label("Select a person to see the classrooms they still teach.", "hint")
        self.details.setAccessibleName("Classrooms the highlighted person teaches")
        index = self.body.indexOf(self.table)
        self.body.insertWidget(index + 1, self.details)
        self.body.insertWidget(index + 2, self.consequence)
        self._consequence_timer = QTimer(self)
        self._consequence_timer.setSingleShot(True)
        self._consequence_timer.setInterval(CONSEQUENCE_DELAY_MS)
        self._consequence_timer.timeout.connect(self.update_consequence)
        self._consequence_generation = 0
        self._details_generation = 0
        self.model.selectionChanged.connect(lambda _count: self._consequence_timer.start())
        self.table.selectionModel().currentRowChanged.connect(self._show_details)

    # -- filters -----------------------------------------------------------------------
    def _since_changed(self, _day: dt.date) -> None:
        self._since_touched = True
        self.reload()

    def choices_loaded(self, choices: FilterChoices) -> None:
        super().choices_loaded(choices)
        wanted = inactive_since_default(choices.year_starts, self.context.today())
        if not self._since_touched and self.since.day() != wanted:
            self.since.set_day(wanted)
            self.reload()

    def plan_params(self) -> StaffParams:
        since = self.since.day() if self.use_since.isChecked() else None
        account = self.context.service.account
        return StaffParams(
            as_of=self.context.today(),
            since=since,
            no_classroom=self.no_classroom.isChecked(),
            left=self.left.isChecked(),
            signed_in=SignedInUser(email=getattr(account, "email", None)),
            filters=self.plan_filter(),
        )

    def build_plan(self, connection: Any, params: StaffParams) -> Plan[StaffItem]:
        return plan_inactive_staff(
            connection,
            as_of=params.as_of,
            since=params.since,
            no_classroom=params.no_classroom,
            left=params.left,
            signed_in=params.signed_in,
            filters=params.filters,
        )

    def to_row(self, item: StaffItem) -> tuple[Any, ...]:
        return (
            item.id,
            item.name,
            item.email or "",
            item.role,
            item.school,
            item.reason,
            item.last_sign_in_at,
            item.classrooms,
        )

    def reload(self) -> None:
        self._details_generation += 1
        self.details.setText("Select a person to see the classrooms they still teach.")
        super().reload()
        self.consequence.setText("")

    def plan_changed(self, plan: Plan[Any]) -> None:
        self.update_consequence()

    # -- consequence and details (each computed in the background) -----------------------
    def update_consequence(self) -> None:
        """Recount the classrooms the current selection would leave without a teacher."""
        source = self.source
        self._consequence_generation += 1
        generation = self._consequence_generation
        if source is None or self.plan is None:
            return
        if self.model.selected_count() == 0:
            self.consequence.setText("Select the staff whose access should end.")
            return
        selection = Selection.from_checks(*self.model.selection())
        selected, excluded = selection.only, selection.excluded
        self.consequence.setText("Counting what this changes…")

        def work(_ctx: object) -> str:
            return source.call(lambda plan: _consequence(plan, selected, excluded))

        def done(text: str) -> None:
            if generation == self._consequence_generation and source is self.source:
                self.consequence.setText(text)

        self.context.runner.run(work, on_success=done, on_failure=self._plan_failed, name="consequence")

    def _show_details(self, current: QModelIndex, _previous: QModelIndex) -> None:
        source = self.source
        if source is None or not current.isValid() or current.row() >= self.model.loaded:
            return
        row = self.model.row(current.row())
        staff_id, name, count = row[0], row[1], row[7]
        self._details_generation += 1
        generation = self._details_generation
        if not count:
            self.details.setText(f"{name} teaches no classroom this school year.")
            return
        self.details.setText(f"Looking up what {name} teaches…")

        def done(taught: list[TaughtClassroom]) -> None:
            if generation != self._details_generation:
                return
            names = ", ".join(f"{c.name} ({c.school})" if c.school else c.name for c in taught)
            noun = "classroom" if len(taught) == 1 else "classrooms"
            self.details.setText(f"{name} still teaches {len(taught)} {noun} this school year: {names}.")

        self.context.runner.run(
            lambda _ctx: source.call(lambda plan: _taught(plan, staff_id)),
            on_success=done,
            on_failure=self.context.reporter.report,
            name="classrooms taught",
        )


def _consequence(plan: Plan[Any], selected: frozenset[str] | None, excluded: frozenset[str]) -> str:
    assert isinstance(plan, StaffPlan)
    return plan.consequence(selected, excluded)


def _taught(plan: Plan[Any], staff_id: str) -> list[TaughtClassroom]:
    assert isinstance(plan, StaffPlan)
    return plan.classrooms_taught(staff_id)


__all__ = ["InactiveStaffPage"]

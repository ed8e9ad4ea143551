"""Step 4, Archive classrooms: active manual classrooms of past school years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connect_desktop.domain.school_year import school_year_label
from connect_desktop.rollover.classrooms import ClassroomItem, plan_classrooms
from connect_desktop.rollover.plan import Plan, PlanFilter
from connect_desktop.store.overview import FilterChoices
from connect_desktop.yearend.steps import StepSpec
from ui.models.lazy_table import Column
from ui.wizard.page import WizardContext
from ui.wizard.plan_page import ALL, PlanPage, buddy, fill


@dataclass(frozen=True)
class ClassroomParams:
    as_of: dt.date
    school_years: tuple[int, ...] | None
    filters: PlanFilter


class ArchiveClassroomsPage(PlanPage):
    explanation = (
        "It is best practice to archive the classrooms of past school years and create new classrooms "
        "for the new year. Archived classrooms keep their history and can be unarchived later. "
        "Classrooms from your SIS sync are left to the sync."
    )
    noun = "classrooms"
    columns = (
        Column("Classroom", 1),
        Column("School", 5),
        Column("School year", 7, school_year_label),
        Column("Term", 6),
        Column("Teachers", 8),
        Column("Students", 9, align_right=True),
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.school_year = self._combo("School year filter", "All past school years")
        self.filter_row.addWidget(buddy("School y&ear:", self.school_year))
        self.filter_row.addWidget(self.school_year)
        self.add_school_filter()
        self.add_search("Classroom name or course code")

    def choices_loaded(self, choices: FilterChoices) -> None:
        super().choices_loaded(choices)
        summary = self.context.summary
        ended = summary.last_ended_school_year if summary is not None else None
        past = [year for year in choices.school_years if ended is None or year <= ended]
        fill(self.school_year, [(year, school_year_label(year)) for year in reversed(past)])

    def plan_params(self) -> ClassroomParams:
        year = self.school_year.currentData()
        return ClassroomParams(
            self.context.today(),
            None if year in (ALL, None) else (int(year),),
            self.plan_filter(),
        )

    def build_plan(self, connection: Any, params: ClassroomParams) -> Plan[ClassroomItem]:
        return plan_classrooms(
            connection, as_of=params.as_of, school_years=params.school_years, filters=params.filters
        )

    def to_row(self, item: ClassroomItem) -> tuple[Any, ...]:
        name = item.name + (f" ({item.course_code})" if item.course_code else "")
        return (
            item.id,
            name,
            item.grade,
            item.reason,
            item.students,
            item.school,
            item.term,
            item.school_year,
            item.teachers,
            item.students,
        )

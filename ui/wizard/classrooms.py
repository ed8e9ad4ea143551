"""Step 4, Archive classrooms: active manual classrooms of past school years."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connect_desktop.rollover.classrooms import ClassroomItem, plan_classrooms
from connect_desktop.rollover.plan import Plan
from connect_desktop.rollover.years import school_year_label
from ui.models.lazy_table import Column
from ui.wizard.plan_page import PlanPage


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

    def make_plan(self, connection: Any) -> Plan[ClassroomItem]:
        return plan_classrooms(connection, as_of=self.context.as_of or dt.date.today())

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

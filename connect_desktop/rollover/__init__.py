"""Year-end planners; each returns a plan of operations and never writes.

A plan reads the cache lazily: `count`, `items()`, `page(offset, limit)`, and
`to_operations(selected_ids, excluded_ids)` for the outbox. Records a plan leaves
alone on purpose (synced ones, already staged ones) are listed in `skipped`.
"""

from connect_desktop.rollover.classrooms import ClassroomItem, plan_classrooms
from connect_desktop.rollover.plan import (
    ConfirmationError,
    Plan,
    PlanError,
    PlanFilter,
    PlannedOperation,
    Selection,
    Skipped,
)
from connect_desktop.rollover.roster_file import RosterFileError, StudentNumbers, read_student_numbers
from connect_desktop.rollover.staff import (
    SignedInUser,
    StaffItem,
    StaffPlan,
    StaffReason,
    TaughtClassroom,
    plan_inactive_staff,
)
from connect_desktop.rollover.students import (
    StudentAction,
    StudentItem,
    StudentRule,
    StudentRules,
    plan_students,
)
from connect_desktop.rollover.undo import UNDOABLE, inverse_operation, undo_operations
from connect_desktop.rollover.years import planned_school_year
from connect_desktop.yearend.steps import Step

__all__ = [
    "UNDOABLE",
    "ClassroomItem",
    "ConfirmationError",
    "Plan",
    "PlanError",
    "PlanFilter",
    "PlannedOperation",
    "RosterFileError",
    "Selection",
    "SignedInUser",
    "Skipped",
    "StaffItem",
    "StaffPlan",
    "StaffReason",
    "Step",
    "StudentAction",
    "StudentItem",
    "StudentNumbers",
    "StudentRule",
    "StudentRules",
    "TaughtClassroom",
    "inverse_operation",
    "plan_classrooms",
    "plan_inactive_staff",
    "plan_students",
    "planned_school_year",
    "read_student_numbers",
    "undo_operations",
]

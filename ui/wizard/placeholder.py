"""A step whose tools arrive later: explains the step and lets the user move on."""

from __future__ import annotations

from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.registry import StepSpec

GUIDANCE: dict[str, str] = {
    "reports": "Download the Connect reports you want to keep for documentation: staff, students, families, "
    "classrooms and rosters, message activity and sync history. Do this before anything changes.",
    "sync_rollover": "Your data rolls over automatically when your sync source "
    "(Clever, ClassLink or OneRoster) rolls over. Many changes at once can stop the sync at the "
    "deletion threshold; you can raise the threshold, approve one run, "
    "or pause the sync (or parts of it) until a set date.",
    "inactive_staff": "When staff members leave, remove their access to your school's account.",
    "non_returning_students": "Archive or delete students who are not coming back, or archive everyone "
    "before a fresh upload of new and returning students.",
    "merge_duplicates": "If you find students who were entered twice, merge them into one.",
    "back_to_school": "Import the new school year's staff, students, families and classrooms.",
}


class PlaceholderPage(StepPage):
    """The frame of a step owned by another part of the project (plugs in via the registry)."""

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.intro.setText(GUIDANCE.get(spec.step_id, spec.purpose))
        note = label(
            "The tools for this step are not part of this version of Connect Desktop yet. "
            "You can do it in the Connect web portal, then continue with the next step here.",
            "hint",
        )
        note.setAccessibleName("This step is done in the web portal for now")
        self.body.addWidget(note)
        self.body.addStretch(1)

"""A step whose tools arrive later: explains the step and lets the user move on."""

from __future__ import annotations

from connect_desktop.yearend.steps import StepSpec
from ui.wizard.page import StepPage, WizardContext, label

GUIDANCE: dict[str, str] = {
    "back_to_school": "Import the new school year's staff, students, families and classrooms.",
}


class PlaceholderPage(StepPage):
    """The frame of a step whose tools are not built yet: what the step is for, then move on."""

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

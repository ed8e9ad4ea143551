"""Done: what was sent, what still waits, and what comes next."""

from __future__ import annotations

from ui.wizard.page import StepPage, WizardContext, label
from ui.wizard.registry import StepSpec


class DonePage(StepPage):
    explanation = "You have been through every year-end step."

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.result = label("", "sectionTitle")
        self.result.setAccessibleName("What was done")
        self.next = label(
            "Next: when the new school year's data is ready, import it (Back to school), or let your "
            "SIS sync bring it in. You can come back to any step from the list on the left; your "
            "changes and your place are saved on this computer."
        )
        self.body.addWidget(self.result)
        self.body.addWidget(self.next)
        self.body.addStretch(1)

    def initialize_page(self) -> None:
        super().initialize_page()
        summary = self.context.summary
        if summary is None:
            return
        applied = sum(states.get("applied", 0) for states in summary.steps.values())
        waiting = summary.waiting
        trouble = summary.pending_states.get("conflict", 0) + summary.pending_states.get("rejected", 0)
        text = f"{applied:,} changes were applied in Connect."
        if waiting:
            text += f" {waiting:,} changes are still waiting to be sent (step 7)."
        if trouble:
            text += f" {trouble:,} changes need your decision (step 7)."
        self.result.setText(text)

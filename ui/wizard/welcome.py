"""Welcome: what kind of account this is (synced, manual or mixed) and which steps apply."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel

from connect_desktop.yearend.steps import STEPS, StepSpec
from ui.wizard.page import StepPage, WizardContext, label

KIND_TEXT = {
    "synced": "Everything in your account comes from your SIS sync{source}. The sync does most of the "
    "year-end work; this assistant helps you check it and keep copies.",
    "manual": "Everything in your account was uploaded or entered by hand. This assistant walks you "
    "through clearing out last year's records before the new upload.",
    "mixed": "Your account has records from your SIS sync{source} and records entered by hand. The sync "
    "takes care of its records; this assistant helps you with the ones entered by hand.",
    "empty": "Your account has no records yet.",
}


class WelcomePage(StepPage):
    explanation = (
        "This assistant prepares your Connect account for the new school year. Every step shows exactly "
        "which records would change. Nothing is sent to Connect until you review your changes and press Send."
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.kind = label("", "sectionTitle")
        self.kind.setAccessibleName("Your account")
        self.detail = label("")
        self.steps = QLabel()
        self.steps.setObjectName("explanation")
        self.steps.setWordWrap(True)
        self.steps.setAccessibleName("Steps for your account")
        self.body.addWidget(self.kind)
        self.body.addWidget(self.detail)
        self.body.addWidget(self.steps)
        self.body.addStretch(1)

    def initialize_page(self) -> None:
        super().initialize_page()
        summary = self.context.summary
        if summary is None:
            return
        kind = summary.account_kind
        source = f" ({summary.sync_source})" if summary.sync_source else ""
        self.kind.setText(
            {
                "synced": "A synced account",
                "manual": "A manual account",
                "mixed": "A mixed account",
                "empty": "An empty account",
            }[kind]
        )
        self.detail.setText(
            KIND_TEXT[kind].format(source=source) + f" ({summary.synced_records:,} records from the sync,"
            f" {summary.manual_records:,} entered by hand.)"
        )
        lines = []
        for step in STEPS:
            if step.number is None:
                continue
            reason = step.not_needed(summary)
            mark = html.escape("—  not needed: " + reason if reason else "—  " + step.purpose)
            lines.append(f"<li><b>{step.number}. {step.title}</b> {mark}</li>")
        self.steps.setText("<p>Your steps:</p><ul>" + "".join(lines) + "</ul>")

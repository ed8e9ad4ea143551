"""The base of the sync-rollover tabs: each loads and frees its own state."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.wizard.page import WizardContext


class RolloverTab(QWidget):
    """One tab of the step; the page calls `initialize` each time it is shown, `release` once."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context

    def initialize(self) -> None:
        """Load what the tab shows (the page was just shown)."""

    def release(self) -> None:
        """Free files, threads and connections now (the window closes)."""

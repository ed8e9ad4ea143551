"""The Sync rollover page: its four tabs, and how they pass the history, the selected run and
the preview's numbers to each other."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from connect_desktop.syncadmin.history import SyncStatus
from connect_desktop.yearend.steps import StepSpec
from ui.wizard.page import StepPage, WizardContext
from ui.wizard.sync_rollover.archives_tab import ArchivesTab
from ui.wizard.sync_rollover.history_tab import HistoryTab
from ui.wizard.sync_rollover.preview_tab import PreviewTab
from ui.wizard.sync_rollover.settings_tab import SettingsTab
from ui.wizard.sync_rollover.tab import RolloverTab


class SyncRolloverPage(StepPage):
    explanation = (
        "Your SIS sync rolls your data over when your SIS (Clever, ClassLink or OneRoster) rolls over. "
        "A sync never deletes: records that left the SIS are archived. When one run would archive more "
        "than the deletion threshold, it is held: creates and updates still apply, nothing is archived. "
        "Here you see what happened, approve a held run once, set thresholds, pause the sync, and "
        "preview the new year's export before it goes live."
    )

    def __init__(self, spec: StepSpec, context: WizardContext) -> None:
        super().__init__(spec, context)
        self.history = HistoryTab(context)
        self.archives = ArchivesTab(context)
        self.settings_tab = SettingsTab(context)
        self.preview_tab = PreviewTab(context)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Sync rollover sections")
        self.tabs.addTab(self.history, "&Status and history")
        self.tabs.addTab(self.archives, "&Tried to archive")
        self.tabs.addTab(self.settings_tab, "Threshold and &pause")
        self.tabs.addTab(self.preview_tab, "Rollover pre&view")
        self.body.addWidget(self.tabs, 1)
        self.history.run_selected.connect(lambda run: self.archives.show_run(run, self.history.for_schools))
        self.history.show_archives.connect(lambda: self.tabs.setCurrentWidget(self.archives))
        self.history.status_loaded.connect(self._status_loaded)
        self.settings_tab.staged.connect(self.history.reload)
        self.preview_tab.types_changed.connect(self.settings_tab.set_preview)

    @property
    def all_tabs(self) -> tuple[RolloverTab, ...]:
        return (self.history, self.archives, self.settings_tab, self.preview_tab)

    @property
    def settled(self) -> bool:
        """The history has been read and nothing is being read now."""
        return self.history.status_data is not None and not self.history.loading

    def _status_loaded(self, status: SyncStatus) -> None:
        self.settings_tab.load(status.settings)

    def initialize_page(self) -> None:
        super().initialize_page()
        for tab in self.all_tabs:
            tab.initialize()

    def leave_page(self) -> None:
        """Keep the preview (the user may come back); nothing to release."""

    def release(self) -> None:
        for tab in self.all_tabs:
            tab.release()

"""Step 2, Sync rollover: one page of four tabs (`page`), each in its own module.

- `history_tab`: sync status and history, a held run explained and approved once;
- `archives_tab`: what the selected run archived or tried to archive, and its export;
- `settings_tab`: deletion thresholds and pauses, staged as one change;
- `preview_tab`: the offline rollover preview of a new export.

The work and the words behind them are `connect_desktop.syncadmin`'s.
"""

from ui.wizard.sync_rollover.archives_tab import ArchivesTab
from ui.wizard.sync_rollover.history_tab import HistoryTab
from ui.wizard.sync_rollover.page import SyncRolloverPage
from ui.wizard.sync_rollover.preview_tab import PreviewTab
from ui.wizard.sync_rollover.settings_tab import SettingsTab

__all__ = ["ArchivesTab", "HistoryTab", "PreviewTab", "SettingsTab", "SyncRolloverPage"]

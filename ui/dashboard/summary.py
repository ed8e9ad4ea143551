"""The dashboard's numbers: the core's `Overview` under the name the UI uses.

They are read by `connect_desktop.store.overview.account_overview`, inside a background
task (`Account.summary`); this module only names the types for the widgets.
"""

from __future__ import annotations

from connect_desktop.store.overview import GradeCount, Overview, SyncRunInfo

Summary = Overview
"""Everything the dashboard and the wizard's welcome page show."""

__all__ = ["GradeCount", "Summary", "SyncRunInfo"]

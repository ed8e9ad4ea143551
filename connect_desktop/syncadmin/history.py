"""The sync history and settings as the cache holds them, and approving a held run once."""

from __future__ import annotations

from dataclasses import dataclass

from connect_desktop.api import sync_calls
from connect_desktop.store import sync_history
from connect_desktop.store.sync_history import SyncRunRow, SyncSettingsRow
from connect_desktop.syncadmin.account import SyncAccount


@dataclass(frozen=True)
class SyncStatus:
    settings: SyncSettingsRow | None
    runs: list[SyncRunRow]
    """Newest first."""
    schools: list[str] | None = None
    """The schools the runs' counts and lists cover (a school admin's); None: the whole district."""

    @property
    def latest_run(self) -> SyncRunRow | None:
        return self.runs[0] if self.runs else None

    @property
    def for_schools(self) -> bool:
        """True for a school admin: the server sends their schools' counts and list items only."""
        return self.schools is not None


def load_status(account: SyncAccount, limit: int = 200) -> SyncStatus:
    """The settings (with staged changes applied), the latest `limit` runs and the counts' scope."""
    with account.cache.sessions() as db:
        return SyncStatus(
            sync_history.sync_settings(db),
            sync_history.list_runs(db, limit=limit),
            sync_history.counts_scope(db),
        )


def scope_note(schools: list[str] | None) -> str:
    """What a school admin is told: the counts and lists are their schools' ("" for the district)."""
    if schools is None:
        return ""
    which = ", ".join(schools) if schools else "none yet"
    return (
        f"Counts and lists here are for your schools only ({which}), not the whole district. "
        "The deletion threshold counts the whole district; approving a held run is for district admins."
    )


def approve_run(account: SyncAccount) -> sync_calls.RunResult:
    """Run the sync once with archives allowed (not an outbox operation), then pull."""
    with account.client() as client:
        result = sync_calls.run_sync(client, approve_archives=True)
    account.pull()
    return result

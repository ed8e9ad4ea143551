"""The server's sync endpoints (`/sync/...`) as typed calls over `ApiClient`.

Pure helpers: each takes a client, makes one request and returns dataclasses. Running
the sync (and approving a held run's archives) is a direct call, not an outbox
operation; changing the sync settings is (`update_sync_settings`).

The server answers within the caller's scope: a school admin's runs carry their
schools' counts (summed, without schools and terms), their archive lists only their
schools' records, and their previews their schools' counts (`store.sync_history.counts_scope`
names those schools for the UI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from connect_desktop.api.client import ApiClient
from connect_desktop.api.errors import ServerError
from connect_desktop.api.schema import SyncArchiveItem, SyncArchivePage, SyncDiagnostic, SyncPreview

__all__ = [
    "ArchiveItem",
    "ArchivePage",
    "RunResult",
    "list_runs",
    "preview_sync",
    "run_archives",
    "run_sync",
    "sync_settings",
]


ArchiveItem = SyncArchiveItem
"""One record a run archived, or (held run) tried to archive."""
ArchivePage = SyncArchivePage
"""One page of a run's archive list; `archived` False means the run was held and only tried."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run as on the changes feed (`id`, `version`, `data`), and its findings."""

    run: dict[str, Any]
    diagnostics: list[SyncDiagnostic] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.run.get("data", {}).get("status", ""))

    @property
    def message(self) -> str:
        return str(self.run.get("data", {}).get("message") or "")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ServerError(f"malformed {what}")
    return value


def sync_settings(client: ApiClient) -> dict[str, Any]:
    """`GET /sync/settings`: the settings record as a change (`id`, `version`, `data`)."""
    return _dict(client.get_json("/sync/settings"), "sync settings")


def list_runs(client: ApiClient, limit: int = 100) -> list[dict[str, Any]]:
    """`GET /sync/runs`: the most recent runs, newest first, as changes."""
    body = client.get_json("/sync/runs", limit=limit)
    if not isinstance(body, list):
        raise ServerError("malformed list of sync runs")
    return [_dict(item, "sync run") for item in body]


def run_archives(
    client: ApiClient, run_id: str, *, type_: str | None = None, offset: int = 0, limit: int = 100
) -> ArchivePage:
    """`GET /sync/runs/{id}/archives`: one page of what the run archived or tried to."""
    params: dict[str, Any] = {"offset": offset, "limit": limit}
    if type_:
        params["type"] = type_
    body = client.get_json(f"/sync/runs/{run_id}/archives", **params)
    try:
        return SyncArchivePage.model_validate(body)
    except ValidationError:
        raise ServerError("malformed archive page") from None


def run_sync(client: ApiClient, *, approve_archives: bool = False) -> RunResult:
    """`POST /sync/runs`: run the sync now; `approve_archives` releases a held run's archives
    for this one run (the thresholds stay as they are)."""
    body = _dict(client.post_json("/sync/runs", {"approve_archives": approve_archives}), "run result")
    try:
        diagnostics = [SyncDiagnostic.model_validate(d) for d in body.get("diagnostics") or []]
    except ValidationError:
        raise ServerError("malformed run result") from None
    return RunResult(_dict(body.get("run"), "run"), diagnostics)


def preview_sync(client: ApiClient) -> SyncPreview:
    """`POST /sync/preview`: a dry run against the server's configured source (the caller's part)."""
    try:
        return SyncPreview.model_validate(client.post_json("/sync/preview"))
    except ValidationError:
        raise ServerError("malformed sync preview") from None

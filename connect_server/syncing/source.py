"""Read the configured source into a rostering snapshot."""

from __future__ import annotations

from pathlib import Path

from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.snapshot import Snapshot
from connect_desktop.rostering.validate import read_snapshot
from connect_server.syncing.config import SourceConfig, csv_path


class SourceUnavailableError(Exception):
    """The source is not set up, or its kind cannot be read yet (message for people)."""


def read_source(source: SourceConfig | None, diags: Diagnostics, work_dir: Path | None = None) -> Snapshot:
    """The source's snapshot (close it when done); check `diags.errors` before using it.

    Raises `SourceUnavailableError`, or the engine's `SourceError` for an unreadable export.
    """
    if source is None:
        raise SourceUnavailableError(
            "No sync source is set up. Set one with `connect-server sync set-source`."
        )
    if source.kind == "oneroster-csv":
        return read_snapshot(csv_path(source), diags, work_dir=work_dir)
    raise SourceUnavailableError(
        f"Syncing from {source.kind} is not available on this server yet; "
        "use a OneRoster CSV export (oneroster-csv) for now."
    )

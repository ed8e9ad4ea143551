"""Read the configured source into a rostering snapshot."""

from __future__ import annotations

from pathlib import Path

from connect_desktop.rostering.clever_api import API_URL, CleverSource, read_clever_api
from connect_desktop.rostering.clever_csv import read_clever_csv
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.oneroster_rest import RestSource, read_oneroster_rest
from connect_desktop.rostering.snapshot import Snapshot
from connect_desktop.rostering.validate import read_snapshot
from connect_server.syncing.config import REST_KINDS, SourceConfig, csv_path


class SourceUnavailableError(Exception):
    """The source is not set up, or its kind cannot be read yet (message for people)."""


def read_source(source: SourceConfig | None, diags: Diagnostics, work_dir: Path | None = None) -> Snapshot:
    """The source's snapshot (close it when done); check `diags.errors` before using it.

    Raises `SourceUnavailableError`, or the engine's `SourceError` for an unreadable export
    or a SIS that cannot be reached or rejects the credentials.
    """
    if source is None:
        raise SourceUnavailableError(
            "No sync source is set up. Set one with `connect-server sync set-source`."
        )
    if source.kind == "oneroster-csv":
        return read_snapshot(csv_path(source), diags, work_dir=work_dir)
    if source.kind == "clever-csv":
        return read_clever_csv(csv_path(source), diags, work_dir=work_dir)
    if source.kind in REST_KINDS:
        return read_oneroster_rest(rest_source(source), diags, work_dir=work_dir)
    if source.kind == "clever-api":
        return read_clever_api(clever_source(source), diags, work_dir=work_dir)
    raise SourceUnavailableError(f"Syncing from {source.kind} is not available on this server.")


def rest_source(source: SourceConfig) -> RestSource:
    """The REST reader's settings; `classlink` is always OneRoster 1.1 (OAuth 1.0a signed)."""
    config = source.config
    version = "1.1" if source.kind == "classlink" else config.get("version") or None
    return RestSource(
        str(config.get("url", "")),
        str(config.get("client_id", "")),
        str(config.get("client_secret", "")),
        version=version,
        token_url=config.get("token_url") or None,
    )


def clever_source(source: SourceConfig) -> CleverSource:
    return CleverSource(str(source.config.get("token", "")), str(source.config.get("url") or API_URL))

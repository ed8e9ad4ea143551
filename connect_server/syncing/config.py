"""Where the sync reads from (secret) and how it behaves (the settings record)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connect_desktop.rostering.clever_api import API_URL as CLEVER_API_URL
from connect_desktop.rostering.current import plan_settings, type_thresholds
from connect_desktop.rostering.plan import PlanSettings
from connect_server.models import SyncSettings, SyncSourceSecret
from connect_server.sequence import allocate_seqs

SOURCE_KINDS: tuple[str, ...] = ("oneroster-csv", "oneroster-rest", "classlink", "clever-api", "clever-csv")
"""Source kinds a sync can be set up with and run from (`classlink`: OneRoster 1.1 REST)."""
FILE_KINDS: tuple[str, ...] = ("oneroster-csv", "clever-csv")
REST_KINDS: tuple[str, ...] = ("oneroster-rest", "classlink")

_SECRET_ID = 1
__all__ = [
    "FILE_KINDS",
    "REST_KINDS",
    "SOURCE_KINDS",
    "SourceConfig",
    "SyncConfig",
    "csv_path",
    "load_config",
    "load_source",
    "save_source",
    "type_thresholds",
]


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """The configured source: its kind and settings (which may hold credentials)."""

    kind: str
    config: Mapping[str, Any]

    @property
    def label(self) -> str:
        """What people may see of the source: a path or URL, never a credential."""
        if self.kind in FILE_KINDS:
            return str(self.config.get("path", ""))
        if self.kind in REST_KINDS:
            return _public(str(self.config.get("url", "")))
        url = _public(str(self.config.get("url") or ""))
        return f"Clever API at {url}" if url and url.rstrip("/") != CLEVER_API_URL else "Clever API"


def _public(url: str) -> str:
    """The URL without a user name or password in it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if "@" in parts.netloc else url


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """The settings record as the runner needs it."""

    id: str
    daily_sync: bool
    pauses: list[dict[str, Any]]
    thresholds: dict[str, float]

    def plan_settings(self) -> PlanSettings:
        """Pauses and thresholds for the planner; thresholds are stored per portion."""
        return plan_settings(self.pauses, self.thresholds)


def load_config(session: Session) -> SyncConfig:
    row = session.execute(
        select(SyncSettings.id, SyncSettings.daily_sync, SyncSettings.pauses, SyncSettings.thresholds)
        .order_by(SyncSettings.seq)
        .limit(1)
    ).one()
    return SyncConfig(row.id, bool(row.daily_sync), list(row.pauses or []), dict(row.thresholds or {}))


def load_source(session: Session) -> SourceConfig | None:
    row = session.get(SyncSourceSecret, _SECRET_ID)
    return SourceConfig(row.kind, dict(row.config or {})) if row is not None else None


def save_source(session: Session, source: SourceConfig) -> None:
    """Store the source (credentials stay server-side) and show its kind and label in the settings."""
    if source.kind not in SOURCE_KINDS:
        raise ValueError(f"Unknown source kind {source.kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    row = session.get(SyncSourceSecret, _SECRET_ID)
    if row is None:
        session.add(SyncSourceSecret(id=_SECRET_ID, kind=source.kind, config=dict(source.config)))
    else:
        row.kind, row.config = source.kind, dict(source.config)
    settings = session.execute(
        select(SyncSettings.id, SyncSettings.source_kind, SyncSettings.source_label)
        .order_by(SyncSettings.seq)
        .limit(1)
    ).one()
    label = source.label[:500]
    if (settings.source_kind, settings.source_label) != (source.kind, label):
        (seq,) = allocate_seqs(session, 1)
        session.execute(
            update(SyncSettings)
            .where(SyncSettings.id == settings.id)
            .values(source_kind=source.kind, source_label=label, version=SyncSettings.version + 1, seq=seq)
        )


def csv_path(source: SourceConfig) -> Path:
    return Path(str(source.config.get("path", "")))

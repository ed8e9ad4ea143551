"""Where the desktop keeps its files: app data folder, per-account cache file names."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "ConnectDesktop"
HOME_ENV = "CONNECT_DESKTOP_HOME"


def data_dir() -> Path:
    """The app data folder (created, owner-only); `CONNECT_DESKTOP_HOME` overrides it."""
    override = os.environ.get(HOME_ENV)
    folder = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def server_key(server_url: str) -> str:
    """A normalised `scheme://host:port` for a server URL (paths and case ignored)."""
    parts = urlsplit(server_url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{host}:{port}"


def cache_file_name(server_url: str, user_id: str) -> str:
    """A file name for one account's cache that reveals nothing about the account."""
    digest = hashlib.sha256(f"{server_key(server_url)}\n{user_id}".encode()).hexdigest()[:24]
    return f"cache-{digest}.sqlite3"


def cache_path(server_url: str, user_id: str) -> Path:
    return data_dir() / cache_file_name(server_url, user_id)


def cache_files(path: Path) -> list[Path]:
    """The cache file with its SQLite side files, migration backups and damaged copies set
    aside (`store.rescue`), those that exist."""
    candidates = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]
    for kind in ("bak", "damaged", "orphan"):
        candidates += sorted(path.parent.glob(f"{path.name}.{kind}-*"))
    return [p for p in candidates if p.exists()]

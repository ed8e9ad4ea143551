"""The remembered account (server, e-mail, user id): a small JSON file, never a secret."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from connect_desktop.credentials import write_private
from connect_desktop.store.paths import cache_path, data_dir

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class AccountSettings:
    """Which account this computer works with; no password or token."""

    server_url: str
    email: str
    user_id: str
    ca_bundle: str | None = None

    @property
    def cache_path(self) -> Path:
        return cache_path(self.server_url, self.user_id)


def settings_path() -> Path:
    return data_dir() / SETTINGS_FILE


def load_account() -> AccountSettings | None:
    try:
        raw = json.loads(settings_path().read_text(encoding="utf-8"))
        return AccountSettings(**raw["account"]) if raw.get("account") else None
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_account(account: AccountSettings | None) -> None:
    write_private(settings_path(), json.dumps({"account": asdict(account) if account else None}, indent=2))

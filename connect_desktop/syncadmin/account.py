"""What the sync-rollover work needs of the signed-in account (`connect_desktop.account.Account`)."""

from __future__ import annotations

from typing import Any, Protocol

from connect_desktop.api.client import ApiClient
from connect_desktop.store.db import Cache


class SyncAccount(Protocol):
    """The account's cache, a client to its server, and a pull that brings the cache up to date."""

    cache: Cache

    def client(self) -> ApiClient: ...

    def pull(self) -> Any: ...

"""The signed-in account as the UI sees it: a thin facade over `connect_desktop` services.

Every method here blocks on the network or the disk, so it is only ever called inside
a background task (`ui.tasks`). It returns plain dataclasses; no widget sees the cache,
the client or SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connect_desktop import session as account_session
from connect_desktop.api.client import ApiClient
from connect_desktop.api.schema import UserInfo
from connect_desktop.rollover import undo_operations
from connect_desktop.rollover.undo import UndoableChange, count_undoable, list_undoable
from connect_desktop.settings import AccountSettings
from connect_desktop.signout import revoked_earlier_message, unsent_changes
from connect_desktop.store import overview, queries
from connect_desktop.store.db import Cache
from connect_desktop.sync.progress import CancelToken, ProgressSink
from connect_desktop.sync.pull import PAGE_SIZE_ENV, PullResult, pull
from ui import outbox_adapter

log = logging.getLogger(__name__)

GUI_PULL_PAGE_SIZE = 2_000
"""Smaller feed pages than the CLI's: decoding a page holds the GIL, and shorter holds keep
the GUI thread's heartbeat steady (tests/benchmarks/gui_responsiveness.py). The
`CONNECT_DESKTOP_PAGE_SIZE` environment variable still overrides it."""


@dataclass(frozen=True)
class SendOutcome:
    """What one send did, counted per result."""

    applied: int
    conflict: int
    rejected: int
    not_sent: int = 0


class AccountService:
    """One signed-in account: its cache, a client factory and the services over them."""

    def __init__(
        self,
        account: AccountSettings,
        user: UserInfo | None,
        cache: Cache,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.account = account
        self.user = user
        self.cache = cache
        self.today = today
        """The app's one clock for "today" (a fixed day in the demo and in tests)."""
        self._pull_lock = threading.Lock()
        self.notice: str | None = None
        """Something to tell once the main window shows (e.g. earlier sessions ended)."""
        self.rescue_notice: str | None = None
        """What the rescue of a damaged local copy at sign-in did (shown in a message box)."""

    # -- sign in ---------------------------------------------------------------------
    @classmethod
    def sign_in(
        cls,
        server_url: str,
        email: str,
        password: str,
        ca_bundle: str | None = None,
        insecure_http: bool = False,
    ) -> AccountService:
        """Sign in (token to the keyring) and open the account's cache; the bundle is remembered."""
        signed_in = account_session.login(
            server_url, email, password, ca_bundle=ca_bundle, insecure_http=insecure_http, rescue_damaged=True
        )
        cache = account_session.open_account_cache(signed_in.account)
        service = cls(signed_in.account, signed_in.user, cache)
        if signed_in.revoked_earlier:
            service.notice = revoked_earlier_message(signed_in.revoked_earlier)
        if signed_in.rescued:
            service.rescue_notice = (
                f"{signed_in.rescued.message} The rest of your data was downloaded again from the server."
            )
        return service

    @property
    def display_name(self) -> str:
        if self.user is not None and self.user.display_name:
            return self.user.display_name
        return self.account.email

    @property
    def server_url(self) -> str:
        return self.account.server_url

    @property
    def user_id(self) -> str:
        return self.account.user_id

    def client(self) -> ApiClient:
        return account_session.client_for(self.account)

    def close(self) -> None:
        self.cache.close()

    # -- signing out -------------------------------------------------------------------
    def sign_out(self) -> str:
        """End the session on the server (or at the next contact); what to tell the user."""
        with self._pull_lock:
            return account_session.logout(self.account).message

    def unsent_changes(self) -> int | None:
        """Staged changes not sent yet (None: they cannot be counted)."""
        return unsent_changes(self.account.cache_path)

    def remove_local_data(self) -> str:
        """Close the cache, sign out and delete this computer's copy; what to tell the user."""
        with self._pull_lock:
            self.cache.close()
            return account_session.remove_local_data(self.account).message

    # -- sync ------------------------------------------------------------------------
    def pull(self, progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> PullResult:
        """Bring the cache up to date (one pull at a time)."""
        with self._pull_lock, self.client() as client:
            page_size = None if os.environ.get(PAGE_SIZE_ENV) else GUI_PULL_PAGE_SIZE
            result = pull(self.cache, client, page_size=page_size, progress=progress, cancel=cancel)
        account_session.revoke_pending(self.account)  # the server answered: end offline sign-outs
        return result

    def full_pull_done(self) -> bool:
        with self.cache.sessions() as db:
            return overview.full_pull_done(db)

    # -- reading ---------------------------------------------------------------------
    def summary(self, as_of: dt.date | None = None) -> overview.Overview:
        with self.cache.sessions() as db:
            return overview.account_overview(db, as_of=as_of or self.today())

    def pending(
        self, states: Iterable[str] = queries.REVIEW_STATES, limit: int = 100_000
    ) -> list[queries.PendingRow]:
        with self.cache.sessions() as db:
            return queries.list_pending(db, states=tuple(states), limit=limit).rows

    def recent_results(self, op_ids: Iterable[str]) -> list[queries.PendingRow]:
        """The stored state of these operations, after a send."""
        wanted = set(op_ids)
        states = ("applied", "conflict", "rejected", "pending", "sending", "discarded")
        return [row for row in self.pending(states) if row.op_id in wanted]

    def labels(self, rows: Iterable[queries.PendingRow]) -> dict[str, str]:
        """A short human name for each operation's target (classroom name, student name…)."""
        with self.cache.sessions() as db:
            return overview.target_labels(db, rows)

    def target_names(self, targets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        with self.cache.sessions() as db:
            return overview.target_names(db, targets)

    def filter_choices(self) -> overview.FilterChoices:
        """Schools, grades and school years for the year-end pages' filters."""
        with self.cache.sessions() as db:
            return overview.filter_choices(db)

    def undoable_count(self) -> int:
        """Sent year-end changes that can still be restored."""
        with self.cache.engine.connect() as connection:
            return count_undoable(connection)

    def undoable_page(self, offset: int, limit: int) -> list[UndoableChange]:
        """A page of sent year-end changes that can still be restored, newest first."""
        with self.cache.engine.connect() as connection:
            return list_undoable(connection, offset=offset, limit=limit)

    # -- staging and sending ----------------------------------------------------------
    def stage(self, operations: Iterable[Any], batch: str | None = None) -> int:
        return outbox_adapter.stage(self.cache, operations, batch)

    def stage_restore(self, op_ids: Iterable[str] | None = None, batch: str | None = None) -> int:
        """Stage the inverse of sent year-end changes (these op_ids, or this batch); how many.

        Changes already restored (or being restored) are left out. The restores are
        staged like any change: nothing happens until they are reviewed and sent.
        """
        wanted = None if op_ids is None else sorted(set(op_ids))
        with self.cache.engine.connect() as connection:
            inverse = list(undo_operations(connection, op_ids=wanted, batch=batch))
        return outbox_adapter.stage(self.cache, inverse) if inverse else 0

    def discard(self, op_ids: Iterable[str]) -> int:
        return outbox_adapter.discard(self.cache, op_ids)

    def send(
        self,
        excluded: Iterable[str] = (),
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> SendOutcome:
        """Send every pending operation but `excluded` (they stay pending), then pull the new state."""
        with self.client() as client:
            counts = outbox_adapter.push(self.cache, client, excluded, progress=progress, cancel=cancel)
        self.pull()
        return SendOutcome(**counts)

    def refresh_and_retry(self, op_ids: Iterable[str]) -> int:
        """Pull the latest data, then stage the conflicted operations again on the fresh versions."""
        self.pull()
        return outbox_adapter.restage(self.cache, op_ids)

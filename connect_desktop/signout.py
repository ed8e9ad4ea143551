"""Signing out for real: the server revokes the token, or does so at the next contact.

The local token is always forgotten at once. When the server cannot be told, the token
is kept "to revoke" beside the tokens (OS keyring, else the owner-only file, see
`credentials`) and revoked the next time this computer reaches that server: at
sign-in or sync.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from connect_desktop.api import errors
from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.credentials import TokenStore
from connect_desktop.settings import AccountSettings
from connect_desktop.store.queries import REVIEW_STATES

log = logging.getLogger(__name__)

ONE_TRY = RetryPolicy(attempts=1)
"""Signing out does not wait for retries: what fails now is retried at the next contact."""


class Outcome(enum.Enum):
    REVOKED = "revoked"
    """The server ended the session: the old token is refused from now on."""
    DEFERRED = "deferred"
    """The server was out of reach: the token is revoked at the next contact."""
    NO_TOKEN = "no_token"
    """This computer held no sign-in for the account any more."""
    NOBODY = "nobody"


@dataclass(frozen=True)
class SignOutResult:
    account: AccountSettings | None
    outcome: Outcome
    revoked_earlier: int = 0
    """Tokens of earlier offline sign-outs that the server revoked on this occasion."""

    @property
    def message(self) -> str:
        """What happened, in words for the user."""
        if self.outcome is Outcome.NOBODY:
            return "Nobody was signed in."
        if self.outcome is Outcome.NO_TOKEN:
            return "You were already signed out on this computer."
        if self.outcome is Outcome.DEFERRED:
            assert self.account is not None
            return (
                "Signed out on this computer, but the Connect server could not be reached or did not "
                "answer, so your session is still valid there. This computer ends it the next time it "
                f"connects to {self.account.server_url} (when you sign in or sync); otherwise it "
                "expires by itself."
            )
        return "Signed out. The Connect server has ended your session." + _earlier(self.revoked_earlier)


def revoked_earlier_message(count: int) -> str:
    """Told after a sign-in or sync that revoked tokens of earlier offline sign-outs."""
    return _earlier(count).strip()


def _earlier(count: int) -> str:
    if not count:
        return ""
    sessions = "session" if count == 1 else "sessions"
    return f" The server also ended {count} earlier {sessions} you had signed out of while offline."


def revoke_on_server(server_url: str, token: str, ca_bundle: str | None) -> bool:
    """Ask the server to revoke `token`; False when it could not be reached or did not answer."""
    try:
        with ApiClient(server_url, token=token, ca_bundle=ca_bundle, retry=ONE_TRY) as client:
            client.sign_out()
    except errors.SignedOut:
        return True  # expired or revoked already: it cannot be used any more either way
    except errors.ApiError as exc:
        log.info("could not revoke a token on the server (%s)", type(exc).__name__)
        return False
    return True


def sign_out(account: AccountSettings | None, tokens: TokenStore) -> SignOutResult:
    """Revoke the account's token on its server (or remember it to), then forget it here."""
    if account is None:
        return SignOutResult(None, Outcome.NOBODY)
    token = tokens.load(account.server_url, account.email)
    if not token:
        return SignOutResult(account, Outcome.NO_TOKEN)
    revoked = revoke_on_server(account.server_url, token, account.ca_bundle)
    if not revoked:
        tokens.remember_revocation(account.server_url, token)  # before the token is forgotten
    tokens.delete(account.server_url, account.email)
    if not revoked:
        log.info("signed out user %s; the token is revoked at the next contact", account.user_id)
        return SignOutResult(account, Outcome.DEFERRED)
    earlier = revoke_pending(account.server_url, account.ca_bundle, tokens)
    log.info("signed out user %s; the server revoked the token", account.user_id)
    return SignOutResult(account, Outcome.REVOKED, earlier)


def revoke_pending(server_url: str, ca_bundle: str | None, tokens: TokenStore) -> int:
    """Revoke the tokens still waiting for this server; how many it revoked now."""
    done: list[str] = []
    for token in tokens.to_revoke(server_url):
        if not revoke_on_server(server_url, token, ca_bundle):
            break  # out of reach again: the rest waits for the next contact too
        done.append(token)
    if done:
        tokens.forget_revocations(server_url, done)
        log.info("revoked %d token(s) of earlier offline sign-outs", len(done))
    return len(done)


def unsent_changes(cache_path: Path) -> int | None:
    """Staged changes in this cache file not (known to be) applied on the server.

    Read without opening the cache as such (which could migrate it); None when the file
    cannot be read.
    """
    if not cache_path.exists():
        return 0
    marks = ", ".join("?" for _ in REVIEW_STATES)
    try:
        connection = sqlite3.connect(f"{cache_path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = connection.execute(
                f"SELECT count(*) FROM pending_operation WHERE state IN ({marks})", REVIEW_STATES
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        log.warning("could not count the staged changes (%s)", type(exc).__name__)
        return None
    return int(row[0])

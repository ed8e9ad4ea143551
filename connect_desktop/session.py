"""Signing in and out, and the services of the signed-in account (client, cache)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete

from connect_desktop import signout
from connect_desktop.api.address import check_ca_bundle, check_server_url
from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.api.schema import UserInfo
from connect_desktop.credentials import Notify, TokenStore
from connect_desktop.errors import KnownError
from connect_desktop.settings import AccountSettings, load_account, save_account
from connect_desktop.store import rescue
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.store.errors import CacheDamagedError
from connect_desktop.store.models import Account
from connect_desktop.store.paths import cache_files

log = logging.getLogger(__name__)


class NotSignedIn(KnownError):  # noqa: N818
    """No account is signed in on this computer (or its token is gone)."""

    user_message = "You are not signed in. Sign in first (connect-desktop login --server URL --user EMAIL)."


@dataclass(frozen=True)
class SignedIn:
    account: AccountSettings
    user: UserInfo
    revoked_earlier: int = 0
    """Tokens of earlier offline sign-outs from this server, revoked now (see `signout`)."""
    rescued: rescue.Rescued | None = None
    """A damaged local copy found at sign-in and rescued (with `rescue_damaged`)."""


def login(
    server_url: str,
    email: str,
    password: str,
    *,
    ca_bundle: str | None = None,
    insecure_http: bool = False,
    notify: Notify | None = None,
    tokens: TokenStore | None = None,
    rescue_damaged: bool = False,
) -> SignedIn:
    """Sign in, keep the token (keyring or private file), remember the account, open its cache.

    `AddressError` for plain http:// to another computer without `insecure_http`, or a
    `ca_bundle` that is not a file; the bundle is remembered with the account. With
    `rescue_damaged`, a damaged cache is rescued (`store.rescue`) instead of refused.
    """
    server_url = check_server_url(server_url, insecure_http=insecure_http)
    ca_bundle = check_ca_bundle(ca_bundle)
    with ApiClient(server_url, ca_bundle=ca_bundle) as client:
        answer = client.sign_in(email, password)
    store = tokens or TokenStore(notify=notify)
    store.save(server_url, email, answer.access_token)
    account = AccountSettings(
        server_url=server_url.rstrip("/"), email=email, user_id=answer.user.id, ca_bundle=ca_bundle
    )
    save_account(account)
    rescued = None
    problem = rescue.needs_rescue(account.cache_path) if rescue_damaged else None
    if isinstance(problem, CacheDamagedError):  # a newer version's cache is left for that version
        owner = rescue.Owner(account.server_url, account.user_id, email)
        rescued = rescue.rescue(account.cache_path, owner, problem=problem)
    # Signing in reads every page (needs_rescue has just done so): a damaged cache shows now.
    with (
        open_cache(account.cache_path, thorough=not rescue_damaged) as cache,
        cache.sessions.begin() as session,
    ):
        session.execute(delete(Account))
        session.add(
            Account(
                id=1,
                server_url=account.server_url,
                user_id=answer.user.id,
                email=answer.user.email,
                role=answer.user.role.value,
                school_ids=list(answer.user.school_ids),
                display_name=answer.user.display_name,
            )
        )
    log.info("signed in as user %s", answer.user.id)
    revoked = signout.revoke_pending(server_url, ca_bundle, store)
    return SignedIn(account=account, user=answer.user, revoked_earlier=revoked, rescued=rescued)


def current_account() -> AccountSettings:
    account = load_account()
    if account is None:
        raise NotSignedIn
    return account


def client_for(
    account: AccountSettings, *, tokens: TokenStore | None = None, retry: RetryPolicy | None = None
) -> ApiClient:
    """A client carrying the account's token; `NotSignedIn` when there is none."""
    token = (tokens or TokenStore()).load(account.server_url, account.email)
    if not token:
        raise NotSignedIn
    return ApiClient(account.server_url, token=token, ca_bundle=account.ca_bundle, retry=retry)


def open_account_cache(account: AccountSettings) -> Cache:
    return open_cache(account.cache_path)


def revoke_pending(account: AccountSettings, *, tokens: TokenStore | None = None) -> int:
    """At a contact with the account's server: revoke tokens left by offline sign-outs; how many."""
    return signout.revoke_pending(account.server_url, account.ca_bundle, tokens or TokenStore())


def logout(
    account: AccountSettings | None = None, *, tokens: TokenStore | None = None
) -> signout.SignOutResult:
    """Sign out `account` (default: the remembered one): the server revokes the token (at
    the next contact if it cannot be reached). The account stays remembered (without
    secrets) and its cache kept.
    """
    return signout.sign_out(account or load_account(), tokens or TokenStore())


@dataclass(frozen=True)
class Removal:
    removed: list[Path]
    unsent: int | None
    """Staged changes that were never sent and are gone now (None: could not be counted)."""
    signed_out: signout.SignOutResult

    @property
    def message(self) -> str:
        """What happened, in words for the user."""
        if self.unsent is None:
            lost = " Staged changes that were not sent could not be counted; they are gone too."
        elif self.unsent == 0:
            lost = ""
        elif self.unsent == 1:
            lost = " 1 staged change that was not sent is gone with it."
        else:
            lost = f" {self.unsent:,} staged changes that were not sent are gone with it."
        files = f"{len(self.removed)} file{'' if len(self.removed) == 1 else 's'}"
        return f"This computer's copy was removed ({files}).{lost} {self.signed_out.message}"


def remove_local_data(account: AccountSettings, *, tokens: TokenStore | None = None) -> Removal:
    """Sign out (as `logout`) and delete the account's cache with its side files and backups."""
    unsent = signout.unsent_changes(account.cache_path)
    signed_out = signout.sign_out(account, tokens or TokenStore())
    removed = cache_files(account.cache_path)
    for path in removed:
        path.unlink(missing_ok=True)
    if load_account() == account:
        save_account(None)
    log.info("removed %d local file(s) of user %s", len(removed), account.user_id)
    return Removal(removed, unsent, signed_out)

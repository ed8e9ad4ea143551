"""Signing in and out, and the services of the signed-in account (client, cache)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete

from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.api.schema import UserInfo
from connect_desktop.credentials import Notify, TokenStore
from connect_desktop.settings import AccountSettings, load_account, save_account
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.store.models import Account
from connect_desktop.store.paths import cache_files

log = logging.getLogger(__name__)


class NotSignedIn(Exception):  # noqa: N818
    """No account is signed in on this computer (or its token is gone)."""

    user_message = "You are not signed in. Sign in first (connect-desktop login --server URL --user EMAIL)."


@dataclass(frozen=True)
class SignedIn:
    account: AccountSettings
    user: UserInfo


def login(
    server_url: str,
    email: str,
    password: str,
    *,
    ca_bundle: str | None = None,
    notify: Notify | None = None,
    tokens: TokenStore | None = None,
) -> SignedIn:
    """Sign in, keep the token (keyring or private file), remember the account, open its cache."""
    with ApiClient(server_url, ca_bundle=ca_bundle) as client:
        answer = client.sign_in(email, password)
    (tokens or TokenStore(notify=notify)).save(server_url, email, answer.access_token)
    account = AccountSettings(
        server_url=server_url.rstrip("/"), email=email, user_id=answer.user.id, ca_bundle=ca_bundle
    )
    save_account(account)
    with open_cache(account.cache_path) as cache, cache.sessions.begin() as session:
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
    return SignedIn(account=account, user=answer.user)


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


def logout(*, tokens: TokenStore | None = None) -> AccountSettings | None:
    """Forget the token; the account stays remembered (without secrets) and its cache kept."""
    account = load_account()
    if account is not None:
        (tokens or TokenStore()).delete(account.server_url, account.email)
        log.info("signed out user %s", account.user_id)
    return account


def remove_local_data(account: AccountSettings, *, tokens: TokenStore | None = None) -> list[Path]:
    """Sign out and delete the account's cache with its side files and backups."""
    (tokens or TokenStore()).delete(account.server_url, account.email)
    removed = cache_files(account.cache_path)
    for path in removed:
        path.unlink(missing_ok=True)
    if load_account() == account:
        save_account(None)
    log.info("removed %d local file(s) of user %s", len(removed), account.user_id)
    return removed

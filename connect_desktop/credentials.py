"""Where access tokens (and signed-out ones still to revoke) live: the OS keyring, or a private file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
from jaraco.classes import properties
from keyring.backend import KeyringBackend

from connect_desktop.store.paths import data_dir, server_key

log = logging.getLogger(__name__)

SERVICE = "connect-desktop"
FALLBACK_FILE = "tokens.json"
MAX_TO_REVOKE = 20
"""Signed-out tokens kept per server: they expire within hours anyway, and keyrings limit
a secret's size (Windows: 2,560 bytes)."""

Notify = Callable[[str], None]

FALLBACK_WARNING = (
    "This computer has no secure password store (keyring), so your sign-in is kept in a file "
    "that only your user account can read. Sign out when you are done on a shared computer."
)


def token_key(server_url: str, email: str) -> str:
    return f"{server_key(server_url)}|{email.strip().lower()}"


def revocation_key(server_url: str) -> str:
    return f"{server_key(server_url)}|to-revoke"


def keyring_usable(backend: KeyringBackend | None = None) -> bool:
    backend = backend or keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring):
        return False
    backends = getattr(backend, "backends", None)  # the chainer: usable if it chains anything
    return backends is None or bool(backends)


class TokenStore:
    """Saves, loads and forgets access tokens, keyed by server and e-mail address."""

    def __init__(self, folder: Path | None = None, notify: Notify | None = None) -> None:
        self._folder = folder
        self._notify = notify

    @property
    def fallback_path(self) -> Path:
        return (self._folder or data_dir()) / FALLBACK_FILE

    def save(self, server_url: str, email: str, token: str) -> None:
        self._put(token_key(server_url, email), token, announce=True)

    def load(self, server_url: str, email: str) -> str | None:
        return self._get(token_key(server_url, email))

    def delete(self, server_url: str, email: str) -> None:
        self._remove(token_key(server_url, email))

    # -- tokens still to be revoked on their server ----------------------------------------

    def remember_revocation(self, server_url: str, token: str) -> None:
        """Keep a signed-out token (same store as tokens) to revoke at the next contact."""
        kept = [t for t in self.to_revoke(server_url) if t != token] + [token]
        self._put(revocation_key(server_url), json.dumps(kept[-MAX_TO_REVOKE:]), announce=False)

    def to_revoke(self, server_url: str) -> list[str]:
        raw = self._get(revocation_key(server_url))
        try:
            tokens = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []

    def forget_revocations(self, server_url: str, tokens: Iterable[str]) -> None:
        done = set(tokens)
        kept = [t for t in self.to_revoke(server_url) if t not in done]
        if kept:
            self._put(revocation_key(server_url), json.dumps(kept), announce=False)
        else:
            self._remove(revocation_key(server_url))

    # -- keyring first, the private file where there is none --------------------------------

    def _put(self, key: str, value: str, *, announce: bool) -> None:
        if keyring_usable():
            try:
                keyring.set_password(SERVICE, key, value)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring refused a secret (%s); using the private file", type(exc).__name__)
            else:
                self._forget_file(key)
                return
        if announce:
            self._warn()
        entries = self._read_file()
        entries[_file_key(key)] = value
        self._write_file(entries)

    def _get(self, key: str) -> str | None:
        if keyring_usable():
            try:
                value = keyring.get_password(SERVICE, key)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring could not be read (%s)", type(exc).__name__)
            else:
                if value:
                    return value
        return self._read_file().get(_file_key(key))

    def _remove(self, key: str) -> None:
        if keyring_usable():
            with contextlib.suppress(keyring.errors.KeyringError):
                keyring.delete_password(SERVICE, key)
        self._forget_file(key)

    # -- the private file ---------------------------------------------------------------

    def _warn(self) -> None:
        log.warning("no keyring backend; the access token goes to a private file")
        if self._notify:
            self._notify(FALLBACK_WARNING)

    def _read_file(self) -> dict[str, str]:
        path = self.fallback_path
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in entries.items() if isinstance(v, str)} if isinstance(entries, dict) else {}

    def _write_file(self, entries: dict[str, str]) -> None:
        path = self.fallback_path
        write_private(path, json.dumps(entries))

    def _forget_file(self, key: str) -> None:
        entries = self._read_file()
        if entries.pop(_file_key(key), None) is not None:
            if entries:
                self._write_file(entries)
            else:
                self.fallback_path.unlink(missing_ok=True)


def _file_key(key: str) -> str:
    """The file stores a hash of server+e-mail, not the address itself."""
    return hashlib.sha256(key.encode()).hexdigest()


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    with contextlib.suppress(OSError):
        temporary.chmod(0o600)
    temporary.replace(path)


class MemoryKeyring(KeyringBackend):
    """Secrets kept in this process only: for the self-test and the tests, never the user's keyring.

    Install it with `keyring.set_keyring(MemoryKeyring())`; keyring never picks it by
    itself (its priority refuses to be read).
    """

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - a class property
        raise RuntimeError("MemoryKeyring is only ever installed explicitly")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's KeyringBackend.__init__ is unannotated
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)

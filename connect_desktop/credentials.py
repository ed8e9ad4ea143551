"""Where the access token lives: the OS keyring, or a private file where there is none."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
from keyring.backend import KeyringBackend

from connect_desktop.store.paths import data_dir, server_key

log = logging.getLogger(__name__)

SERVICE = "connect-desktop"
FALLBACK_FILE = "tokens.json"

Notify = Callable[[str], None]

FALLBACK_WARNING = (
    "This computer has no secure password store (keyring), so your sign-in is kept in a file "
    "that only your user account can read. Sign out when you are done on a shared computer."
)


def token_key(server_url: str, email: str) -> str:
    return f"{server_key(server_url)}|{email.strip().lower()}"


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
        key = token_key(server_url, email)
        if keyring_usable():
            try:
                keyring.set_password(SERVICE, key, token)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring refused the token (%s); using the private file", type(exc).__name__)
            else:
                self._forget_file(key)
                return
        self._warn()
        entries = self._read_file()
        entries[_file_key(key)] = token
        self._write_file(entries)

    def load(self, server_url: str, email: str) -> str | None:
        key = token_key(server_url, email)
        if keyring_usable():
            try:
                token = keyring.get_password(SERVICE, key)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring could not be read (%s)", type(exc).__name__)
            else:
                if token:
                    return token
        return self._read_file().get(_file_key(key))

    def delete(self, server_url: str, email: str) -> None:
        key = token_key(server_url, email)
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

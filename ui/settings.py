"""UI state kept in QSettings, declared in one place: last server, e-mail and certificate
file, wizard place.

Never a password or a token: those live in the OS keyring (connect_desktop.auth).
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Connect"
APPLICATION = "ConnectDesktop"
DEFAULT_SERVER = "https://"


def _account_key(server_url: str, user_id: str) -> str:
    return hashlib.sha256(f"{server_url}\n{user_id}".encode()).hexdigest()[:16]


class UiSettings:
    """Typed accessors over a QSettings store (tests pass an INI file)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    def _str(self, key: str, default: str = "") -> str:
        value = self._store.value(key, default)
        return value if isinstance(value, str) else default

    @property
    def server_url(self) -> str:
        return self._str("signin/server_url", DEFAULT_SERVER)

    @server_url.setter
    def server_url(self, value: str) -> None:
        self._store.setValue("signin/server_url", value)

    @property
    def email(self) -> str:
        return self._str("signin/email")

    @email.setter
    def email(self, value: str) -> None:
        self._store.setValue("signin/email", value)

    @property
    def ca_bundle(self) -> str:
        """The certificate file chosen under "Advanced" at the last sign-in; "" for none."""
        return self._str("signin/ca_bundle")

    @ca_bundle.setter
    def ca_bundle(self, value: str) -> None:
        self._store.setValue("signin/ca_bundle", value)

    def wizard_page(self, server_url: str, user_id: str) -> str:
        return self._str(f"wizard/{_account_key(server_url, user_id)}/page")

    def set_wizard_page(self, server_url: str, user_id: str, page_id: str) -> None:
        self._store.setValue(f"wizard/{_account_key(server_url, user_id)}/page", page_id)
        self._store.sync()

    def step_done(self, server_url: str, user_id: str, step_id: str) -> str:
        """What the user finished on a step that stages nothing (e.g. reports saved); "" if not."""
        return self._str(f"wizard/{_account_key(server_url, user_id)}/done/{step_id}")

    def set_step_done(self, server_url: str, user_id: str, step_id: str, text: str) -> None:
        self._store.setValue(f"wizard/{_account_key(server_url, user_id)}/done/{step_id}", text)
        self._store.sync()

    def window_geometry(self) -> QByteArray | None:
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_window_geometry(self, value: QByteArray) -> None:
        self._store.setValue("window/geometry", value)

    def sync(self) -> None:
        self._store.sync()

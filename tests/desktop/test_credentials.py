"""The token: OS keyring when there is one, otherwise a private file with a warning."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from connect_desktop.credentials import SERVICE, MemoryKeyring, TokenStore, revocation_key, token_key
from connect_desktop.session import login, logout
from connect_desktop.signout import Outcome
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District
from tests.support.server import LiveServer


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_without_a_keyring_the_token_goes_to_a_private_file_with_a_warning(home: Path) -> None:
    warnings: list[str] = []
    store = TokenStore(notify=warnings.append)
    store.save("https://connect.example.org", "Ann@Example.org", "secret-token")
    assert warnings and "keyring" in warnings[0]
    path = store.fallback_path
    assert path.parent == home and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "example" not in path.read_text().lower()  # keys are hashed
    assert TokenStore().load("https://connect.example.org/", "ann@example.org") == "secret-token"
    store.delete("https://connect.example.org", "ann@example.org")
    assert TokenStore().load("https://connect.example.org", "ann@example.org") is None
    assert not path.exists()


def test_with_a_keyring_the_token_goes_there_and_no_file_is_written(memory_keyring: MemoryKeyring) -> None:
    warnings: list[str] = []
    store = TokenStore(notify=warnings.append)
    store.save("https://connect.example.org", "ann@example.org", "secret-token")
    assert memory_keyring.secrets == {
        (SERVICE, token_key("https://connect.example.org", "ann@example.org")): "secret-token"
    }
    assert not warnings and not store.fallback_path.exists()
    assert store.load("https://connect.example.org", "ann@example.org") == "secret-token"
    store.delete("https://connect.example.org", "ann@example.org")
    assert memory_keyring.secrets == {}


def test_login_and_logout_use_the_keyring(
    memory_keyring: MemoryKeyring, live_server: LiveServer, district: District, home: Path
) -> None:
    signed_in = login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert list(memory_keyring.secrets) == [(SERVICE, token_key(live_server.url, ADMIN_EMAIL))]
    settings = (home / "settings.json").read_text()
    assert (
        ADMIN_PASSWORD not in settings
        and memory_keyring.secrets[(SERVICE, token_key(live_server.url, ADMIN_EMAIL))] not in settings
    )
    assert signed_in.account.cache_path.exists()
    logout()
    assert memory_keyring.secrets == {}


def test_an_offline_sign_out_keeps_the_token_to_revoke_in_the_keyring_only(
    memory_keyring: MemoryKeyring, live_server: LiveServer, district: District, home: Path
) -> None:
    login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    token = memory_keyring.secrets[(SERVICE, token_key(live_server.url, ADMIN_EMAIL))]
    live_server.stop()
    try:
        result = logout()
    finally:
        live_server.start()
    assert result.outcome is Outcome.DEFERRED
    assert memory_keyring.secrets == {(SERVICE, revocation_key(live_server.url)): json.dumps([token])}
    assert not TokenStore().fallback_path.exists()
    assert not any(token in path.read_text(errors="replace") for path in home.rglob("*") if path.is_file())
    login(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert list(memory_keyring.secrets) == [(SERVICE, token_key(live_server.url, ADMIN_EMAIL))]

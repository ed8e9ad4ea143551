"""The account service over the real reference server (loopback), a small district, signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connect_desktop.account import Account
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District, district, home
from tests.support.server import LiveServer

__all__ = ["District", "district", "home"]


@pytest.fixture
def account(live_server: LiveServer, district: District) -> Iterator[Account]:
    """Signed in as the district admin, with the district downloaded."""
    service = Account.sign_in(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    service.pull()
    try:
        yield service
    finally:
        service.close()

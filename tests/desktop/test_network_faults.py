"""A connection reset or an answer cut short, in any phase: a plain message, never a traceback.

The client talks to the real server through a loopback proxy that breaks chosen
connections (tests/support/fault_proxy.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import text

from connect_desktop import cli
from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.api.errors import BadAddress, Unreachable
from connect_desktop.settings import load_account
from connect_desktop.store.db import open_cache
from tests.desktop.conftest import District
from tests.desktop.serverdata import cache_snapshot, server_snapshot
from tests.desktop.test_cli import login, run
from tests.support.fault_proxy import FaultProxy
from tests.support.server import LiveServer


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[FaultProxy]:
    port = int(live_server.url.rsplit(":", 1)[1])
    with FaultProxy(port) as running:
        yield running


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RetryPolicy, "backoff_s", 0.01)


def _cache_equals_server(live_server: LiveServer) -> None:
    account = load_account()
    assert account is not None
    with open_cache(account.cache_path) as cache:
        assert cache_snapshot(cache) == server_snapshot(live_server.sessions)


def _server_like(proxy: FaultProxy, live_server: LiveServer) -> LiveServer:
    """The live server, addressed through the proxy (what `login` stores and later syncs use)."""
    return cast(LiveServer, SimpleNamespace(url=proxy.url))  # `login` reads only `.url`


@pytest.mark.parametrize("fault", ["truncate", "reset"])
def test_a_pull_cut_short_is_retried_and_completes(
    capsys: pytest.CaptureFixture[str],
    live_server: LiveServer,
    district: District,
    proxy: FaultProxy,
    fault: str,
) -> None:
    assert login(capsys, _server_like(proxy, live_server)) == cli.OK
    proxy.fail_next(fault, 2)  # type: ignore[arg-type]
    code, _, err = run(capsys, "sync", "--pull-only")
    assert proxy.injected.count(fault) == 2  # type: ignore[arg-type]
    assert code == cli.OK, err
    assert "Traceback" not in err
    _cache_equals_server(live_server)


def test_a_pull_that_keeps_failing_says_so_plainly_and_the_next_one_resumes(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, proxy: FaultProxy
) -> None:
    assert login(capsys, _server_like(proxy, live_server)) == cli.OK
    proxy.fail_always("truncate")
    code, _, err = run(capsys, "sync", "--pull-only")
    assert code == cli.UNREACHABLE
    assert "cannot be reached" in err and "Nothing was lost" in err
    assert "Traceback" not in err and "IncompleteRead" not in err and "ChunkedEncoding" not in err
    proxy.heal()
    code, _, err = run(capsys, "sync", "--pull-only")
    assert code == cli.OK, err
    _cache_equals_server(live_server)


def test_a_push_whose_answer_is_lost_is_applied_exactly_once(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District, proxy: FaultProxy
) -> None:
    assert login(capsys, _server_like(proxy, live_server)) == cli.OK
    assert run(capsys, "sync", "--pull-only")[0] == cli.OK
    student = district.students[0]["id"]
    code, _, err = run(capsys, "stage", "archive_student", "--id", student)
    assert code == cli.OK, err
    proxy.fail_next("drop_answer")  # the server applies it, the answer never arrives
    code, _, err = run(capsys, "sync", "--push-only")
    assert proxy.injected == ["drop_answer"]
    assert code == cli.OK, err
    assert "Traceback" not in err
    with live_server.sessions() as session:
        applied = session.execute(
            text("SELECT count(*) FROM audit_log WHERE kind = 'archive_student' AND target_id = :id"),
            {"id": student},
        ).scalar_one()
    assert applied == 1
    account = load_account()
    assert account is not None
    with open_cache(account.cache_path) as cache, cache.sessions() as session:
        states = session.execute(text("SELECT state FROM pending_operation")).scalars().all()
    assert states == ["applied"]


def test_an_answer_cut_short_on_the_client_is_the_typed_error() -> None:
    with FaultProxy(1) as proxy:  # nothing listens upstream: every answer is broken
        proxy.fail_always("truncate")
        with (
            ApiClient(proxy.url, token="t", retry=RetryPolicy(attempts=2, backoff_s=0.01)) as client,
            pytest.raises(Unreachable),
        ):
            client.changes(0, 10)


def test_an_address_with_no_scheme_is_a_plain_message() -> None:
    with (
        ApiClient("connect.example.org", token="t", retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(BadAddress) as caught,
    ):
        client.changes(0, 10)
    assert "https://" in caught.value.user_message

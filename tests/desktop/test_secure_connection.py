"""TLS and addresses: an explicit CA bundle beats the environment and is remembered; plain
http:// to another computer needs an explicit choice (loopback excepted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connect_desktop import cli
from connect_desktop.api.address import AddressError, check_server_url, needs_insecure_choice, with_scheme
from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.settings import load_account
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District, build_district
from tests.desktop.test_cli import run
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer, add_user
from tests.support.tls import self_signed


@pytest.fixture
def bogus_ca_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE naming a real bundle that trusts another server."""
    other = self_signed(tmp_path / "other").cert_file
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))
    return other


@pytest.fixture
def tls_district(tls_server: LiveServer) -> District:
    add_user(tls_server.sessions, ADMIN_EMAIL, "district_admin", ADMIN_PASSWORD)
    return build_district(RecordBuilder(tls_server.sessions))


def _login(capsys: pytest.CaptureFixture[str], server: str, *extra: str) -> tuple[int, str, str]:
    args = ("login", "--server", server, "--user", ADMIN_EMAIL, "--password-stdin", *extra)
    return run(capsys, *args, stdin=ADMIN_PASSWORD + "\n")


def test_an_explicit_ca_bundle_wins_over_the_environment(
    tls_server: LiveServer, tls_district: District, bogus_ca_env: Path
) -> None:
    assert tls_server.tls is not None
    bundle = str(tls_server.tls.cert_file)
    with ApiClient(tls_server.url, ca_bundle=bundle, retry=RetryPolicy(attempts=1)) as client:
        assert client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).user.email == ADMIN_EMAIL


def test_cli_login_keeps_the_ca_bundle_for_later_syncs(
    capsys: pytest.CaptureFixture[str],
    tls_server: LiveServer,
    tls_district: District,
    bogus_ca_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert tls_server.tls is not None
    code, _, err = _login(capsys, tls_server.url)
    assert code == cli.CERTIFICATE and "certificate" in err  # the environment's bundle, as before
    trusted = tmp_path / "it" / "district-ca.pem"
    trusted.parent.mkdir()
    trusted.write_bytes(tls_server.tls.cert_file.read_bytes())
    monkeypatch.chdir(trusted.parent)
    code, _, err = _login(capsys, tls_server.url, "--ca-bundle", trusted.name)
    assert code == cli.OK, err
    account = load_account()
    assert account is not None and account.ca_bundle == str(trusted)  # absolute
    monkeypatch.chdir(tmp_path)  # later runs start elsewhere
    code, _, err = run(capsys, "sync")
    assert code == cli.OK, err
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["counts"]["student"] == len(tls_district.students)
    trusted.unlink()
    code, _, err = run(capsys, "sync")
    assert code == cli.CERTIFICATE and "certificate file" in err and "Traceback" not in err


def test_cli_login_with_a_missing_ca_bundle_is_a_plain_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _login(capsys, "https://connect.example.org", "--ca-bundle", str(tmp_path / "none.pem"))
    assert code == cli.USAGE
    assert "does not exist" in err and "Traceback" not in err
    assert load_account() is None


@pytest.mark.parametrize(
    "server", ["http://connect.example.org", "http://10.1.2.3:8000/", "HTTP://[fe80::1]"]
)
def test_cli_refuses_plain_http_to_another_computer(capsys: pytest.CaptureFixture[str], server: str) -> None:
    code, out, err = _login(capsys, server)
    assert code == cli.USAGE
    assert "uses plain http://, which is not encrypted" in err and "--insecure-http" in err
    assert "Traceback" not in err and out == ""
    assert load_account() is None


def test_cli_allows_plain_http_to_another_computer_when_told_and_warns(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    # 0.0.0.0 is no loopback address, yet connecting to it reaches this computer's server.
    server = f"http://0.0.0.0:{live_server.port}"
    assert needs_insecure_choice(server)
    code, _, err = _login(capsys, server, "--insecure-http")
    assert code == cli.OK, err
    assert "Warning: This address uses plain http://" in err
    account = load_account()
    assert account is not None and account.server_url == server


def test_cli_allows_plain_http_to_this_computer_without_a_choice(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, district: District
) -> None:
    code, _, err = _login(capsys, live_server.url)
    assert code == cli.OK and "Warning" not in err


@pytest.mark.parametrize(
    ("server", "needs_choice"),
    [
        ("http://127.0.0.1:8000", False),
        ("http://127.200.3.4/", False),
        ("http://[::1]:8000", False),
        ("http://localhost:8000", False),
        ("http://LocalHost./", False),
        ("https://connect.example.org", False),
        ("https://10.0.0.5", False),
        ("http://connect.example.org", True),
        ("http://10.0.0.5:8000", True),
        ("http://128.0.0.1", True),
        ("http://127.0.0.1.example.org", True),
        ("http://localhost.example.org", True),
        ("http://[::2]", True),
    ],
)
def test_which_addresses_need_the_insecure_choice(server: str, needs_choice: bool) -> None:
    assert needs_insecure_choice(server) is needs_choice
    if needs_choice:
        with pytest.raises(AddressError):
            check_server_url(server)
        assert check_server_url(server, insecure_http=True) == server.rstrip("/")
    else:
        assert check_server_url(server) == server.rstrip("/")


@pytest.mark.parametrize(
    "server",
    ["connect.example.org", "ftp://connect.example.org", "https://", "", "http://[::1", "http://[zz]"],
)
def test_what_is_not_a_server_address(server: str) -> None:
    assert not needs_insecure_choice(server)  # nothing to warn about while it is being typed
    with pytest.raises(AddressError) as caught:
        check_server_url(server, insecure_http=True)
    assert "is not a server address" in caught.value.user_message


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1:8000/api/v1", "http://127.0.0.1:8000/api/v1"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("connect.example.org", "https://connect.example.org"),
        ("10.0.0.5:8443", "https://10.0.0.5:8443"),
        ("http://connect.example.org", "http://connect.example.org"),
    ],
)
def test_an_address_without_a_scheme_gets_http_only_for_this_computer(typed: str, address: str) -> None:
    assert with_scheme(typed) == address


def test_the_api_address_the_server_prints_is_taken_as_the_server_address() -> None:
    assert check_server_url("http://127.0.0.1:8000/api/v1") == "http://127.0.0.1:8000"
    assert check_server_url("https://connect.example.org/api/v1/") == "https://connect.example.org"

"""Failures become typed errors with plain messages (real server, real sockets)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from connect_desktop.api.client import ApiClient, RetryPolicy
from connect_desktop.api.errors import CertificateProblem, SignedOut, Unreachable, WrongCredentials
from tests.desktop.conftest import ADMIN_EMAIL, District
from tests.support.server import LiveServer
from tests.support.tls import self_signed

NO_RETRY = RetryPolicy(attempts=1)


def test_wrong_password_is_a_plain_message(live_server: LiveServer, district: District) -> None:
    with ApiClient(live_server.url, retry=NO_RETRY) as client, pytest.raises(WrongCredentials) as caught:
        client.sign_in(ADMIN_EMAIL, "not the password")
    assert caught.value.user_message.startswith("The e-mail address or password is not correct")


def test_a_bad_token_means_signed_out(live_server: LiveServer) -> None:
    with ApiClient(live_server.url, token="forged", retry=NO_RETRY) as client, pytest.raises(SignedOut):
        client.changes(0, 10)


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    retry = RetryPolicy(attempts=2, backoff_s=0.01)
    with (
        ApiClient(f"http://127.0.0.1:{port}", token="t", retry=retry) as client,
        pytest.raises(Unreachable) as caught,
    ):
        client.changes(0, 10)
    assert "cannot be reached" in caught.value.user_message


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    certificate = self_signed(tmp_path)

    class Quiet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_self_signed_certificate_is_a_certificate_problem(self_signed_server: str) -> None:
    with (
        ApiClient(self_signed_server, token="t", retry=NO_RETRY) as client,
        pytest.raises(CertificateProblem) as caught,
    ):
        client.changes(0, 10)
    assert "certificate" in caught.value.user_message

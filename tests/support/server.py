"""A real Connect server on a loopback port, for every test suite.

    with LiveServer(make_database(url)) as server:
        requests.post(server.api + "/auth/token", json={...})

The server runs uvicorn in a background thread on a socket bound here, so `stop()`
followed by `start()` brings it back on the same port (for tests that cut the
connection mid-push).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType

import uvicorn
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import API_PREFIX
from connect_server.app import DEFAULT_TOKEN_TTL, create_app
from connect_server.clock import Clock
from connect_server.db import open_database
from connect_server.users import add_user as _add_user
from tests.support.tls import Certificate

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap argon2 parameters for test users (verification reads them from the hash)."""


def make_database(url: str) -> sessionmaker[Session]:
    """Create or migrate the server database at `url` and return its session factory."""
    return open_database(url)


def add_user(
    sessions: sessionmaker[Session],
    email: str,
    role: str,
    password: str,
    school_ids: Iterable[str] = (),
    staff_id: str | None = None,
    display_name: str = "",
) -> str:
    """Add a sign-in user (cheaply hashed) and return their id."""
    return _add_user(sessions, email, role, password, school_ids, staff_id, display_name, hasher=FAST_HASHER)


class LiveServer:
    """The reference server's real app, served by uvicorn on 127.0.0.1 (over TLS with `tls`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        token_ttl: dt.timedelta = DEFAULT_TOKEN_TTL,
        clock: Clock | None = None,
        port: int = 0,
        tls: Certificate | None = None,
        root_path: str = "",
    ) -> None:
        self.sessions = sessions
        self.app = create_app(sessions, token_ttl=token_ttl, clock=clock)
        self.port = port
        self.tls = tls
        self.root_path = root_path
        """As behind a proxy that strips this prefix: clients still call `url`."""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.url + API_PREFIX

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, timeout: float = 10.0) -> LiveServer:
        """Start serving (again, on the same port once one was chosen)."""
        if self._thread is not None:
            return self
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so,
        # and without it every keep-alive response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
            ssl_certfile=self.tls.cert_file if self.tls else None,
            ssl_keyfile=self.tls.key_file if self.tls else None,
            root_path=self.root_path,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the live server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (the database stays as it is)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

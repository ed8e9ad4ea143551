"""`--demo`: the reference server embedded on a free loopback port, with a seeded district.

Everything lives in one folder (a temporary one unless `--demo-dir` is given), and
`CONNECT_DESKTOP_HOME` points there too, so the demo never touches the user's real data.
This is the only UI module allowed to import `connect_server`.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from connect_server import seed
from connect_server.app import create_app
from connect_server.db import open_database
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source

log = logging.getLogger(__name__)

DEMO_STUDENTS = 2_000
DEMO_AS_OF = dt.date(2026, 6, 20)
"""The demo district's "today": end of the 2025–26 school year."""


@dataclass
class DemoDistrict:
    """A running demo server and how to sign in to it."""

    url: str
    email: str
    password: str
    folder: Path
    packages: Path | None = None
    """The demo's OneRoster exports: `current.zip` (the sync source) and `next-year.zip`."""
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _sessions: object = field(default=None, repr=False)

    @property
    def next_year(self) -> Path | None:
        """The new school year's export, to preview (and to sync, to show a held run)."""
        path = self.packages / "next-year.zip" if self.packages is not None else None
        return path if path is not None and path.exists() else None

    def sync_from(self, package: Path) -> str:
        """Make `package` the server's sync source and run the sync once; the run's status."""
        assert self._sessions is not None
        with self._sessions.begin() as session:  # type: ignore[attr-defined]
            save_source(session, SourceConfig("oneroster-csv", {"path": str(package.resolve())}))
        return str(run_sync(self._sessions, today=DEMO_AS_OF).run.status)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        engine = getattr(self._sessions, "kw", {}).get("bind")
        if engine is not None:
            engine.dispose()
        self._server = self._thread = None


def start_demo(folder: Path, students: int = DEMO_STUDENTS) -> DemoDistrict:
    """Seed (first time only) and serve the demo district from `folder`; blocks for seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "demo-server.db"
    url = f"sqlite:///{db_path}"
    packages = folder / "packages"
    fresh = not db_path.exists()
    if fresh:
        log.info("seeding a demo district of %d students", students)
        seed.seed_district(url, students, seed=1, as_of=DEMO_AS_OF, packages_dir=packages)
    sessions = open_database(url)
    if fresh:
        run_sync(sessions, trigger="scheduled", today=DEMO_AS_OF)  # a first run, so there is sync history
    app = create_app(sessions)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="demo-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.01)
    email = getattr(seed, "DEMO_ADMIN_EMAIL", "admin@demo.connect.test")
    password = getattr(seed, "DEMO_ADMIN_PASSWORD", "connect-demo-admin")
    log.info("demo server on port %d", port)
    return DemoDistrict(
        f"http://127.0.0.1:{port}", email, password, folder, packages, server, thread, sessions
    )

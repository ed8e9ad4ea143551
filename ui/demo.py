"""`--demo`: a seeded demo district, served by the reference server in a process of its own.

The demo folder (a temporary one unless `--demo-dir` is given) holds `server/` (the
server's database and log), `exports/` (the district's OneRoster exports) and `home/`
(the app's own data, `CONNECT_DESKTOP_HOME`), so the demo never touches the user's data.

The server never runs inside the app: SQLite's locks belong to a process, and any open
and close of the database file in that process by other means than SQLite (a file dialog
sniffing it, a copy) drops them, after which another process may delete the live WAL
under the running server. The child stops at the end of its stdin, so it ends with the
app even when the app is killed (on POSIX it also watches its parent's pid).
This is the only UI module allowed to import `connect_server`; only the child does.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from connect_desktop.errors import KnownError

log = logging.getLogger(__name__)

DEMO_STUDENTS = 2_000
DEMO_AS_OF = dt.date(2026, 6, 20)


def demo_clock() -> dt.datetime:
    """The demo server's clock: its own day (`DEMO_AS_OF`), at the real time of day (UTC), so
    its sync runs are dated as the demo's "today" and not beside it on the calendar's date."""
    return dt.datetime.combine(DEMO_AS_OF, dt.datetime.now(dt.UTC).time().replace(microsecond=0))


"""The demo district's "today": end of the 2025–26 school year."""
SERVER_FLAG = "--demo-server"
"""`connect-desktop --demo-server FOLDER`: the child process (the frozen app has no `-m`)."""
START_TIMEOUT_S = 300.0
"""Seeding 2,000 students takes seconds; a slow machine under load gets minutes."""
STOP_TIMEOUT_S = 10.0
API_PREFIX = "/api/v1"


class DemoError(KnownError):
    """The demo server did not start or answer; `user_message` says so plainly."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo keeps what: the server's data apart from the exports and the app's home."""

    folder: Path

    @property
    def server(self) -> Path:
        return self.folder / "server"

    @property
    def database(self) -> Path:
        return self.server / "demo-server.db"

    @property
    def log(self) -> Path:
        return self.server / "server.log"

    @property
    def exports(self) -> Path:
        return self.folder / "exports"

    @property
    def home(self) -> Path:
        return self.folder / "home"


@dataclass
class DemoDistrict:
    """A running demo server process and how to sign in to it."""

    url: str
    email: str
    password: str
    folder: Path
    packages: Path | None = None
    """The demo's OneRoster exports: `current.zip` (the sync source) and `next-year.zip`."""
    pid: int = 0
    """The server process (never this one)."""
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _messages: _Messages | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def server_folder(self) -> Path:
        """The server's data folder: only the server process opens what is in it."""
        return DemoLayout(self.folder).server

    @property
    def next_year(self) -> Path | None:
        """The new school year's export, to preview (and to sync, to show a held run)."""
        path = self.packages / "next-year.zip" if self.packages is not None else None
        return path if path is not None and path.exists() else None

    def sync_from(self, package: Path) -> str:
        """Make `package` the server's sync source and run the sync once; the run's status."""
        with self._lock:
            if self._process is None or self._messages is None or self._process.stdin is None:
                raise DemoError("The demo server has stopped.")
            try:
                self._process.stdin.write(_encode({"sync": str(package.resolve())}))
                self._process.stdin.flush()
            except (OSError, ValueError):  # ValueError: stopped meanwhile
                raise DemoError("The demo server has stopped.") from None
            answer = self._messages.next(START_TIMEOUT_S)
        if answer is None or "status" not in answer:
            reason = answer.get("error") if answer else "no answer"
            raise DemoError(f"The demo server could not run the sync: {reason}.")
        return str(answer["status"])

    def stop(self) -> None:
        """End the server process (its stdin closing is the cue); kill it if it lingers."""
        process, self._process = self._process, None
        if process is not None:
            _end(process)


def start_demo(folder: Path, students: int = DEMO_STUDENTS) -> DemoDistrict:
    """Start the demo server process (it seeds `folder` the first time); blocks for seconds."""
    layout = DemoLayout(folder)
    layout.server.mkdir(parents=True, exist_ok=True)
    with layout.log.open("ab") as log_file:  # the child writes its own log through this handle
        process = subprocess.Popen(
            server_command(folder, students),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=_child_environment(),
            **_detached(),
        )
    assert process.stdout is not None
    messages = _Messages(process.stdout)
    ready = messages.next(START_TIMEOUT_S)
    if ready is None or "url" not in ready:
        _end(process)
        reason = ready.get("error") if ready else _last_line(layout.log)
        raise DemoError(
            f"The demo server did not start: {reason or 'no reason given'}. Its log is {layout.log}."
        )
    try:
        _wait_until_answering(str(ready["url"]), process)
    except DemoError:
        _end(process)
        raise
    log.info("demo server (process %d) on %s", process.pid, ready["url"])
    return DemoDistrict(
        str(ready["url"]),
        str(ready["email"]),
        str(ready["password"]),
        folder,
        layout.exports,
        process.pid,
        process,
        messages,
    )


def server_command(folder: Path, students: int) -> list[str]:
    """The command line of the server process, from source or from the frozen app."""
    args = [str(folder), "--students", str(students)]
    if getattr(sys, "frozen", False):
        return [sys.executable, SERVER_FLAG, *args]
    return [sys.executable, "-m", "ui.demo", *args]


def _child_environment() -> dict[str, str]:
    if getattr(sys, "frozen", False):
        return dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)  # `-m ui.demo` from any working folder
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PYTHONIOENCODING="utf-8")


def _detached() -> dict[str, Any]:
    """Keep Ctrl-C in the terminal for the app (which stops the server), and no console window."""
    if sys.platform == "win32":  # the test mypy reads as a platform check
        return {"creationflags": subprocess.CREATE_NO_WINDOW | subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log.warning("the demo server did not stop in %.0f s; ending it", STOP_TIMEOUT_S)
        process.kill()
        process.wait()
    if process.stdout is not None:  # only now: closing it waits for the reader's pending read
        with contextlib.suppress(OSError):
            process.stdout.close()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Health check: the server answers HTTP (401 for `/me` without a token) like a real one."""
    address = url.removeprefix("http://")
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            connection.request("GET", f"{API_PREFIX}/me")
            if connection.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if process.poll() is not None or time.monotonic() > deadline:
            raise DemoError(f"The demo server at {url} does not answer.")
        time.sleep(0.05)


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message) + "\n").encode("utf-8")


class _Messages:
    """The child's stdout as JSON messages, read by a thread so that waiting can time out."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), name="demo-server-output", daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        try:
            for raw in stream:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._queue.put(message)
        except (OSError, ValueError):  # closed under us by stop()
            pass
        self._queue.put(None)

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None when the child ended (or said nothing in `timeout` s)."""
        try:
            message = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:
            self._queue.put(None)  # the end stays the end for whoever asks next
        return message


# -- the server process -------------------------------------------------------------------


def serve(argv: list[str] | None = None) -> int:
    """The child: seed (first time only), serve on a free loopback port, stop at stdin's end."""
    parser = argparse.ArgumentParser(prog="connect-desktop --demo-server")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--students", type=int, default=DEMO_STUDENTS)
    args = parser.parse_args(argv)
    channel = sys.stdout
    sys.stdout = sys.stderr  # the real stdout carries only messages to the app
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _watch_parent()
    try:
        server = _DemoServer.start(DemoLayout(args.folder), args.students)
    except Exception as exc:  # reported to the app as a sentence; the log keeps the detail
        log.exception("the demo server did not start")
        _reply(channel, {"error": _reason(exc)})
        return 1
    _reply(channel, {"url": server.url, "email": server.email, "password": server.password})
    try:
        for line in sys.stdin:
            _reply(channel, server.handle(line))
    except KeyboardInterrupt:
        pass
    deadline = threading.Timer(STOP_TIMEOUT_S, os._exit, (1,))  # a stop that hangs still ends
    deadline.daemon = True
    deadline.start()
    server.stop()
    return 0


def _reply(channel: IO[str], message: dict[str, Any]) -> None:
    try:
        channel.write(json.dumps(message) + "\n")
        channel.flush()
    except (OSError, ValueError):
        pass  # the app is gone; the end of stdin stops us


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _watch_parent() -> None:
    """On POSIX, end when the app is gone (we are given to another parent) even if something
    else holds our stdin open."""
    if os.name == "nt":
        return
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass
class _DemoServer:
    """The reference server on its loopback port, in this (the child) process."""

    url: str
    email: str
    password: str
    sessions: Any
    server: Any
    thread: threading.Thread

    @classmethod
    def start(cls, layout: DemoLayout, students: int) -> _DemoServer:
        import uvicorn

        from connect_server import seed
        from connect_server.app import create_app
        from connect_server.db import open_database
        from connect_server.sync_runner import close_interrupted_runs, run_sync

        layout.server.mkdir(parents=True, exist_ok=True)
        fresh = not layout.database.exists()
        if fresh:
            _seed(layout, students)
        sessions = open_database(f"sqlite:///{layout.database}")
        if fresh:
            # a first run, so there is history
            run_sync(sessions, trigger="scheduled", today=DEMO_AS_OF, clock=demo_clock)
        else:
            close_interrupted_runs(sessions)  # what the server's start-up does (lifespan is off here)
        sock = _listen(layout.server / "port")
        config = uvicorn.Config(
            create_app(sessions),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="demo-server", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        email = getattr(seed, "DEMO_ADMIN_EMAIL", "admin@demo.connect.test")
        password = getattr(seed, "DEMO_ADMIN_PASSWORD", "connect-demo-admin")
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        log.info("demo server on %s", url)
        return cls(url, email, password, sessions, server, thread)

    def handle(self, line: str) -> dict[str, Any]:
        """One request from the app: `{"sync": PATH}` runs the sync from that export."""
        from connect_server.sync_runner import run_sync
        from connect_server.syncing.config import SourceConfig, save_source

        try:
            request = json.loads(line)
            package = str(request["sync"])
        except (ValueError, KeyError, TypeError):
            return {"error": "not a request"}
        try:
            with self.sessions.begin() as session:
                save_source(session, SourceConfig("oneroster-csv", {"path": package}))
            outcome = run_sync(self.sessions, today=DEMO_AS_OF, clock=demo_clock)
            return {"status": str(outcome.run.status)}
        except Exception as exc:  # the app shows the sentence; the log keeps the detail
            log.exception("the demo sync failed")
            return {"error": _reason(exc)}

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STOP_TIMEOUT_S)
        self.sessions.kw["bind"].dispose()


class PortTaken(OSError):  # noqa: N818 - reads as the situation, like the api errors
    """The port a kept demo folder remembers is in use: its message says what to do."""


def _listen(remembered: Path) -> socket.socket:
    """A loopback socket on the port this demo folder used last time (a free one the first time).

    The same address means the same cache file (its name comes from the server's address),
    so a kept `--demo-dir` finds its download, staged changes and progress again. Another
    address would start over without them, so a port taken since is refused, plainly.
    """
    # IPPROTO_TCP explicitly, or asyncio leaves Nagle on (~40 ms per keep-alive response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # a restart right after a stop: the old connections' TIME_WAIT is no owner
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        last = int(remembered.read_text())
    except (OSError, ValueError):
        last = 0
    try:
        sock.bind(("127.0.0.1", last))
    except OSError:
        sock.close()
        raise PortTaken(
            f"its address 127.0.0.1:{last} is in use by another program (another demo of this folder?). "
            "Close that program and start again, or start a demo in a new folder; on another address "
            "this demo's staged changes and progress would not be found."
        ) from None
    sock.listen(128)
    with contextlib.suppress(OSError):
        remembered.write_text(str(sock.getsockname()[1]))
    return sock


def _seed(layout: DemoLayout, students: int) -> None:
    """Seed into a side file and rename it into place, so a stopped seeding starts over."""
    from connect_server import seed

    partial = layout.database.with_name(layout.database.name + ".seeding")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
        leftover.unlink(missing_ok=True)
    log.info("seeding a demo district of %d students", students)
    seed.seed_district(
        f"sqlite:///{partial}", students, seed=1, as_of=DEMO_AS_OF, packages_dir=layout.exports
    )
    if Path(f"{partial}-wal").exists():  # a connection left open: its WAL would not follow the rename
        raise RuntimeError("the seeded database is still open")
    partial.replace(layout.database)


if __name__ == "__main__":
    sys.exit(serve())

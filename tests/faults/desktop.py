"""A desktop user: `connect-desktop` subprocesses on an isolated app folder, with the file keyring."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from connect_desktop.store.paths import HOME_ENV
from connect_desktop.sync.pull import PAGE_SIZE_ENV
from connect_server.seed import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD

BIN = Path(sys.executable).parent
COMMAND_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Outcome:
    """How one `connect-desktop` process ended."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


class Victim:
    """A running `connect-desktop` process, to be killed at a chosen moment."""

    def __init__(self, args: tuple[str, ...], env: dict[str, str]) -> None:
        self.args = args
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - read and closed in finish()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(BIN / "connect-desktop"), *args], env=env, stdout=subprocess.DEVNULL, stderr=self._err
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def stderr_so_far(self) -> str:
        """What it printed on stderr until now (progress lines), read without moving its offset."""
        fd = self._err.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def kill(self) -> bool:
        """kill -9; True when it was still running (the fault landed)."""
        if not self.running():
            return False
        os.kill(self.process.pid, signal.SIGKILL)
        return True

    def finish(self, timeout: float = COMMAND_TIMEOUT_S) -> Outcome:
        code = self.process.wait(timeout=timeout)
        self._err.seek(0)
        err = self._err.read().decode(errors="replace")
        self._err.close()
        return Outcome(self.args, code, "", err, time.monotonic() - self.started)


class Desktop:
    """One person's Connect Desktop: its own app data folder (`home`) and cache."""

    def __init__(self, home: Path, page_size: int) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            HOME_ENV: str(home),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            PAGE_SIZE_ENV: str(page_size),
        }

    def run(self, *args: str, stdin: str | None = None, page_size: int | None = None) -> Outcome:
        env = self.env if page_size is None else {**self.env, PAGE_SIZE_ENV: str(page_size)}
        started = time.monotonic()
        done = subprocess.run(
            [str(BIN / "connect-desktop"), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        return Outcome(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def spawn(self, *args: str) -> Victim:
        return Victim(args, self.env)

    def login(self, server_url: str) -> Outcome:
        return self.run(
            "login", "--server", server_url, "--user", DEMO_ADMIN_EMAIL, "--password-stdin",
            stdin=DEMO_ADMIN_PASSWORD + "\n",
        )  # fmt: skip

    @property
    def cache_path(self) -> Path:
        found = sorted(self.home.glob("cache-*.sqlite3"))
        if len(found) != 1:
            raise RuntimeError(f"expected one cache file in {self.home}, found {len(found)}")
        return found[0]

    def peek(self, sql: str) -> int:
        """One number read from the cache through SQLite (read-only; 0 when it cannot be read)."""
        try:
            connection = sqlite3.connect(f"file:{self.cache_path}?mode=ro", uri=True, timeout=1)
        except (sqlite3.Error, RuntimeError):
            return 0
        try:
            row = connection.execute(sql).fetchone()
        except sqlite3.Error:
            return 0
        finally:
            connection.close()
        return int(row[0]) if row and row[0] is not None else 0

    def cursor(self) -> int:
        return self.peek("SELECT cursor FROM sync_state WHERE id = 1")

    def sending(self) -> int:
        return self.peek("SELECT count(*) FROM pending_operation WHERE state = 'sending'")

    def waiting(self) -> int:
        return self.peek("SELECT count(*) FROM pending_operation WHERE state = 'pending'")

"""The reference server as a subprocess (`connect-server serve`) that can be killed and restarted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")
START_TIMEOUT_S = 60.0


def seed(db_url: str, students: int, seed_value: int) -> None:
    """A demo district (`connect-server seed`) with its three demo sign-ins."""
    subprocess.run(
        [str(BIN / "connect-server"), "seed", "--db", db_url, "--students", str(students),
         "--seed", str(seed_value), "--as-of", "2026-06-20"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


class ServerProcess:
    """`connect-server serve` on a free loopback port; restarts keep the port and the database."""

    def __init__(self, db_url: str, folder: Path) -> None:
        self.db_url = db_url
        self.folder = folder
        self.port = 0
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        out = self.folder / f"server-{self.starts}.out"
        err = self.folder / f"server-{self.starts}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(BIN / "connect-server"), "serve", "--db", self.db_url, "--port", str(self.port)],
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (found := LISTENING.search(out.read_text(errors="replace"))):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {err.read_text(errors='replace')[-2000:]}")
            time.sleep(0.02)
        self.url, self.port = found.group(1), int(found.group(2))

    def kill(self) -> None:
        """kill -9: no clean shutdown, an open transaction is left to SQLite's recovery."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def stderr_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("server-*.err")))

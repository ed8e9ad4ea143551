"""Everything a scenario works with: the server process, the ledger, the tally, the sizes."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from tests.faults.desktop import Desktop, Victim
from tests.faults.ledger import Ledger
from tests.faults.server import ServerProcess
from tests.faults.tally import Tally

SETUP = "setup"
FIRST_PULL_PAGE_SIZE = 2_000
POLL_S = 0.005


@dataclass(frozen=True)
class Sizes:
    students: int = 1_000
    page_size: int = 10
    """Records per page of a pull under fault: small, so a pull takes many pages."""
    pull_changes: int = 2_000
    """Server changes made before each pull under fault."""
    push_ops: int = 250
    """Operations staged before each push under fault."""


class World:
    def __init__(
        self, folder: Path, server: ServerProcess, ledger: Ledger, rng: random.Random, sizes: Sizes
    ) -> None:
        self.folder = folder
        self.server = server
        self.ledger = ledger
        self.rng = rng
        self.sizes = sizes
        self.tally = Tally(folder / "commands.jsonl")
        self._server_tracebacks = 0

    def desktop(self, name: str, server_url: str | None = None, home: Path | None = None) -> Desktop:
        """A new desktop (in a new folder), signed in and fully downloaded."""
        if home is None:
            home, n = self.folder / name, 1
            while home.exists():
                n += 1
                home = self.folder / f"{name}-{n}"
        desk = Desktop(home, self.sizes.page_size)
        for outcome in (
            desk.login(server_url or self.server.url),
            desk.run("sync", page_size=FIRST_PULL_PAGE_SIZE),
        ):
            self.tally.observe(SETUP, outcome, expect=(0,))
            if outcome.code != 0:
                raise RuntimeError(f"setting up {name} failed: {outcome.err[-2000:]}")
        return desk

    def recover(self, kind: str, desk: Desktop, page_size: int | None = None) -> None:
        """A clean sync after the fault, then the check of the cache and the server."""
        self.tally.observe(kind, desk.run("sync", page_size=page_size), expect=(0,))
        self.check(kind, desk)

    def check(self, kind: str, desk: Desktop) -> None:
        """The check alone: for a command that got over its fault by itself (retried, exit 0)."""
        self.tally.findings(kind, self.ledger.check(desk))

    def kill_at(self, victim: Victim, delay: float) -> bool:
        """kill -9 `victim` `delay` seconds after it started; False when it had finished already."""
        deadline = victim.started + delay
        while victim.running() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        return victim.kill()

    def server_log(self, kind: str) -> None:
        """Count tracebacks the server logged since the last look (under `kind`)."""
        self._server_tracebacks = self.tally.server_tracebacks(
            kind, self.server.stderr_text(), self._server_tracebacks
        )

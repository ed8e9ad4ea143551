"""Counts per kind of fault: injected, lost, doubled, tracebacks, and what was noticed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.desktop import Outcome
from tests.faults.ledger import Findings

NOTES_PER_KIND = 8


@dataclass
class Count:
    injected: int = 0
    lost: int = 0
    doubled: int = 0
    tracebacks: int = 0
    seconds: float = 0.0
    missed: int = 0
    """Faults aimed but not landed (the process had already finished): not counted as injected."""
    landed: dict[str, int] = field(default_factory=dict)
    """Where the faults landed (e.g. mid-transfer), to show they hit the interesting moments."""
    notes: list[str] = field(default_factory=list)

    def where(self, place: str) -> None:
        self.landed[place] = self.landed.get(place, 0) + 1

    def note(self, text: str) -> None:
        if len(self.notes) < NOTES_PER_KIND:
            self.notes.append(text)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "injected": self.injected,
            "lost": self.lost,
            "doubled": self.doubled,
            "tracebacks": self.tracebacks,
            "seconds": round(self.seconds, 1),
        }
        if self.missed:
            data["missed"] = self.missed
        if self.landed:
            data["landed"] = dict(sorted(self.landed.items()))
        if self.notes:
            data["notes"] = self.notes
        return data


class Tally:
    def __init__(self, log: Path | None = None) -> None:
        self.kinds: dict[str, Count] = {}
        self.started = time.monotonic()
        self.log = log
        """Every command's kind, arguments, exit code and seconds, one JSON line each."""

    def __getitem__(self, kind: str) -> Count:
        return self.kinds.setdefault(kind, Count())

    def observe(self, kind: str, outcome: Outcome, expect: tuple[int, ...] | None = None) -> None:
        """Count a traceback in the process's stderr; note an exit code other than `expect`."""
        count = self[kind]
        if self.log is not None:
            line = {
                "kind": kind,
                "args": outcome.args,
                "code": outcome.code,
                "seconds": round(outcome.seconds, 2),
            }
            with self.log.open("a") as log:
                log.write(json.dumps(line) + "\n")
        if "Traceback" in outcome.err:
            count.tracebacks += 1
            last = [line for line in outcome.err.splitlines() if line.strip()][-1:]
            count.note(f"traceback in `{' '.join(outcome.args)}`: {last[0] if last else ''}")
        if expect is not None and outcome.code not in expect:
            message = [line for line in outcome.err.splitlines() if line.strip()][-1:]
            count.note(f"`{' '.join(outcome.args)}` exited {outcome.code}: {message[0] if message else ''}")

    def server_tracebacks(self, kind: str, stderr: str, seen: int) -> int:
        """Count server tracebacks that appeared since `seen`; returns the new total."""
        total = stderr.count("Traceback")
        if total > seen:
            self[kind].tracebacks += total - seen
            self[kind].note(f"{total - seen} traceback(s) in the server's log")
        return total

    def findings(self, kind: str, found: Findings) -> None:
        count = self[kind]
        count.lost += found.lost
        count.doubled += found.doubled
        for note in found.notes:
            count.note(note)

    def absorb(self, other: Tally) -> None:
        """Add another lane's counts to these."""
        for kind, theirs in other.kinds.items():
            mine = self[kind]
            mine.injected += theirs.injected
            mine.lost += theirs.lost
            mine.doubled += theirs.doubled
            mine.tracebacks += theirs.tracebacks
            mine.missed += theirs.missed
            mine.seconds += theirs.seconds
            for place, n in theirs.landed.items():
                mine.landed[place] = mine.landed.get(place, 0) + n
            for note in theirs.notes:
                mine.note(note)

    def summary(self) -> dict[str, Any]:
        total = Count()
        for count in self.kinds.values():
            total.injected += count.injected
            total.lost += count.lost
            total.doubled += count.doubled
            total.tracebacks += count.tracebacks
            total.missed += count.missed
        total.seconds = time.monotonic() - self.started
        return {"kinds": {k: c.as_json() for k, c in self.kinds.items()}, "total": total.as_json()}

    @property
    def failed(self) -> bool:
        return any(c.lost or c.doubled or c.tracebacks for c in self.kinds.values())

"""Small interfaces for reporting progress and asking long work to stop."""

from __future__ import annotations

import time
from typing import Protocol


class ProgressSink(Protocol):
    def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
        """`done` of `total` (None when unknown) items, `rate` per second, seconds left."""


class CancelToken(Protocol):
    """Anything with `is_set()`, e.g. a `threading.Event`."""

    def is_set(self) -> bool: ...


class NoProgress:
    def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
        return None


class NeverCancel:
    def is_set(self) -> bool:
        return False


class RateMeter:
    """Turns counts into (rate, eta) for a `ProgressSink`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def report(self, sink: ProgressSink, done: int, total: int | None) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        rate = done / elapsed
        eta = (max(total - done, 0) / rate) if total is not None and rate > 0 else None
        sink.on_progress(done, total, rate, eta)

"""The small interfaces an export reports progress through and is cancelled by."""

from __future__ import annotations

from typing import Protocol

from connect_desktop.reports.errors import Cancelled


class Progress(Protocol):
    """Receives progress; called from the exporting thread after every chunk."""

    def on_progress(self, done_rows: int, total_rows: int) -> None: ...


class CancelToken(Protocol):
    """Anything with `is_set()`, such as `threading.Event`."""

    def is_set(self) -> bool: ...


class Tracker:
    """Counts rows across all sheets of one export and checks for cancellation."""

    def __init__(self, progress: Progress | None, cancel: CancelToken | None, total_rows: int = 0) -> None:
        self._progress = progress
        self._cancel = cancel
        self.total_rows = total_rows
        self.done_rows = 0

    def check(self) -> None:
        """Raise `Cancelled` if the token is set."""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled

    def advance(self, rows: int) -> None:
        """Record `rows` more rows written, report, then check for cancellation."""
        self.done_rows += rows
        if self._progress is not None:
            self._progress.on_progress(self.done_rows, max(self.total_rows, self.done_rows))
        self.check()

"""Diagnostics a person can act on: which file, row and column, what is wrong, how to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from connect_desktop.errors import KnownError

Severity = Literal["error", "warning"]
GroupKey = tuple[Severity, str, str | None, str | None, str]
"""What makes findings one: severity, code, file, column and the `group` template."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. `row` counts the header as row 1, as a spreadsheet shows it.

    `group` says the same finding for many rows at once, with `{count}` where the number
    goes (e.g. "{count} students have no identifier (student number)"): findings with
    the same severity, code, file, column and group are shown as one.
    """

    severity: Severity
    code: str
    message: str
    hint: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None
    group: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file or "",
                f"row {self.row}" if self.row is not None else "",
                f"column '{self.column}'" if self.column else "",
            )
            if part
        )
        text = f"{self.severity}: {where + ': ' if where else ''}{self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(slots=True)
class Tally:
    """Every finding of one group: the first of them, how many, and on which rows.

    Rows are kept as runs of consecutive rows, at most `MAX_RUNS` of them; rows past
    that are only counted (`unlisted`), so a group takes bounded memory however large
    the file.
    """

    MAX_RUNS = 200

    first: Diagnostic
    count: int = 0
    runs: list[list[int]] = field(default_factory=list)  # [first row, last row], in arrival order
    unlisted: int = 0

    def add(self, row: int | None) -> None:
        self.count += 1
        if row is None:
            return
        if self.runs:
            last = self.runs[-1]
            if last[0] <= row <= last[1]:
                return  # the same row again (e.g. two bad ids in one cell)
            if row == last[1] + 1:
                last[1] = row
                return
        if len(self.runs) < self.MAX_RUNS:
            self.runs.append([row, row])
        else:
            self.unlisted += 1


class Diagnostics:
    """Collects diagnostics, keeping at most `cap` (counting all) and `per_key` repeats of one kind.

    Findings with a `group` are also tallied (`tallies`), so a group's count and rows stay
    true when its diagnostics are no longer kept; at most `cap` groups are tallied.

    With `stop_after` errors the collector is `stopped`: a reader stops reading and says
    what it left unread (`not_read`), later findings are dropped (their checks ran on a
    part of the export, so they would mislead), and `items` starts with a "stopped" notice.
    """

    def __init__(self, cap: int = 1000, per_key: int = 20, stop_after: int | None = None) -> None:
        self.cap = cap
        self.per_key = per_key
        self.stop_after = stop_after
        self._items: list[Diagnostic] = []
        self._keys: Counter[tuple[str, str | None, str | None]] = Counter()
        self._tallies: dict[GroupKey, Tally] = {}
        self.counts: Counter[Severity] = Counter()
        self.suppressed = 0
        self._stopped = False
        self.unread: list[str] = []  # what a reader left unread after the stop, e.g. "users.csv from row 9"

    @property
    def stopped(self) -> bool:
        """True once `stop_after` errors were found: read no further."""
        return self._stopped

    def stop_after_errors(self, limit: int) -> None:
        """Stop after `limit` errors (or fewer, if a lower limit was set already)."""
        self.stop_after = limit if self.stop_after is None else min(self.stop_after, limit)
        self._stopped = self._stopped or self.counts["error"] >= self.stop_after

    def not_read(self, what: str) -> None:
        """Note what was left unread because of the stop ("users.csv from row 20,512 on")."""
        if what not in self.unread:
            self.unread.append(what)

    def add(self, diagnostic: Diagnostic) -> None:
        if self._stopped:
            return
        self.counts[diagnostic.severity] += 1
        if (
            diagnostic.severity == "error"
            and self.stop_after is not None
            and self.counts["error"] >= self.stop_after
        ):
            self._stopped = True
        if diagnostic.group:
            self._tally(diagnostic)
        key = (diagnostic.code, diagnostic.file, diagnostic.column)
        self._keys[key] += 1
        if len(self._items) >= self.cap or self._keys[key] > self.per_key:
            self.suppressed += 1
            return
        self._items.append(diagnostic)

    def _tally(self, d: Diagnostic) -> None:
        key: GroupKey = (d.severity, d.code, d.file, d.column, d.group)
        tally = self._tallies.get(key)
        if tally is None:
            if len(self._tallies) >= self.cap:
                return
            tally = self._tallies[key] = Tally(d)
        tally.add(d.row)

    @property
    def tallies(self) -> dict[GroupKey, Tally]:
        """The grouped findings so far, in order of their first occurrence."""
        return dict(self._tallies)

    def error(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        group: str = "",
    ) -> None:
        self.add(Diagnostic("error", code, message, hint, file, row, column, group))

    def warning(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        group: str = "",
    ) -> None:
        self.add(Diagnostic("warning", code, message, hint, file, row, column, group))

    @property
    def items(self) -> list[Diagnostic]:
        """The diagnostics kept, the "stopped" notice first when reading stopped early."""
        return [self._stop_notice(), *self._items] if self._stopped else list(self._items)

    def _stop_notice(self) -> Diagnostic:
        unread = self.unread
        shown = ", ".join(unread[:4]) + (f" and {len(unread) - 4:,} more files" if len(unread) > 4 else "")
        rest = f" Not read: {shown}." if unread else " Later checks were not made."
        return Diagnostic(
            "error",
            "stopped",
            f"Stopped after {self.counts['error']:,} errors; the errors listed are the first ones.{rest}",
            "Fix these first, then check the export again.",
        )

    @property
    def errors(self) -> int:
        return self.counts["error"]

    @property
    def warnings(self) -> int:
        return self.counts["warning"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)


class SourceError(KnownError):
    """The source cannot be read at all (unsafe archive, wrong credentials, server down)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


class Renamed(Diagnostics):
    """Forwards to another collector, naming a source's own columns/files instead of OneRoster CSV's."""

    def __init__(
        self, inner: Diagnostics, columns: dict[str, str], files: dict[str, str] | None = None
    ) -> None:
        super().__init__(inner.cap, inner.per_key, inner.stop_after)
        self.inner, self.columns, self.files = inner, columns, files or {}

    @property
    def stopped(self) -> bool:
        return self._stopped or self.inner.stopped

    def stop_after_errors(self, limit: int) -> None:
        super().stop_after_errors(limit)
        self.inner.stop_after_errors(limit)

    def not_read(self, what: str) -> None:
        super().not_read(what)
        self.inner.not_read(what)

    def add(self, diagnostic: Diagnostic) -> None:
        d = diagnostic
        file = self.files.get(d.file or "", d.file)
        column = self.columns.get(d.column or "", d.column)
        fixed = Diagnostic(d.severity, d.code, d.message, d.hint, file, d.row, column, d.group)
        super().add(fixed)
        self.inner.add(fixed)

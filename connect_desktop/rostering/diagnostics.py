"""Diagnostics a person can act on: which file, row and column, what is wrong, how to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

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
    """

    def __init__(self, cap: int = 1000, per_key: int = 20) -> None:
        self.cap = cap
        self.per_key = per_key
        self._items: list[Diagnostic] = []
        self._keys: Counter[tuple[str, str | None, str | None]] = Counter()
        self._tallies: dict[GroupKey, Tally] = {}
        self.counts: Counter[Severity] = Counter()
        self.suppressed = 0

    def add(self, diagnostic: Diagnostic) -> None:
        self.counts[diagnostic.severity] += 1
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
        return list(self._items)

    @property
    def errors(self) -> int:
        return self.counts["error"]

    @property
    def warnings(self) -> int:
        return self.counts["warning"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)


class SourceError(Exception):
    """The source cannot be read at all (unsafe archive, wrong credentials, server down)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


class Renamed(Diagnostics):
    """Forwards to another collector, naming a source's own columns/files instead of OneRoster CSV's."""

    def __init__(
        self, inner: Diagnostics, columns: dict[str, str], files: dict[str, str] | None = None
    ) -> None:
        super().__init__(inner.cap, inner.per_key)
        self.inner, self.columns, self.files = inner, columns, files or {}

    def add(self, diagnostic: Diagnostic) -> None:
        d = diagnostic
        file = self.files.get(d.file or "", d.file)
        column = self.columns.get(d.column or "", d.column)
        fixed = Diagnostic(d.severity, d.code, d.message, d.hint, file, d.row, column, d.group)
        super().add(fixed)
        self.inner.add(fixed)

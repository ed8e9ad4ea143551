"""Diagnostics a person can act on: which file, row and column, what is wrong, how to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. `row` counts the header as row 1, as a spreadsheet shows it."""

    severity: Severity
    code: str
    message: str
    hint: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None

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


class Diagnostics:
    """Collects diagnostics, keeping at most `cap` (counting all) and `per_key` repeats of one kind."""

    def __init__(self, cap: int = 1000, per_key: int = 20) -> None:
        self.cap = cap
        self.per_key = per_key
        self._items: list[Diagnostic] = []
        self._keys: Counter[tuple[str, str | None, str | None]] = Counter()
        self.counts: Counter[Severity] = Counter()
        self.suppressed = 0

    def add(self, diagnostic: Diagnostic) -> None:
        self.counts[diagnostic.severity] += 1
        key = (diagnostic.code, diagnostic.file, diagnostic.column)
        self._keys[key] += 1
        if len(self._items) >= self.cap or self._keys[key] > self.per_key:
            self.suppressed += 1
            return
        self._items.append(diagnostic)

    def error(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.add(Diagnostic("error", code, message, hint, file, row, column))

    def warning(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.add(Diagnostic("warning", code, message, hint, file, row, column))

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
        fixed = Diagnostic(d.severity, d.code, d.message, d.hint, file, d.row, column)
        super().add(fixed)
        self.inner.add(fixed)

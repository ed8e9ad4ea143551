"""Entry points: validate a file export, or read it into a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connect_desktop.rostering.csvsource import Limits
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.oneroster_csv import read_oneroster_csv
from connect_desktop.rostering.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What a person needs to decide whether the export can be used."""

    source: str
    version: str | None
    errors: int
    warnings: int
    diagnostics: list[Diagnostic]
    suppressed: int  # diagnostics counted but not kept (the collector's cap)
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.errors == 0


def read_snapshot(
    path: str | Path,
    diags: Diagnostics | None = None,
    *,
    limits: Limits | None = None,
    work_dir: str | Path | None = None,
) -> Snapshot:
    """Read a OneRoster CSV package (zip or folder) into a snapshot; close it when done.

    Records with errors are left out; check `diags.errors` before trusting the result.
    """
    return read_oneroster_csv(
        path, diags if diags is not None else Diagnostics(), limits=limits, work_dir=work_dir
    )


def validate_source(path: str | Path, *, limits: Limits | None = None, cap: int = 1000) -> ValidationReport:
    """Validate an export without keeping its snapshot."""
    diags = Diagnostics(cap=cap)
    with read_snapshot(path, diags, limits=limits) as snap:
        counts = snap.counts()
        version = getattr(snap, "version", None)
    return ValidationReport(
        str(path), version, diags.errors, diags.warnings, diags.items, diags.suppressed, counts
    )

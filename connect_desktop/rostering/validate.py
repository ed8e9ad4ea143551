"""Entry points: validate a file export (after recognising what it is), or read one into a snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connect_desktop.rostering.clever_csv import read_clever_csv
from connect_desktop.rostering.csvsource import Limits
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics, GroupKey, Tally
from connect_desktop.rostering.oneroster_csv import read_oneroster_csv
from connect_desktop.rostering.recognize import recognize
from connect_desktop.rostering.snapshot import TYPES, Snapshot


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
    tallies: dict[GroupKey, Tally] = field(default_factory=dict)  # grouped findings' true counts
    kind: str = ""  # what the input was recognised as (recognize.Kind); "" when not recognised

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
    """Recognise an export and read it into a snapshot with its reader; close it when done.

    OneRoster packages and Clever CSV uploads are read; for anything else the snapshot
    is empty and `diags` holds the error saying what the input looks like. Records with
    errors are left out: check `diags.errors` before trusting the result.
    """
    diags = diags if diags is not None else Diagnostics()
    found = recognize(path, limits=limits)
    if found.problem is not None:
        for diagnostic in (found.problem, *found.listing):
            diags.add(diagnostic)
        empty = Snapshot(found.kind, work_dir)
        empty.present = set()
        return empty.finish()
    reader = read_clever_csv if found.kind == "clever-csv" else read_oneroster_csv
    return reader(found.path, diags, limits=limits, work_dir=work_dir)


def validate_source(path: str | Path, *, limits: Limits | None = None, cap: int = 1000) -> ValidationReport:
    """Recognise an export and validate it with its reader, without keeping the snapshot.

    OneRoster packages and Clever CSV uploads are read (`version` is "1.1", "1.2" or
    "clever-csv"); for anything else the report holds one error first, saying what the
    input looks like and what to export instead. `source` is what was read: the input, or
    the one zip or sub-folder inside the folder given.
    """
    found = recognize(path, limits=limits)
    diags = Diagnostics(cap=cap)
    kind: str = found.kind
    if found.problem is not None:
        for diagnostic in (found.problem, *found.listing):
            diags.add(diagnostic)
        counts, version = dict.fromkeys(TYPES, 0), None
    else:
        reader = read_clever_csv if found.kind == "clever-csv" else read_oneroster_csv
        with reader(found.path, diags, limits=limits) as snap:
            counts = snap.counts()
            version = snap.version
        kind = "clever-csv" if found.kind == "clever-csv" else f"oneroster-{version}"
    return ValidationReport(
        str(found.path),
        version,
        diags.errors,
        diags.warnings,
        diags.items,
        diags.suppressed,
        counts,
        diags.tallies,
        kind,
    )

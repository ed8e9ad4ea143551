"""Diagnostics as a person reads them: repeats made one, rows as ranges, plurals right.

The validator's text and JSON and the server's run message all present diagnostics
through here, so an export reads the same wherever it is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connect_desktop.rostering.diagnostics import Diagnostic, GroupKey, Tally

SHOWN_RUNS = 6
"""Row ranges written out before "and N more"."""

LEADS: dict[str, str | None] = {
    "missing_manifest": (
        "This is not a OneRoster package: it has no manifest.csv, the file that names the "
        "OneRoster version and lists the other files. Export the roster from the SIS again as "
        "OneRoster CSV (one zip holding manifest.csv and the files it lists)."
    ),
    **dict.fromkeys(("not_found", "unreadable", "not_a_package", "no_files", "not_oneroster", "bad_zip")),
    "stopped": None,
}
"""Errors that say more about the export than the rest, and how the summary puts them first
(None: in the finding's own words)."""


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 error', '2 errors', '1,200 students'; `many` for irregular nouns ('staff')."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def ranges(runs: Iterable[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    """Runs of rows sorted and merged where they touch: [[5, 6], [2, 4], [9, 9]] -> (2, 6), (9, 9)."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted((r[0], r[1]) for r in runs):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return tuple(merged)


def rows_text(runs: Sequence[tuple[int, int]], unlisted: int = 0) -> str:
    """'row 5', 'rows 2–4 and 7', 'rows 2–21, 40, 52 and 310 more'."""
    shown = runs[:SHOWN_RUNS]
    more = sum(last - first + 1 for first, last in runs[SHOWN_RUNS:]) + unlisted
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in shown]
    if more:
        return f"rows {', '.join(parts)} and {more:,} more"
    if len(parts) == 1:
        return f"{'row' if shown[0][0] == shown[0][1] else 'rows'} {parts[0]}"
    return f"rows {', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to fix: a diagnostic, or a group of them standing for `count` rows' worth."""

    first: Diagnostic
    count: int = 1
    runs: tuple[tuple[int, int], ...] = ()
    unlisted: int = 0  # rows of the group beyond `runs`
    kept: int = 1  # how many of its diagnostics the collector kept

    @property
    def severity(self) -> str:
        return self.first.severity

    @property
    def code(self) -> str:
        return self.first.code

    @property
    def grouped(self) -> bool:
        return self.count > 1

    @property
    def text(self) -> str:
        """What is wrong, for all its rows at once."""
        if self.grouped:
            return self.first.group.replace("{count}", f"{self.count:,}")
        return self.first.message

    @property
    def where(self) -> str:
        """'users.csv rows 2–21, column 'identifier'' (a group) or 'users.csv, row 2, column …'."""
        d = self.first
        column = f"column '{d.column}'" if d.column else ""
        if not self.grouped:
            row = f"row {d.row}" if d.row is not None else ""
            return ", ".join(p for p in (d.file or "", row, column) if p)
        rows = rows_text(self.runs, self.unlisted) if self.runs else ""
        place = " ".join(p for p in (d.file or "", rows) if p)
        return ", ".join(p for p in (place, column) if p)

    @property
    def headline(self) -> str:
        """The finding in a few words, for a summary: where and what, no hint."""
        text = self.text.rstrip(".")
        file = self.first.file
        return f"{file}: {text}" if file and not text.startswith(file) else text

    @property
    def sentence(self) -> str:
        """Where, what and what to do, in one line: a group says what first, then its rows."""
        d = self.first
        if self.grouped:
            text = f"{self.text.rstrip('.')}: {self.where}."
        else:
            text = f"{self.where}: {d.message}" if self.where else d.message
        return f"{text} — {d.hint}" if d.hint else text

    def lines(self) -> list[str]:
        """The finding as the validator prints it; a group adds its first row as an example."""
        d = self.first
        if not self.grouped:
            return [str(d)]
        example = f"  e.g. row {d.row}: {d.message}" if d.row is not None else f"  e.g. {d.message}"
        return [f"{d.severity}: {self.sentence}", example]

    def as_json(self) -> dict[str, Any]:
        d = self.first
        item: dict[str, Any] = {
            "file": d.file,
            "row": d.row,
            "column": d.column,
            "message": self.text,
            "hint": d.hint,
            "code": d.code,
        }
        if self.grouped:
            item["count"] = self.count
            item["rows"] = [[a, b] for a, b in self.runs]
            item["more_rows"] = self.unlisted
            item["example"] = d.message
        return item


def findings(items: Iterable[Diagnostic], tallies: Mapping[GroupKey, Tally] | None = None) -> list[Finding]:
    """The diagnostics with each group made one finding, errors first.

    `tallies` (the collector's) give a group its true count and rows, also when the
    collector kept few or none of its diagnostics; without them a group counts what was kept.
    """
    tallies = tallies or {}
    order: list[Finding | GroupKey] = []
    kept: dict[GroupKey, list[Diagnostic]] = {}
    for d in items:
        if not d.group:
            order.append(Finding(d))
            continue
        key: GroupKey = (d.severity, d.code, d.file, d.column, d.group)
        if key not in kept:
            kept[key] = []
            order.append(key)
        kept[key].append(d)
    for key in tallies:
        if key not in kept:
            kept[key] = []
            order.append(key)
    out: list[Finding] = []
    for entry in order:
        if isinstance(entry, Finding):
            out.append(entry)
            continue
        mine, tally = kept[entry], tallies.get(entry)
        if tally is not None:
            out.append(Finding(tally.first, tally.count, ranges(tally.runs), tally.unlisted, len(mine)))
        else:
            rows = ranges((d.row, d.row) for d in mine if d.row is not None)
            out.append(Finding(mine[0], len(mine), rows, 0, len(mine)))
    return sorted(out, key=lambda f: f.severity != "error")


def unshown(found: Iterable[Finding], suppressed: int) -> int:
    """How many of the `suppressed` diagnostics no finding stands for."""
    return max(0, suppressed - sum(f.count - f.kept for f in found if f.grouped))


def summary(found: Sequence[Finding]) -> str:
    """One paragraph: whether the export can be used and, if not, the main causes first."""
    errors = [f for f in found if f.severity == "error"]
    warned = len(found) - len(errors)
    if not errors:
        if not warned:
            return "This package can be used; nothing needs fixing."
        return (
            "This package can be used. The warnings below say what Connect read differently "
            "from the file or left out; fix them in the export where that matters."
        )
    lead = next((f for f in errors if f.code in LEADS), None)
    rest = list({f.headline: f for f in errors if f is not lead}.values())  # ungrouped repeats once
    parts = [LEADS[lead.code] or f"{lead.first.message} {lead.first.hint}".strip()] if lead else []
    if rest:
        verb = "stops" if len(rest) == 1 else "stop"
        noun = plural(len(rest), "more problem" if lead else "problem")
        said = "; ".join(f.headline for f in rest[:3])
        more = f"; and {len(rest) - 3:,} more" if len(rest) > 3 else ""
        intro = f"Besides, {noun} {verb} it" if lead else f"{noun} {verb} this package"
        parts.append(f"{intro} from being used: {said}{more}.")
    if warned:
        parts.append("The warnings after the errors do not stop it.")
    return " ".join(parts)

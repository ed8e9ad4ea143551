"""The list of candidate pairs: a `PageSource` over the core's findings, and its table view.

The core finds the pairs (`Account.find_duplicates`, best first) and narrows them to the
filters the user chose (`Findings.narrowed`); the source shapes them into table rows.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from connect_desktop.rollover.duplicates import BAND_TEXT, Band, CandidatePair, Findings
from ui.models.lazy_table import Column


def pair_key(a: str, b: str) -> str:
    """The row key of a pair (its two ids, in the core's order)."""
    return f"{a}|{b}"


def _confidence(row: tuple[Any, ...]) -> str:
    band, score = row
    return f"{BAND_TEXT.get(band, band)} ({round(score * 100)}%)"


COLUMNS = (
    Column("Student", 1),
    Column("Possible duplicate", 2),
    Column("Confidence", 3, _confidence),
    Column("Why", 4),
    Column("Group", 5),
)
"""Row: (key, name a, name b, (band, score), reasons, group, a, b, band)."""


@dataclass(frozen=True)
class PairFilter:
    """What the user narrowed the list to (None: everything)."""

    band: str | None = None
    school_id: str | None = None
    grade: str | None = None


class PairSource:
    """Pairs of `findings` that pass `flt`, leaving out `hidden` pairs and pairs naming a
    record in `gone` (merged away or dismissed on this page since the search)."""

    def __init__(
        self,
        findings: Findings,
        flt: PairFilter,
        hidden: Collection[str] = (),
        gone: Collection[str] = (),
    ) -> None:
        self._findings = findings
        self._filter = flt
        self._hidden = frozenset(hidden)
        self._gone = frozenset(gone)
        self._pairs: list[CandidatePair] | None = None
        self._lock = threading.Lock()
        sizes: dict[str, int] = {}
        for cluster in findings.clusters:
            for record_id in cluster.ids:
                sizes[record_id] = len(cluster.ids)
        self._cluster_size = sizes

    def pairs(self) -> list[CandidatePair]:
        """The pairs this source lists, best first (worked out once, on first use)."""
        with self._lock:
            if self._pairs is None:
                flt = self._filter
                band = Band(flt.band) if flt.band is not None else None
                self._pairs = [
                    pair
                    for pair in self._findings.narrowed(band, flt.school_id, flt.grade)
                    if pair_key(pair.a, pair.b) not in self._hidden
                    and pair.a not in self._gone
                    and pair.b not in self._gone
                ]
            return self._pairs

    def count(self) -> int:
        return len(self.pairs())

    def fetch(self, offset: int, limit: int) -> list[tuple[Any, ...]]:
        labels = self._findings.labels
        rows = []
        for pair in self.pairs()[offset : offset + limit]:
            size = max(self._cluster_size.get(pair.a, 2), self._cluster_size.get(pair.b, 2))
            rows.append(
                (
                    pair_key(pair.a, pair.b),
                    labels.get(pair.a, ""),
                    labels.get(pair.b, ""),
                    (pair.band, pair.score),
                    "; ".join(pair.reasons),
                    f"{size} records" if size > 2 else "",
                    pair.a,
                    pair.b,
                    pair.band,
                )
            )
        return rows


def pairs_table() -> QTableView:
    """The read-only, single-row-selecting view of the pairs."""
    table = QTableView()
    table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in the table
    table.setObjectName("duplicatePairs")
    table.setAccessibleName("Possible duplicate students")
    table.setAccessibleDescription("Select a pair to compare both records below.")
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    return table


def fit_columns(table: QTableView) -> None:
    """Names and confidence fit their text; "Why" takes what is left (its tooltip has all of it)."""
    header = table.horizontalHeader()
    for column in (0, 1, 2, 4):
        table.resizeColumnToContents(column)
        header.resizeSection(column, min(header.sectionSize(column), 220))
    header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

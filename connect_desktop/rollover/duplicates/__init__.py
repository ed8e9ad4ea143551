"""Duplicate students: find the records that are probably the same child (issue 11, step 6).

`find_in_cache(connection)` reads the students as the user sees them; `find_in_records`
takes any people (a CSV of them: `records.read_csv`). Both return `Findings`: scored
pairs with their reasons, best first, in two bands (MATCH: propose the merge; CHECK:
uncertain, "check these"), and the clusters the pairs join into.
"""

from connect_desktop.rollover.duplicates.engine import DetectionCancelledError, find_in_cache, find_in_records
from connect_desktop.rollover.duplicates.findings import (
    BAND_TEXT,
    CHECK_SCORE,
    MATCH_SCORE,
    Band,
    CandidatePair,
    Cluster,
    Findings,
    Place,
)
from connect_desktop.rollover.duplicates.records import PersonRecord, RecordsError

__all__ = [
    "BAND_TEXT",
    "CHECK_SCORE",
    "MATCH_SCORE",
    "Band",
    "CandidatePair",
    "Cluster",
    "DetectionCancelledError",
    "Findings",
    "PersonRecord",
    "Place",
    "RecordsError",
    "find_in_cache",
    "find_in_records",
]

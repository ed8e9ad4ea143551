"""What the detector finds: scored pairs and the clusters they join into."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

MATCH_SCORE = 0.5
"""From this score on, a pair is proposed for merging."""
CHECK_SCORE = 0.15
"""From this score up to MATCH_SCORE, a pair is uncertain: shown as "check these"."""


class Band(StrEnum):
    MATCH = "match"
    CHECK = "check"
    """Uncertain: shown as "check these", neither merged nor hidden."""


BAND_TEXT: dict[Band, str] = {Band.MATCH: "Likely the same child", Band.CHECK: "Check these"}
"""How each band reads, in the app's list and filter and in the CLI's listing."""


def band_of(score: float, *, birth_dates_differ: bool = False) -> Band:
    """MATCH from MATCH_SCORE on, except that two records whose birth dates differ outright (not
    a slip, not close) are always for a person to check: a child's birth date is the field a
    family and the SIS agree on, and namesakes of one family name differ in it."""
    return Band.MATCH if score >= MATCH_SCORE and not birth_dates_differ else Band.CHECK


@dataclass(frozen=True)
class CandidatePair:
    a: str
    b: str
    """Record ids, a < b."""
    score: float
    """0..1: the probability that a and b are the same child."""
    band: Band
    reasons: tuple[str, ...]
    """Plain words: "same birth date", "first names Jon / John (nickname)", ..."""


@dataclass(frozen=True)
class Cluster:
    ids: tuple[str, ...]
    """Sorted; pairs joined transitively (MATCH and CHECK pairs)."""
    score: float
    """The lowest pair score holding it together."""


@dataclass(frozen=True)
class Place:
    """Where a record is: its school (the cache's school id, or a file's school column) and grade."""

    school: str
    grade: str


@dataclass(frozen=True)
class Findings:
    pairs: list[CandidatePair]
    """Best first."""
    clusters: list[Cluster]
    labels: dict[str, str] = field(default_factory=dict)
    """"Family, Given" of every record in a pair, for lists and reports."""
    places: dict[str, Place] = field(default_factory=dict)
    """School and grade of every record in a pair, for the school and grade filters."""

    def narrowed(
        self, band: Band | None = None, school: str | None = None, grade: str | None = None
    ) -> list[CandidatePair]:
        """The pairs of `band` with a child in `school` and `grade` (None: any), best first.

        A pair is in a school and grade when either of its two records is: a duplicate made
        in another school, or after the child moved up a grade, belongs to both lists.
        """

        def inside(record_id: str) -> bool:
            place = self.places.get(record_id)
            if place is None:
                return school is None and grade is None
            return (school is None or place.school == school) and (grade is None or place.grade == grade)

        return [
            pair
            for pair in self.pairs
            if (band is None or pair.band == band) and (inside(pair.a) or inside(pair.b))
        ]


def clusters_of(pairs: Iterable[CandidatePair]) -> list[Cluster]:
    """Join pairs transitively (union-find); a cluster's score is its weakest needed link.

    Pairs are joined best first, so the score of the join that completed a cluster is the
    lowest score of the strongest chain holding it together. Biggest clusters first.
    """
    parent: dict[str, str] = {}
    weakest: dict[str, float] = {}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in sorted(pairs, key=lambda p: -p.score):
        for x in (pair.a, pair.b):
            if x not in parent:
                parent[x] = x
                weakest[x] = 1.0
        ra, rb = root(pair.a), root(pair.b)
        if ra != rb:
            parent[rb] = ra
            weakest[ra] = min(weakest[ra], weakest[rb], pair.score)
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    clusters = [Cluster(tuple(sorted(ids)), weakest[r]) for r, ids in members.items()]
    clusters.sort(key=lambda c: (-len(c.ids), -c.score, c.ids))
    return clusters

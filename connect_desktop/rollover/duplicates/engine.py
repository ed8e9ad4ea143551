"""Find the pairs of records that are probably the same person: block, compare, score, cluster.

The work per record stays small and fixed: each blocking key proposes a few neighbours per
record (see `blocking`), each new candidate pair is compared once into a small integer
pattern (see `compare`), and only the pairs the model scores at least `min_score` ever
become Python objects. EM fits over the distinct patterns and their counts (see `scoring`).
"""

from __future__ import annotations

import importlib
import random
from array import array
from collections.abc import Callable, Collection, Iterable

from sqlalchemy import Connection

from connect_desktop.rollover.duplicates.blocking import candidate_pairs, rule_names
from connect_desktop.rollover.duplicates.compare import BIRTH_DIFFERENT, build_comparison
from connect_desktop.rollover.duplicates.findings import (
    CHECK_SCORE,
    CandidatePair,
    Findings,
    band_of,
    clusters_of,
)
from connect_desktop.rollover.duplicates.prepared import Prepared, prepare
from connect_desktop.rollover.duplicates.reasons import reasons
from connect_desktop.rollover.duplicates.records import PersonRecord, cache_records
from connect_desktop.rollover.duplicates.scoring import fit_per_rule

RANDOM_PAIRS = 60_000
"""Random pairs that estimate how often different people agree by chance (u)."""

Progress = Callable[[int, int], None]


class DetectionCancelledError(Exception):
    """The caller's `cancelled()` said stop; nothing was found or changed."""


def find_in_cache(
    connection: Connection,
    *,
    min_score: float | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Findings:
    """Probable duplicate students in the cache, as the user sees it (staged merges and deletes
    applied), leaving out every pair dismissed as "not the same child"."""
    return find_in_records(
        cache_records(connection),
        min_score=min_score,
        dismissed=_dismissed(connection),
        progress=progress,
        cancelled=cancelled,
    )


def _dismissed(connection: Connection) -> set[tuple[str, str]]:
    try:  # the dismissals store arrives with the merge step; before it, nothing is dismissed
        module = importlib.import_module("connect_desktop.rollover.dismissals")
    except ModuleNotFoundError:
        return set()
    pairs: Iterable[tuple[str, str]] = module.dismissed_pairs(connection)
    return {(a, b) if a < b else (b, a) for a, b in pairs}


def find_in_records(
    records: Iterable[PersonRecord],
    *,
    min_score: float | None = None,
    dismissed: Collection[tuple[str, str]] = (),
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    seed: int = 0,
) -> Findings:
    """Probable duplicates among `records` (ids must be unique): pairs scoring at least
    `min_score` (default: the "check these" score), best first, and their clusters.

    `dismissed` pairs (a < b) are never proposed. `progress(done, total)` is called after
    each stage; `cancelled()` is asked as often, and DetectionCancelledError raised when it is true.
    """
    data = prepare(records)
    threshold = CHECK_SCORE if min_score is None else min_score
    return detect(data, threshold, set(dismissed), progress, cancelled, seed)


def detect(
    data: Prepared,
    threshold: float,
    dismissed: Collection[tuple[str, str]],
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    seed: int,
) -> Findings:
    """The work of `find_in_records` on prepared columns."""
    n = len(data)
    comparison = build_comparison(data)
    pattern = comparison.pattern
    stages = len(rule_names(data)) + 2

    def step(done: int) -> None:
        if cancelled is not None and cancelled():
            raise DetectionCancelledError
        if progress is not None:
            progress(done, stages)

    first, second, codes, found_by = array("i"), array("i"), array("q"), array("b")
    per_rule: list[dict[int, int]] = []
    seen: set[int] = set()
    for position, pairs in candidate_pairs(data):
        step(position)
        counts: dict[int, int] = {}
        per_rule.append(counts)
        add, size = seen.add, len(seen)
        for i, j in pairs:
            add(i * n + j)
            if len(seen) == size:
                continue
            size += 1
            code = pattern(i, j)
            first.append(i)
            second.append(j)
            codes.append(code)
            found_by.append(position)
            counts[code] = counts.get(code, 0) + 1
    del seen
    step(stages - 2)

    rng = random.Random(seed)
    chance: dict[int, int] = {}
    if n >= 2:
        for _ in range(RANDOM_PAIRS):
            i, j = rng.randrange(n), rng.randrange(n)
            if i != j:
                code = pattern(min(i, j), max(i, j))
                chance[code] = chance.get(code, 0) + 1
    levels_of = {code: tuple(comparison.decode(code)) for counts in per_rule for code in counts}
    models = fit_per_rule(
        comparison.fields,
        [{levels_of[c]: k for c, k in counts.items()} for counts in per_rule],
        _merge_levels(comparison.decode, chance),
    )
    score_of: dict[tuple[int, int], float] = {}
    for position, (model, counts) in enumerate(zip(models, per_rule, strict=True)):
        for code in counts:
            score = model.probability(levels_of[code])
            if score >= threshold:
                score_of[position, code] = score
    birth_at = [spec.name for spec in comparison.fields].index("birth_date")
    step(stages - 1)

    ids, shown_given, shown_family = data.ids, data.shown_given, data.shown_family
    found: list[CandidatePair] = []
    labels: dict[str, str] = {}
    for k, code in enumerate(codes):
        s = score_of.get((found_by[k], code))
        if s is None:
            continue
        i, j = first[k], second[k]
        a, b = ids[i], ids[j]
        if a > b:
            a, b, i, j = b, a, j, i
        if (a, b) in dismissed:
            continue
        found.append(
            CandidatePair(
                a,
                b,
                round(s, 4),
                band_of(s, birth_dates_differ=levels_of[code][birth_at] == BIRTH_DIFFERENT),
                reasons(data, i, j, comparison.swapped(i, j)),
            )
        )
        labels[a] = f"{shown_family[i]}, {shown_given[i]}"
        labels[b] = f"{shown_family[j]}, {shown_given[j]}"
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    step(stages)
    return Findings(found, clusters_of(found), labels)


def _merge_levels(decode: Callable[[int], list[int]], chance: dict[int, int]) -> dict[tuple[int, ...], int]:
    out: dict[tuple[int, ...], int] = {}
    for code, count in chance.items():
        key = tuple(decode(code))
        out[key] = out.get(key, 0) + count
    return out

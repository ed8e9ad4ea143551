"""Find the pairs of records that are probably the same person: block, compare, score, cluster.

The work per record stays small and fixed: each blocking key proposes a few neighbours per
record (see `blocking`), each new candidate pair is compared once into a small integer
pattern (see `compare`), all of it as array operations over the columns (see `encoded`), and
only the pairs the model scores at least `min_score` ever become Python objects. EM fits over
the distinct patterns and their counts (see `scoring`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from connect_desktop.rollover.duplicates.arrays import distinct_with_counts, member, union
from connect_desktop.rollover.duplicates.blocking import candidate_pairs, rule_names, split
from connect_desktop.rollover.duplicates.compare import BIRTH_DIFFERENT, build_comparison
from connect_desktop.rollover.duplicates.encoded import encode
from connect_desktop.rollover.duplicates.findings import (
    CHECK_SCORE,
    CandidatePair,
    Findings,
    Place,
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
    encoded = encode(data)
    comparison = build_comparison(data, encoded)
    stages = len(rule_names(encoded)) + 2

    def step(done: int) -> None:
        if cancelled is not None and cancelled():
            raise DetectionCancelledError
        if progress is not None:
            progress(done, stages)

    # per rule, the pairs it proposed first and their patterns
    found_pairs: list[npt.NDArray[np.int64]] = []
    found_codes: list[npt.NDArray[np.int64]] = []
    seen = np.empty(0, dtype=np.int64)
    for position, pairs in candidate_pairs(encoded):
        step(position)
        pairs = pairs[~member(pairs, seen)]
        seen = union(seen, pairs)
        first, second = split(pairs, n)
        found_pairs.append(pairs)
        found_codes.append(comparison.patterns(first, second))
    del seen
    step(stages - 2)

    chance: dict[int, int] = {}
    if n >= 2:
        rng = np.random.default_rng(seed)
        x, y = rng.integers(n, size=RANDOM_PAIRS), rng.integers(n, size=RANDOM_PAIRS)
        apart = x != y
        chance = _counted(comparison.patterns(np.minimum(x, y)[apart], np.maximum(x, y)[apart]))
    per_rule = [_counted(codes) for codes in found_codes]
    levels_of = {code: tuple(comparison.decode(code)) for counts in per_rule for code in counts}
    models = fit_per_rule(
        comparison.fields,
        [{levels_of[c]: k for c, k in counts.items()} for counts in per_rule],
        _merge_levels(comparison.decode, chance),
    )
    field_names = [spec.name for spec in comparison.fields]
    birth_at = field_names.index("birth_date")
    named_levels = {code: dict(zip(field_names, levels, strict=True)) for code, levels in levels_of.items()}
    step(stages - 1)

    ids, shown_given, shown_family = data.ids, data.shown_given, data.shown_family
    found: list[CandidatePair] = []
    labels: dict[str, str] = {}
    places: dict[str, Place] = {}
    for model, rule_counts, rule_pairs, rule_codes in zip(
        models, per_rule, found_pairs, found_codes, strict=True
    ):
        score_of = {code: model.probability(levels_of[code]) for code in rule_counts}
        above = np.asarray([c for c, score in score_of.items() if score >= threshold], dtype=np.int64)
        above.sort()
        for k in np.flatnonzero(member(rule_codes, above)).tolist():
            code = int(rule_codes[k])
            score = score_of[code]
            i, j = divmod(int(rule_pairs[k]), n)
            pattern, swapped = named_levels[code], comparison.swapped(i, j)
            if ids[i] > ids[j]:
                i, j = j, i
                if swapped:  # the pattern compared i's given name with j's family name: now the other way
                    given, family = pattern["given_name"], pattern["family_name"]
                    pattern = {**pattern, "given_name": family, "family_name": given}
            a, b = ids[i], ids[j]
            if (a, b) in dismissed:
                continue
            found.append(
                CandidatePair(
                    a,
                    b,
                    round(score, 4),
                    band_of(score, birth_dates_differ=levels_of[code][birth_at] == BIRTH_DIFFERENT),
                    reasons(data, i, j, swapped, pattern, comparison.fields),
                )
            )
            for index, record_id in ((i, a), (j, b)):
                labels[record_id] = f"{shown_family[index]}, {shown_given[index]}"
                places[record_id] = Place(data.school[index], data.shown_grade[index])
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    step(stages)
    return Findings(found, clusters_of(found), labels, places)


def _counted(codes: npt.NDArray[np.int64]) -> dict[int, int]:
    """How many pairs show each pattern."""
    values, counts = distinct_with_counts(codes)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def _merge_levels(decode: Callable[[int], list[int]], chance: dict[int, int]) -> dict[tuple[int, ...], int]:
    out: dict[tuple[int, ...], int] = {}
    for code, count in chance.items():
        key = tuple(decode(code))
        out[key] = out.get(key, 0) + count
    return out

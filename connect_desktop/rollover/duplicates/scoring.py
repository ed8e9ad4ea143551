"""The score of a pair: a Fellegi–Sunter model with its weights estimated by EM.

Why this method: Fellegi–Sunter is the standard of record linkage (Splink and statistical
agencies use it) and needs no labelled examples, which a school district does not have.
Each field's agreement level has an m-probability (how often true duplicates show it) and
a u-probability (how often two different children do); a pair's weight is the sum of
log(m/u) over its fields, and its score the posterior probability of "same person".

Estimation (Winkler's EM on the candidate pairs): u starts from random pairs and is then
re-estimated on the candidates, because different children that became candidates by
sharing a key agree on it far more often than random pairs do (with u fixed at its
random-pair value, FEBRL 2 without the id number fell from F1 0.995 to 0.86). m has a
Dirichlet prior centred on typical values: duplicates are a small minority of a
district's candidates, and plain EM then lets its "match" class drift to siblings or to
school-and-grade neighbours (measured on the seeded district). EM runs over the distinct
comparison patterns with their counts, not over pairs: milliseconds for millions of pairs.
A learned classifier would need labels; a hand-set weighted sum would not adapt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connect_desktop.rollover.duplicates.compare import Field

_EPS = 1e-6


@dataclass(frozen=True)
class Model:
    """The fitted weights: log(m/u) per field and level, and the prior log-odds of a match."""

    fields: tuple[Field, ...]
    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    prior: float
    """The estimated share of true duplicates among the candidate pairs."""

    def weight(self, levels: Sequence[int]) -> float:
        """The log-odds of a match for one pattern's levels (MISSING fields add nothing)."""
        total = math.log(self.prior / (1 - self.prior))
        for field_m, field_u, level in zip(self.m, self.u, levels, strict=True):
            if level >= 0:
                total += math.log(field_m[level] / field_u[level])
        return total

    def probability(self, levels: Sequence[int]) -> float:
        weight = self.weight(levels)
        if weight > 40:
            return 1.0
        if weight < -40:
            return 0.0
        return 1 / (1 + math.exp(-weight))


def _frequencies(
    fields: Sequence[Field],
    patterns: Sequence[tuple[tuple[int, ...], float]],
    smooth: float,
    prior: Sequence[Sequence[float]] | None = None,
    strength: float = 0.0,
) -> list[list[float]]:
    """Per field, the share of each level among `patterns` (weighted counts), MISSING left out;
    with `prior`, `strength` pseudo-pairs spread as it says are added (a Dirichlet prior)."""
    out = []
    for k, spec in enumerate(fields):
        tally = [smooth] * spec.levels
        for levels, count in patterns:
            if levels[k] >= 0:
                tally[levels[k]] += count
        if prior is not None:
            tally = [t + strength * p for t, p in zip(tally, prior[k], strict=True)]
        total = sum(tally)
        out.append([max(t / total, _EPS) for t in tally])
    return out


def fit(
    fields: Sequence[Field],
    candidates: Mapping[tuple[int, ...], int],
    random_pairs: Mapping[tuple[int, ...], int],
    *,
    iterations: int = 100,
) -> Model:
    """Estimate the model by EM over `candidates`, u starting from `random_pairs`
    (both: {levels: number of pairs with them}).

    m has a Dirichlet prior centred on `TYPICAL_M` worth `PRIOR_SHARE` of the candidate
    pairs: when duplicates are a small minority of the candidates (a district with 0.5%
    of them, where siblings sharing contacts and a family name far outnumber them), the
    EM's "match" class must not drift to the siblings; when duplicates are many (FEBRL),
    the data outweighs the prior.
    """
    items = [(levels, float(count)) for levels, count in candidates.items()]
    total = sum(count for _, count in items) or 1.0
    u = _frequencies(fields, [(k, float(v)) for k, v in random_pairs.items()], smooth=0.5)
    typical = [TYPICAL_M.get(spec.name, _generic_m(spec.levels)) for spec in fields]
    strength = PRIOR_SHARE * total
    m = [list(row) for row in typical]
    prior = 0.05
    for _ in range(iterations):
        log_m = [[math.log(x) for x in row] for row in m]
        log_u = [[math.log(x) for x in row] for row in u]
        base = math.log(prior / (1 - prior))
        matched: list[tuple[tuple[int, ...], float]] = []
        unmatched: list[tuple[tuple[int, ...], float]] = []
        share = 0.0
        for levels, count in items:
            weight = base
            for k, level in enumerate(levels):
                if level >= 0:
                    weight += log_m[k][level] - log_u[k][level]
            g = 1.0 if weight > 40 else 0.0 if weight < -40 else 1 / (1 + math.exp(-weight))
            matched.append((levels, g * count))
            unmatched.append((levels, (1 - g) * count))
            share += g * count
        new_prior = min(max(share / total, _EPS), 1 - _EPS)
        m = _frequencies(fields, matched, smooth=0.0, prior=typical, strength=strength)
        u = _frequencies(fields, unmatched, smooth=0.5)
        converged = abs(new_prior - prior) < 1e-6 * max(prior, 1e-3)
        prior = new_prior
        if converged:
            break
    return Model(tuple(fields), _freeze(m), _freeze(u), prior)


PRIOR_SHARE = 1.0
"""The weight of the typical m-probabilities, as a share of the candidate pairs."""

TYPICAL_M: dict[str, tuple[float, ...]] = {
    # levels low to high, as `compare` numbers them
    "given_name": (0.02, 0.03, 0.07, 0.03, 0.85),
    "family_name": (0.03, 0.03, 0.08, 0.005, 0.855),
    "birth_date": (0.03, 0.02, 0.05, 0.90),
    "student_number": (0.6, 0.4),
    "contacts": (0.3, 0.2, 0.5),
    "grade": (0.03, 0.25, 0.72),
    "school": (0.3, 0.7),
    "archived": (0.75, 0.25),
    "state": (0.1, 0.9),
}
"""How often true duplicates show each agreement level, before the data says otherwise."""


def _generic_m(levels: int) -> tuple[float, ...]:
    """Mostly the same, sometimes a slip, rarely different."""
    if levels == 2:
        return (0.1, 0.9)
    rest = 0.25 / (levels - 1)
    return tuple([rest] * (levels - 1) + [0.75])


def _freeze(rows: list[list[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in rows)

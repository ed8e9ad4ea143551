"""The score of a pair: Fellegi–Sunter models, one per blocking rule, weights estimated by EM.

Why this method: Fellegi–Sunter is the standard of record linkage (Splink and statistical
agencies use it) and needs no labelled examples, which a school district does not have.
Each field's agreement level has an m-probability (how often true duplicates show it) and
a u-probability (how often two different children do); a pair's weight is the sum of
log(m/u) over its fields, and its score the posterior probability of "same person".

Why one model per blocking rule: the candidates are a mixture of very different
populations. Among 100,000 students, the different children proposed because their names
sound alike nearly always share a first name, and the school-and-grade neighbours nearly
always share a grade; one u over all candidates made "same first name" and "same grade"
look common among non-matches (u 0.41 and 0.59) and lost 40% of the planted duplicates,
every birth-date typo among them. So each rule (the first that proposed a pair) has its own
u and its own share of duplicates, starting from random pairs and re-estimated by EM on its
own candidates.

m is shared, because a duplicate is a duplicate whichever key found it: one pooled m with
a Dirichlet prior centred on typical values (duplicates are a small minority of a
district's candidates, and plain EM lets its "match" class drift to siblings or
school-and-grade neighbours). Each rule sees that m restricted to the levels its own pairs
can show (a rule that requires the same birth date never sees a birth-date typo). Each u has
the random pairs' u as a weak prior, or a rule whose candidates are nearly all duplicates
(FEBRL's) lets its "non-match" class take them in. Twins (`TWIN_WEIGHT`) are held below the
"check these" score, or EM's "match" class takes them in; school, grade and archived only
nudge a score (`CONTEXT_LIMIT`). EM runs over the distinct comparison patterns with
their counts, not over pairs: milliseconds for millions of pairs. A learned classifier would
need labels; a hand-set weighted sum would not adapt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from connect_desktop.rollover.duplicates.compare import (
    CONTACTS_ONE,
    GRADE_SAME,
    NAME_DIFFERENT,
    NAME_TYPO,
    SCHOOL_SAME,
    Field,
)

_EPS = 1e-6

Patterns = Mapping[tuple[int, ...], int]
"""{levels: number of pairs with them}"""


@dataclass(frozen=True)
class Model:
    """The fitted weights of one rule's pairs: m and u per field and level, the prior share of
    duplicates, and a bound on each field's log-odds (inf: none)."""

    fields: tuple[Field, ...]
    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    prior: float
    """The estimated share of true duplicates among the rule's candidate pairs."""
    limits: tuple[float, ...]

    def weight(self, levels: Sequence[int]) -> float:
        """The log-odds of a match for one pattern's levels (MISSING fields add nothing)."""
        return self._weights(levels)

    @cached_property
    def _weights(self) -> _Weights:
        return _Weights(self.fields, self.m, self.u, self.prior, self.limits)

    def probability(self, levels: Sequence[int]) -> float:
        return _logistic(self.weight(levels))


class _Weights:
    """log(m/u) per field and level, bounded, ready to sum over many patterns."""

    def __init__(
        self,
        fields: Sequence[Field],
        m: Sequence[Sequence[float]],
        u: Sequence[Sequence[float]],
        prior: float,
        limits: Sequence[float],
    ) -> None:
        self.base = math.log(prior / (1 - prior))
        self.table = [
            [_bounded(math.log(mk / uk), limit) for mk, uk in zip(m_row, u_row, strict=True)]
            for m_row, u_row, limit in zip(m, u, limits, strict=True)
        ]
        names = [spec.name for spec in fields]
        self.names_first = names[:2] == ["given_name", "family_name"]
        self.contacts = names.index("contacts") if "contacts" in names else -1
        self.grade = names.index("grade") if "grade" in names else -1
        self.school = names.index("school") if "school" in names else -1

    def __call__(self, levels: Sequence[int]) -> float:
        total = self.base
        table = self.table
        for k, level in enumerate(levels):
            if level >= 0:
                total += table[k][level]
        if total > TWIN_WEIGHT and self.names_first and self._twins(levels):
            return TWIN_WEIGHT
        return total

    def _twins(self, levels: Sequence[int]) -> bool:
        """Different first names, one family name, and a family contact or a class in common."""
        if levels[0] != NAME_DIFFERENT or levels[1] < NAME_TYPO:
            return False
        if self.contacts >= 0 and levels[self.contacts] >= CONTACTS_ONE:
            return True
        return (
            self.grade >= 0
            and self.school >= 0
            and levels[self.grade] == GRADE_SAME
            and levels[self.school] == SCHOOL_SAME
        )


def fit_per_rule(
    fields: Sequence[Field],
    candidates: Sequence[Patterns],
    random_pairs: Patterns,
    *,
    iterations: int = 150,
) -> list[Scorer]:
    """The scorer of each rule's `candidates`: one model for all the candidates together, and
    from `OWN_MODEL_PAIRS` pairs on, beside it, one model per rule; a pair scores what the more
    confident of its two models says.

    Why both: the rule's own model sees what the pooled one cannot (a birth-date typo among
    namesakes, a second record without a shared contact); the pooled one keeps what a rule of a
    few hundred pairs can lose when EM's "non-match" class takes in its duplicates (measured:
    nicknames in a district of 20,000, 1 of 29 found by the rule's model alone)."""
    together: dict[tuple[int, ...], int] = {}
    for patterns in candidates:
        for levels, count in patterns.items():
            together[levels] = together.get(levels, 0) + count
    [pooled] = _fit_groups(fields, [together], random_pairs, iterations, restrict=False)
    if sum(together.values()) < OWN_MODEL_PAIRS:
        return [Scorer((pooled,)) for _ in candidates]
    own = _fit_groups(fields, candidates, random_pairs, iterations, restrict=True)
    return [Scorer((pooled, model)) for model in own]


@dataclass(frozen=True)
class Scorer:
    """The models that score one rule's pairs; the most confident wins."""

    models: tuple[Model, ...]

    def probability(self, levels: Sequence[int]) -> float:
        return max(model.probability(levels) for model in self.models)


def _fit_groups(
    fields: Sequence[Field],
    candidates: Sequence[Patterns],
    random_pairs: Patterns,
    iterations: int,
    *,
    restrict: bool,
) -> list[Model]:
    """EM over each group's patterns; with `restrict`, m and u limited to the levels each shows."""
    typical = [TYPICAL_M.get(spec.name, _generic_m(spec.levels)) for spec in fields]
    limits = tuple(CONTEXT_LIMIT.get(spec.name, math.inf) for spec in fields)
    chance = _frequencies(fields, _items(random_pairs), smooth=0.5)
    rules = [_items(patterns) for patterns in candidates]
    sizes = [sum(count for _, count in items) for items in rules]
    shown = [
        _shown_levels(fields, items) if restrict else [set(range(spec.levels)) for spec in fields]
        for items in rules
    ]
    expected_u = [_within(chance, levels) for levels in shown]
    u = [[list(row) for row in start] for start in expected_u]
    prior = [START_PRIOR] * len(rules)
    shared = [list(row) for row in typical]
    strength = PRIOR_SHARE * sum(sizes)
    for _ in range(iterations):
        pooled: list[tuple[tuple[int, ...], float]] = []
        moved = 0.0
        for r, items in enumerate(rules):
            if not items:
                continue
            weigh = _Weights(fields, _within(shared, shown[r]), u[r], prior[r], limits)
            matched, unmatched, share = _expect(items, weigh)
            pooled += matched
            u[r] = _frequencies(fields, unmatched, smooth=0.0, prior=expected_u[r], strength=U_PRIOR)
            new_prior = min(max(share / sizes[r], _EPS), 1 - _EPS)
            moved = max(moved, abs(new_prior - prior[r]) / max(prior[r], 1e-3))
            prior[r] = new_prior
        shared = _frequencies(fields, pooled, smooth=0.0, prior=typical, strength=strength)
        if moved < 1e-6:
            break
    return [
        Model(tuple(fields), _freeze(_within(shared, shown[r])), _freeze(u[r]), prior[r], limits)
        for r in range(len(rules))
    ]


def _expect(
    items: Sequence[tuple[tuple[int, ...], float]], weigh: _Weights
) -> tuple[list[tuple[tuple[int, ...], float]], list[tuple[tuple[int, ...], float]], float]:
    """The E-step: each pattern's count split into its matched and unmatched parts."""
    matched, unmatched = [], []
    share = 0.0
    for levels, count in items:
        g = _logistic(weigh(levels))
        matched.append((levels, g * count))
        unmatched.append((levels, (1 - g) * count))
        share += g * count
    return matched, unmatched, share


def _items(patterns: Patterns) -> list[tuple[tuple[int, ...], float]]:
    return [(levels, float(count)) for levels, count in patterns.items()]


def _shown_levels(fields: Sequence[Field], items: Sequence[tuple[tuple[int, ...], float]]) -> list[set[int]]:
    """Per field, the levels some pair of the rule shows."""
    shown: list[set[int]] = [set() for _ in fields]
    for levels, _count in items:
        for k, level in enumerate(levels):
            if level >= 0:
                shown[k].add(level)
    return shown


def _within(m: Sequence[Sequence[float]], shown: Sequence[set[int]]) -> list[list[float]]:
    """m given that only the `shown` levels can occur (the rest of the mass spread over them)."""
    out = []
    for row, levels in zip(m, shown, strict=True):
        if not levels:
            out.append(list(row))
            continue
        total = sum(row[level] for level in levels)
        out.append([max(p / total, _EPS) if level in levels else _EPS for level, p in enumerate(row)])
    return out


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


def _bounded(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _logistic(weight: float) -> float:
    if weight > 40:
        return 1.0
    if weight < -40:
        return 0.0
    return 1 / (1 + math.exp(-weight))


PRIOR_SHARE = 1.0
"""The weight of the typical m-probabilities, as a share of the candidate pairs."""
OWN_MODEL_PAIRS = 5_000
"""From this many candidate pairs in all, each rule also has a model of its own."""
START_PRIOR = 0.05
"""EM's first guess at each rule's share of duplicates."""
U_PRIOR = 30.0
"""The weight, in pairs, of the random pairs' u as the prior of each rule's u: a rule whose
candidates are nearly all duplicates (FEBRL's "birth date and family name") otherwise lets
its "non-match" class take them in."""
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

TWIN_WEIGHT = math.log(0.01 / 0.99)
"""The most log-odds a pair of twins gets: first names that differ outright, one family name,
and a family contact or a class in common. However many twins a rule holds (in a district
of 100,000 there are hundreds) and however alike the rest of them is, EM must not take them
into its "match" class; in files without contacts or classes (FEBRL) no pair looks like twins."""

CONTEXT_LIMIT: dict[str, float] = {"archived": 3.0, "school": 5.0, "grade": 3.0}
"""School, grade and an archived side only nudge a score (log-odds): they say where a child
is, not who they are. The same school may say more: among a million students the "names and
birth year" rule holds three million namesake pairs, and for them a second record with the
same name, a birth date one slip apart and the same school is nearly always the same child;
bounded at 3, 28% of the birth-date typos stayed below "check these" (0.6% at 5)."""


def _generic_m(levels: int) -> tuple[float, ...]:
    """Mostly the same, sometimes a slip, rarely different."""
    if levels == 2:
        return (0.1, 0.9)
    rest = 0.25 / (levels - 1)
    return tuple([rest] * (levels - 1) + [0.75])


def _freeze(rows: list[list[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in rows)

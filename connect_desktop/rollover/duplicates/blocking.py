"""Which pairs to compare at all: records that share a blocking key.

Comparing every pair of a million students is half a trillion comparisons, so only records
that share one of several keys become candidates: their names (by sound, either order, so a
swap still meets), names and birth year or birth day, birth date with either name, the
student number, a family contact, school and grade (and, for files with addresses, postcode,
social security number). A typo in one field leaves the other keys to find the pair.

A block with more than `CAP` records (a common name, a contact linked to many children) is
not compared all pairs with all: it is sorted on a second key and each record is compared
with its `WINDOW` next neighbours (the sorted-neighbourhood method), so the work stays
linear in the number of records however many children share a key.

Keys are integer arrays over all records at once: the records are sorted by (key, order), and
the pairs at distance d in that order are taken where both ends share the key, for d = 1, 2,
… up to the block's limit. No Python loop runs per record or per pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from connect_desktop.rollover.duplicates.arrays import distinct, distinct_with_inverse
from connect_desktop.rollover.duplicates.encoded import Encoded, Ids

CAP = 24
"""Blocks up to this size are compared all pairs with all."""
WINDOW = 4
"""Neighbours each record of a bigger block is compared with, after sorting."""

Keys = npt.NDArray[np.int64]
"""One key per record, -1 for none."""
Links = tuple[npt.NDArray[np.int32], Keys]
"""(records, keys) for a key a record may have several of (its family contacts)."""
Order = npt.NDArray[np.int64]
PairCodes = npt.NDArray[np.int64]
"""Candidate pairs (i, j), i < j, as the sorted numbers i * records + j (see `split`)."""


@dataclass(frozen=True)
class Rule:
    """One blocking key: `keys(data)` gives each record's key (or its several keys), and
    `order(data)` the sort key of a record inside a block too big to compare whole."""

    name: str
    keys: Callable[[Encoded], Keys | Links]
    order: Callable[[Encoded], Order]
    window: int = WINDOW


def _key(*parts: Ids) -> Keys:
    """One key from several id columns; -1 wherever any part has no value (id 0)."""
    key = parts[0].astype(np.int64)
    missing = parts[0] == 0
    for part in parts[1:]:
        base = int(part.max(initial=0)) + 1
        if int(key.max(initial=0)) + 1 > (1 << 62) // base:
            key = distinct_with_inverse(key)[1]
        key = key * base + part
        missing |= part == 0
    key[missing] = -1
    return key


def _sounds(d: Encoded) -> tuple[Ids, Ids]:
    """The two names' sound keys, smaller first: the same for a pair whose names are swapped."""
    return np.minimum(d.given_sound, d.family_sound), np.maximum(d.given_sound, d.family_sound)


def _extra(d: Encoded, name: str) -> Ids:
    return d.extra[name][1]


def _contact_links(d: Encoded) -> Links:
    records, contacts = d.contact_links
    return records, contacts.astype(np.int64)


def _school_and_grade(d: Encoded) -> Keys:
    return _key(d.school, (d.grade + 1).astype(np.int32))


def _births(d: Encoded) -> Order:
    return d.birth_values.rank[d.birth].astype(np.int64)


def _given_order(d: Encoded) -> Order:
    rank = d.names.rank.astype(np.int64)
    return rank[d.given] * len(d.names) + rank[d.family]


def _full_names(d: Encoded) -> Order:
    rank = d.names.rank.astype(np.int64)
    return rank[d.family] * len(d.names) + rank[d.given]


def _rules(d: Encoded) -> list[Rule]:
    rules = [
        Rule("names and birth year", lambda d: _key(*_sounds(d), d.birth_year), _births),
        Rule("names and birth day", lambda d: _key(*_sounds(d), d.birth_day), _births),
        Rule("names", lambda d: _key(*_sounds(d)), _births),
        Rule("birth date and family name", lambda d: _key(d.birth, d.family_sound), _given_order),
        Rule("birth date and first name", lambda d: _key(d.birth, d.given_sound), _full_names),
    ]
    if d.number.any():
        rules.append(Rule("student number", lambda d: _key(d.number), _full_names))
    if d.contact_count.any():
        rules.append(
            Rule(
                "family contact",
                lambda d: (d.contact_links[0], d.contact_links[1].astype(np.int64)),
                _full_names,
            )
        )
    if d.school.any() and (d.grade >= 0).any():
        rules.append(
            Rule(
                "school and grade",
                lambda d: _key(d.school, (d.grade + 1).astype(np.int32)),
                _full_names,
                window=2,
            )
        )
    extra = d.extra
    if "soc_sec_id" in extra:
        rules.append(Rule("id number", lambda d: _key(d.extra["soc_sec_id"][1]), _full_names))
    if "postcode" in extra:
        rules.append(
            Rule(
                "postcode and family name",
                lambda d: _key(d.extra["postcode"][1], d.family_sound),
                _given_order,
            )
        )
        rules.append(
            Rule(
                "postcode and first name", lambda d: _key(d.extra["postcode"][1], d.given_sound), _full_names
            )
        )
        rules.append(
            Rule("postcode and birth date", lambda d: _key(d.extra["postcode"][1], d.birth), _full_names)
        )
    if "street_number" in extra and "address_1" in extra:
        rules.append(
            Rule(
                "street address",
                lambda d: _key(_extra(d, "street_number"), d.address_start),
                _full_names,
            )
        )
    if "suburb" in extra:
        rules.append(
            Rule("suburb and family name", lambda d: _key(_extra(d, "suburb"), d.family_sound), _given_order)
        )
    return rules


def rule_names(data: Encoded) -> list[str]:
    """The blocking keys used for `data`, in the order they are applied."""
    return [rule.name for rule in _rules(data)]


def split(codes: PairCodes, size: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pair codes back to the positions of their two records."""
    return codes // size, codes % size


def candidate_pairs(data: Encoded, *, cap: int = CAP) -> Iterator[tuple[int, PairCodes]]:
    """Per blocking rule (its position), the distinct candidate pairs it proposes; a pair may
    come again from a later rule (the caller keeps the first)."""
    for position, rule in enumerate(_rules(data)):
        yield position, pairs_of(data, rule, cap)


def pairs_of(data: Encoded, rule: Rule, cap: int = CAP) -> PairCodes:
    """The distinct pairs (first < second) that `rule` proposes."""
    keys = rule.keys(data)
    if isinstance(keys, tuple):
        records, key = keys[0].astype(np.int64), keys[1]
    else:
        records = np.flatnonzero(keys >= 0)
        key = keys[records]
    order = rule.order(data)[records]
    ranked = np.lexsort((order, key))
    records, key = records[ranked], key[ranked]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if key.size else key
    sizes = np.diff(np.append(starts, key.size))
    size_of = np.repeat(sizes, sizes)
    firsts: list[npt.NDArray[np.int64]] = []
    seconds: list[npt.NDArray[np.int64]] = []
    for distance in range(1, cap):
        together = key[:-distance] == key[distance:]
        if distance > rule.window:
            together &= size_of[:-distance] <= cap
        at = np.flatnonzero(together)
        if not at.size:
            break  # blocks are contiguous: none at this distance, none further
        firsts.append(records[at])
        seconds.append(records[at + distance])
    if not firsts:
        return np.empty(0, dtype=np.int64)
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    apart = a != b  # one record may list the same contact under two links
    first, second = np.minimum(a, b)[apart], np.maximum(a, b)[apart]
    return distinct(first * data.size + second)

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from connect_desktop.rollover.duplicates.prepared import Prepared

CAP = 24
"""Blocks up to this size are compared all pairs with all."""
WINDOW = 4
"""Neighbours each record of a bigger block is compared with, after sorting."""


@dataclass(frozen=True)
class Rule:
    """One blocking key: `keys(data)` gives each record's key(s) (None or "" for none), and
    `order(data)` the sort key of a record inside a block too big to compare whole."""

    name: str
    keys: Callable[[Prepared], Sequence[object]]
    order: Callable[[Prepared], Sequence[str]]
    window: int = WINDOW


def _name_keys(d: Prepared) -> list[str]:
    return [
        (f"{g}|{f}" if g <= f else f"{f}|{g}") if g and f else ""
        for g, f in zip(d.given_sound, d.family_sound, strict=True)
    ]


def _with(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return [f"{a}|{b}" if a and b else "" for a, b in zip(first, second, strict=True)]


def _full_names(d: Prepared) -> list[str]:
    return [f"{f} {g}" for g, f in zip(d.given, d.family, strict=True)]


def _rules(d: Prepared) -> list[Rule]:
    rules = [
        Rule("names and birth year", lambda d: _with(_name_keys(d), [b[:4] for b in d.birth]), _births),
        Rule("names and birth day", lambda d: _with(_name_keys(d), [b[4:] for b in d.birth]), _births),
        Rule("names", _name_keys, _births),
        Rule("birth date and family name", lambda d: _with(d.birth, d.family_sound), _given_order),
        Rule("birth date and first name", lambda d: _with(d.birth, d.given_sound), _family_order),
    ]
    if d.has(d.number):
        rules.append(Rule("student number", lambda d: d.number, _full_names))
    if any(d.contacts):
        rules.append(Rule("family contact", lambda d: d.contacts, _full_names))
    if d.has(d.school) and any(g >= 0 for g in d.grade):
        rules.append(
            Rule(
                "school and grade",
                lambda d: [
                    f"{s}|{g}" if s and g >= 0 else "" for s, g in zip(d.school, d.grade, strict=True)
                ],
                _full_names,
                window=2,
            )
        )
    extra = d.extra
    if "soc_sec_id" in extra:
        rules.append(Rule("id number", lambda d: d.extra["soc_sec_id"], _full_names))
    if "postcode" in extra:
        rules.append(
            Rule(
                "postcode and family name", lambda d: _with(d.extra["postcode"], d.family_sound), _given_order
            )
        )
        rules.append(
            Rule(
                "postcode and first name", lambda d: _with(d.extra["postcode"], d.given_sound), _family_order
            )
        )
        rules.append(
            Rule("postcode and birth date", lambda d: _with(d.extra["postcode"], d.birth), _full_names)
        )
    if "street_number" in extra and "address_1" in extra:
        rules.append(
            Rule(
                "street address",
                lambda d: _with(d.extra["street_number"], [a[:4] for a in d.extra["address_1"]]),
                _full_names,
            )
        )
    if "suburb" in extra:
        rules.append(
            Rule("suburb and family name", lambda d: _with(d.extra["suburb"], d.family_sound), _given_order)
        )
    return rules


def _births(d: Prepared) -> list[str]:
    return d.birth


def _given_order(d: Prepared) -> list[str]:
    return [f"{g} {f}" for g, f in zip(d.given, d.family, strict=True)]


def _family_order(d: Prepared) -> list[str]:
    return _full_names(d)


def rule_names(data: Prepared) -> list[str]:
    """The blocking keys used for `data`, in the order they are applied."""
    return [rule.name for rule in _rules(data)]


def candidate_pairs(data: Prepared, *, cap: int = CAP) -> Iterator[tuple[int, Iterator[tuple[int, int]]]]:
    """Per blocking rule (its position), the candidate pairs (i < j) it proposes; a pair may
    come again from a later rule (the caller keeps the first)."""
    for position, rule in enumerate(_rules(data)):
        yield position, _pairs_of(data, rule, cap)


def _pairs_of(data: Prepared, rule: Rule, cap: int) -> Iterator[tuple[int, int]]:
    blocks: dict[object, list[int]] = {}
    for index, key in enumerate(rule.keys(data)):
        if not key:
            continue
        if isinstance(key, tuple):
            for part in key:
                blocks.setdefault(part, []).append(index)
        else:
            blocks.setdefault(key, []).append(index)
    order: Sequence[str] | None = None
    for members in blocks.values():
        size = len(members)
        if size < 2:
            continue
        if size <= cap:
            for x in range(size - 1):
                i = members[x]
                for y in range(x + 1, size):
                    j = members[y]
                    yield (i, j) if i < j else (j, i)
            continue
        if order is None:
            order = rule.order(data)
        ranked = sorted(members, key=order.__getitem__)
        for x in range(size - 1):
            i = ranked[x]
            for y in range(x + 1, min(x + 1 + rule.window, size)):
                j = ranked[y]
                yield (i, j) if i < j else (j, i)

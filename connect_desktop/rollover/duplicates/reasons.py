"""Why a pair was scored as it was, in words a school secretary understands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connect_desktop.domain.entities import GRADES
from connect_desktop.rollover.duplicates.compare import (
    BIRTH_CLOSE,
    BIRTH_SAME,
    BIRTH_SLIP,
    CONTACTS_NONE,
    GRADE_APART,
    GRADE_NEXT,
    GRADE_SAME,
    MISSING,
    NAME_NICKNAME,
    NAME_SAME,
    NAME_SIMILAR,
    NAME_TYPO,
    NUMBER_SAME,
    SCHOOL_SAME,
    STATUS_ONE_ARCHIVED,
    Field,
    birth_slip,
)
from connect_desktop.rollover.duplicates.prepared import Prepared

_EXTRA_WORDS = {
    "street_number": "street number",
    "address_1": "address",
    "address_2": "address line 2",
    "suburb": "suburb",
    "postcode": "postcode",
    "state": "state",
    "soc_sec_id": "social security number",
}


def _grade(index: int) -> str:
    return GRADES[index] if 0 <= index < len(GRADES) else str(index)


def _date(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(digits) == 8 else digits


def _name_words(kind: str, level: int, a: str, b: str) -> str | None:
    if level == NAME_SAME:
        return f"same {kind} name"
    if level == NAME_NICKNAME:
        return f"{kind} names {a} / {b} (nickname)"
    if level == NAME_TYPO:
        return f"{kind} names {a} / {b} (spelled alike)"
    if level == NAME_SIMILAR:
        return f"{kind} names {a} / {b} (a little alike)"
    if level == MISSING:
        return None
    return f"different {kind} names {a} / {b}"


def reasons(
    data: Prepared, i: int, j: int, swapped: bool, levels: Mapping[str, int], fields: Sequence[Field]
) -> tuple[str, ...]:
    """The plain reasons for the pair (i, j), strongest evidence first.

    Each reason reads the level the pair was scored on (`levels`: field name → level, as
    `Comparison.decode` gives them for `fields`); the records only supply the words.
    """
    words: list[str] = []

    def level(name: str) -> int:
        return levels.get(name, MISSING)

    shown_given, shown_family = data.shown_given, data.shown_family
    if swapped:
        words.append("given and family names swapped")
        shown = [("first", shown_given[i], shown_family[j]), ("family", shown_family[i], shown_given[j])]
    else:
        shown = [("first", shown_given[i], shown_given[j]), ("family", shown_family[i], shown_family[j])]
    for (kind, shown_a, shown_b), name in zip(shown, ("given_name", "family_name"), strict=True):
        said = _name_words(kind, level(name), shown_a, shown_b)
        if said:
            words.append(said)
    birth_a, birth_b = data.birth[i], data.birth[j]
    birth = level("birth_date")
    if birth == BIRTH_SAME:
        words.append("same birth date")
    elif birth == BIRTH_SLIP:
        words.append(f"birth dates {_date(birth_a)} / {_date(birth_b)} ({birth_slip(birth_a, birth_b)})")
    elif birth == BIRTH_CLOSE:
        words.append(f"birth dates {_date(birth_a)} / {_date(birth_b)} (close)")
    elif birth != MISSING:
        words.append("different birth dates")
    contacts = level("contacts")
    if contacts == CONTACTS_NONE:
        words.append("no family contact in common")
    elif contacts != MISSING:
        shared = len(set(data.contacts[i]) & set(data.contacts[j]))
        words.append(f"share {shared} family contact{'s' if shared > 1 else ''}")
    if level("student_number") == NUMBER_SAME:
        words.append("same student number")
    if level("archived") == STATUS_ONE_ARCHIVED:
        new = j if data.status[i] == "archived" else i
        if data.origin[new] == "sync":
            words.append("old record archived, new one from the SIS")
        else:
            words.append("one record archived, the other active")
    grade_a, grade_b = data.grade[i], data.grade[j]
    grade = level("grade")
    if grade == GRADE_SAME:
        words.append("same grade")
    elif grade == GRADE_NEXT:
        low, high = sorted((grade_a, grade_b))
        words.append(f"grades {_grade(low)} and {_grade(high)} (a year apart)")
    elif grade == GRADE_APART:
        words.append(f"grades {_grade(grade_a)} and {_grade(grade_b)}")
    school = level("school")
    if school != MISSING:
        words.append("same school" if school == SCHOOL_SAME else "different schools")
    for spec in fields:
        if spec.name in _EXTRA_WORDS and level(spec.name) == spec.levels - 1:  # the top level: the same
            words.append(f"same {_EXTRA_WORDS[spec.name]}")
    return tuple(words)

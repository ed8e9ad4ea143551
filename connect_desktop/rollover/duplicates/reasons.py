"""Why a pair was scored as it was, in words a school secretary understands."""

from __future__ import annotations

from connect_desktop.domain.entities import GRADES
from connect_desktop.rollover.duplicates.compare import (
    BIRTH_CLOSE,
    BIRTH_SAME,
    BIRTH_SLIP,
    MISSING,
    NAME_NICKNAME,
    NAME_SAME,
    NAME_SIMILAR,
    NAME_TYPO,
    birth_level,
    birth_slip,
    name_level,
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


def reasons(data: Prepared, i: int, j: int, swapped: bool) -> tuple[str, ...]:
    """The plain reasons for the pair (i, j), strongest evidence first."""
    words: list[str] = []
    shown_given, shown_family = data.shown_given, data.shown_family
    if swapped:
        words.append("given and family names swapped")
        pairs = [
            ("first", data.given[i], data.family[j], shown_given[i], shown_family[j]),
            ("family", data.family[i], data.given[j], shown_family[i], shown_given[j]),
        ]
    else:
        pairs = [
            ("first", data.given[i], data.given[j], shown_given[i], shown_given[j]),
            ("family", data.family[i], data.family[j], shown_family[i], shown_family[j]),
        ]
    for kind, a, b, shown_a, shown_b in pairs:
        said = _name_words(kind, name_level(a, b), shown_a, shown_b)
        if said:
            words.append(said)
    birth_a, birth_b = data.birth[i], data.birth[j]
    if birth_a and birth_b:
        level = birth_level(birth_a, birth_b)
        if level == BIRTH_SAME:
            words.append("same birth date")
        elif level == BIRTH_SLIP:
            words.append(f"birth dates {_date(birth_a)} / {_date(birth_b)} ({birth_slip(birth_a, birth_b)})")
        elif level == BIRTH_CLOSE:
            words.append(f"birth dates {_date(birth_a)} / {_date(birth_b)} (close)")
        else:
            words.append("different birth dates")
    contacts_a, contacts_b = data.contacts[i], data.contacts[j]
    if contacts_a and contacts_b:
        shared = sum(1 for c in contacts_a if c in contacts_b)
        if shared:
            words.append(f"share {shared} family contact{'s' if shared > 1 else ''}")
        else:
            words.append("no family contact in common")
    if data.number[i] and data.number[i] == data.number[j]:
        words.append("same student number")
    status_a, status_b = data.status[i], data.status[j]
    if (status_a == "archived") != (status_b == "archived") and status_a and status_b:
        new = j if status_a == "archived" else i
        if data.origin[new] == "sync":
            words.append("old record archived, new one from the SIS")
        else:
            words.append("one record archived, the other active")
    grade_a, grade_b = data.grade[i], data.grade[j]
    if grade_a >= 0 and grade_b >= 0:
        if grade_a == grade_b:
            words.append("same grade")
        elif abs(grade_a - grade_b) == 1:
            low, high = sorted((grade_a, grade_b))
            words.append(f"grades {_grade(low)} and {_grade(high)} (a year apart)")
        else:
            words.append(f"grades {_grade(grade_a)} and {_grade(grade_b)}")
    school_a, school_b = data.school[i], data.school[j]
    if school_a and school_b:
        words.append("same school" if school_a == school_b else "different schools")
    for name, column in data.extra.items():
        a, b = column[i], column[j]
        if a and b and a == b:
            words.append(f"same {_EXTRA_WORDS[name]}")
    return tuple(words)

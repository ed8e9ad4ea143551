"""The records as columns of comparable values (plain names, sound keys, digits)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from connect_desktop.domain.entities import GRADES
from connect_desktop.rollover.duplicates.names import plain, sound
from connect_desktop.rollover.duplicates.records import EXTRA_FIELDS, PersonRecord

_GRADE_INDEX = {code.casefold(): i for i, code in enumerate(GRADES)} | {"kg": 0, "0": 0, "00": 0}


def grade_index(grade: str) -> int:
    """K..12 as 0..12 (other numbers as themselves); -1 when missing or not a grade."""
    text = grade.strip().casefold()
    if text in _GRADE_INDEX:
        return _GRADE_INDEX[text]
    return int(text) if text.isdigit() else -1


def _code(value: str) -> str:
    return "".join(ch for ch in value.casefold() if ch.isalnum())


@dataclass
class Prepared:
    """Parallel columns, one entry per record (index = position in `ids`)."""

    ids: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    family: list[str] = field(default_factory=list)
    given_sound: list[str] = field(default_factory=list)
    family_sound: list[str] = field(default_factory=list)
    birth: list[str] = field(default_factory=list)
    number: list[str] = field(default_factory=list)
    school: list[str] = field(default_factory=list)
    grade: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    origin: list[str] = field(default_factory=list)
    contacts: list[tuple[str, ...]] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)
    shown_given: list[str] = field(default_factory=list)
    shown_family: list[str] = field(default_factory=list)
    shown_grade: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def has(self, column: list[str]) -> bool:
        return any(column)


def prepare(records: Iterable[PersonRecord]) -> Prepared:
    """Columns of `records`; raises ValueError on a repeated id."""
    out = Prepared()
    extras: dict[str, list[str]] = {name: [] for name in EXTRA_FIELDS}
    seen: set[str] = set()
    strings: dict[str, str] = {}  # one shared object per distinct value: a million rows repeat a lot
    intern = strings.setdefault
    for record in records:
        if record.id in seen:
            raise ValueError(f"record id used twice: {record.id}")
        seen.add(record.id)
        given, family = plain(record.given_name), plain(record.family_name)
        out.ids.append(record.id)
        out.given.append(intern(given, given))
        out.family.append(intern(family, family))
        out.given_sound.append(sound(given))
        out.family_sound.append(sound(family))
        out.birth.append(intern(record.birth_date, record.birth_date))
        number = _code(record.student_number)
        out.number.append(number)
        out.school.append(intern(record.school, record.school))
        out.grade.append(grade_index(record.grade))
        status = record.status.casefold()
        out.status.append(intern(status, status))
        origin = record.origin.casefold()
        out.origin.append(intern(origin, origin))
        out.contacts.append(record.contacts)
        out.shown_given.append(record.given_name)
        out.shown_family.append(record.family_name)
        out.shown_grade.append(intern(record.grade, record.grade))
        for name, column in extras.items():
            value = record.extra.get(name, "")
            value = plain(value) if name in ("address_1", "address_2", "suburb", "state") else _code(value)
            column.append(intern(value, value))
    out.extra = {name: column for name, column in extras.items() if any(column)}
    return out

"""How snapshot fields map onto server columns, both ways.

Snapshot references (`school`, `term`, `student`, `contact`, `classroom`, `person`)
hold source_ids; the server stores ids in `<name>_id` columns. A few snapshot fields
may be empty (None) where the server column is NOT NULL: those are stored as "" and
read back as None, so a re-run plans no update.
"""

from __future__ import annotations

from connect_desktop.domain.entities import EntityType

REFERENCES: dict[str, str] = {
    "school": "school",
    "term": "term",
    "student": "student",
    "contact": "contact",
    "classroom": "classroom",
}
"""Snapshot reference field -> the entity type it refers to (`person` depends on the role)."""

EMPTY_AS_BLANK: frozenset[tuple[str, str]] = frozenset(
    {("school", "grade_low"), ("school", "grade_high"), ("student", "grade"), ("classroom", "term")}
)
"""(type, field) pairs stored as "" when the source leaves them empty."""

ARCHIVE_VALUE: dict[str, tuple[str, str]] = {
    "student": ("status", "archived"),
    "classroom": ("status", "archived"),
    "staff": ("access", "revoked"),
}
"""Types a sync archives by setting a field: (column, archived value)."""

DELETED_TYPES: frozenset[str] = frozenset({"contact", "student_contact", "enrollment"})
"""Types whose vanished records are deleted, leaving a tombstone."""

DETACHED_TYPES: frozenset[str] = frozenset({"school", "term"})
"""Types with no archived state: a vanished one is kept and handed over to manual management."""

ARCHIVE_ORDER: tuple[str, ...] = (
    "enrollment",
    "classroom",
    "student_contact",
    "contact",
    "student",
    "staff",
    "term",
    "school",
)
"""Archive dependants before what they depend on."""


def column(field: str) -> str:
    """The server column of a snapshot field."""
    return f"{field}_id" if field in REFERENCES or field == "person" else field


def person_type(role: object) -> str:
    """The entity type an enrollment's person is, from the enrollment role."""
    return "student" if role == "student" else "staff"


def entity(type_: str) -> EntityType:
    return EntityType(type_)

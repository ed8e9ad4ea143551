"""How snapshot fields map onto server columns, both ways.

Snapshot references (`school`, `term`, `student`, `contact`, `classroom`, `person`)
hold source_ids; the server stores ids in `<name>_id` columns. A few snapshot fields
may be empty (None) where the server column is NOT NULL: those are stored as "" and
read back as None, so a re-run plans no update. The mapping both sides share (the
cache has the same columns) lives in `connect_desktop.rostering.current`.
"""

from __future__ import annotations

from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.current import (
    ARCHIVE_VALUE,
    EMPTY_AS_BLANK,
    REFERENCES,
    column_of,
    person_type,
)

__all__ = [
    "ARCHIVE_ORDER",
    "ARCHIVE_VALUE",
    "DELETED_TYPES",
    "DETACHED_TYPES",
    "EMPTY_AS_BLANK",
    "REFERENCES",
    "column",
    "entity",
    "person_type",
]

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
    return column_of(field)


def entity(type_: str) -> EntityType:
    return EntityType(type_)

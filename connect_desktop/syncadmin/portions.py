"""The parts of the sync a threshold or a pause applies to, as the screens name them."""

from __future__ import annotations

from connect_desktop.rostering.snapshot import PORTION_TYPES

ALL = "all"
"""A pause's portion meaning the whole sync (`Pause.portion` None)."""
PORTION_TITLE: dict[str, str] = {
    ALL: "The whole sync",
    "schools": "Schools and terms",
    "staff": "Staff",
    "students": "Students",
    "contacts": "Family contacts and links",
    "classrooms": "Classrooms",
    "enrollments": "Enrollments (rosters)",
}
TYPE_PORTION: dict[str, str] = {t: portion for portion, types in PORTION_TYPES.items() for t in types}
"""Entity type -> the portion whose threshold and pauses apply to it."""


def portion_title(portion: str | None) -> str:
    """'students' -> 'Students'; None -> 'The whole sync'."""
    key = portion or ALL
    return PORTION_TITLE.get(key, key)

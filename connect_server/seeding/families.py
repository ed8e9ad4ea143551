"""Family contacts (1–3 per family, shared by siblings) and their links to students."""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator

from connect_server.seeding.bulk import Row
from connect_server.seeding.context import SeedContext
from connect_server.seeding.names import BACKGROUNDS, ascii_slug, pick_language
from connect_server.seeding.schools import District
from connect_server.seeding.students import StudentBook

RELATIONSHIPS = ("mother", "father", "guardian", "grandmother", "grandfather", "aunt", "uncle")
ONEROSTER_ROLES = ("parent", "parent", "guardian", "relative", "relative", "relative", "relative")
"""What a SIS calls each relationship: synced links carry these words, as a sync writes them."""
_MAIL_DOMAINS = ("example.com", "example.net", "example.org")
UNREACHABLE_SHARE = 0.02
"""Families with neither e-mail nor phone for anyone."""


class FamilyGenerator:
    """Contacts first (remembering each one's relationship), then the student links."""

    def __init__(self, ctx: SeedContext, district: District, students: StudentBook) -> None:
        self.ctx = ctx
        self.district = district
        self.students = students
        self.relationship = array("b")
        self.contact_start = array("i")

    def contact_rows(self) -> Iterator[Row]:
        rng, book, ids = self.ctx.rng, self.students, self.ctx.ids("contact")
        index = 0
        for family in range(len(book.family_start)):
            background = BACKGROUNDS[book.family_background[family]]
            family_last = background.last_names[book.family_last[family]]
            school = book.school[book.family_start[family]]
            synced = self.district.schools[school].synced
            language = pick_language(rng, background)
            unreachable = rng.random() < UNREACHABLE_SHARE
            self.contact_start.append(index)
            for position in range(book.family_guardians[family]):
                relationship = self._relationship(rng, position)
                self.relationship.append(relationship)
                first = rng.choice(background.first_names)
                last = (
                    family_last if position == 0 or rng.random() < 0.7 else rng.choice(background.last_names)
                )
                email, phone = (None, None) if unreachable else self._reach(rng, first, last)
                yield (
                    ids.of(index),
                    contact_source_id(index) if synced else None,
                    "sync" if synced else "manual",
                    first,
                    last,
                    email,
                    phone,
                    language if position < 2 or rng.random() < 0.5 else "en",
                    self.district.schools[school].id,
                )
                index += 1

    def link_rows(self) -> Iterator[Row]:
        """Every child linked to every contact of the family; duplicates to their original's."""
        book, index = self.students, 0
        for family in range(len(book.family_start)):
            start = book.family_start[family]
            for student in range(start, start + book.family_kids[family]):
                yield from self._links(student, family, index)
                index += book.family_guardians[family]
        for duplicate in book.duplicates:
            yield from self._links(duplicate.record, duplicate.family, index)
            index += book.family_guardians[duplicate.family]

    def _links(self, student: int, family: int, first_link: int) -> Iterator[Row]:
        book, ctx = self.students, self.ctx
        school = self.district.schools[book.school[student]]
        student_source = book.source_id(student)
        family_synced = self.district.schools[book.school[book.family_start[family]]].synced
        student_id = ctx.ids("student").of(student)
        first_contact = self.contact_start[family]
        for offset in range(book.family_guardians[family]):
            contact = first_contact + offset
            source = (
                f"{student_source}:{contact_source_id(contact)}" if student_source and family_synced else None
            )
            yield (
                ctx.ids("student_contact").of(first_link + offset),
                source,
                "sync" if source else "manual",
                student_id,
                ctx.ids("contact").of(contact),
                (ONEROSTER_ROLES if source else RELATIONSHIPS)[self.relationship[contact]],
                school.id,
            )

    @staticmethod
    def _relationship(rng: random.Random, position: int) -> int:
        if position == 0:
            return rng.choices((0, 1, 2), (0.6, 0.3, 0.1))[0]
        if position == 1:
            return rng.choices((0, 1, 2), (0.45, 0.5, 0.05))[0]
        return rng.randrange(3, len(RELATIONSHIPS))

    @staticmethod
    def _reach(rng: random.Random, first: str, last: str) -> tuple[str | None, str | None]:
        draw = rng.random()
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randrange(1, 1000)}@{rng.choice(_MAIL_DOMAINS)}"
        phone = f"+1555{rng.randrange(2_000_000, 10_000_000)}"
        if draw < 0.18:
            return None, phone
        if draw < 0.26:
            return email, None
        return email, phone


def contact_source_id(index: int) -> str:
    return f"usr-grd-{index + 1:07d}"

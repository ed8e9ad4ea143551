"""Staff: teachers, school admins, office staff and aides per school, a district office,
plus staff who left last year (old sign-ins, no current classes) and a few revoked."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from connect_server.seeding.bulk import Row
from connect_server.seeding.context import SeedContext, iso_date, iso_datetime
from connect_server.seeding.names import BACKGROUNDS, ascii_slug, pick_background
from connect_server.seeding.schools import District, expected_students

DOMAIN = "riverbend.k12.test"
DISTRICT_NAME = "Riverbend Unified School District"


class Presence(IntEnum):
    """Where a staff member stands on `as_of`."""

    ACTIVE = 0
    NEW = 1
    """Hired this year: current classes, has not signed in yet."""
    LEFT = 2
    """Left at or before the end of last year; still has access (to be revoked)."""
    REVOKED = 3
    """Left earlier; access already revoked."""


@dataclass(frozen=True)
class Member:
    index: int
    school: int
    """School index, or -1 for the district office."""
    role: str
    presence: Presence
    last_name: str
    first_name: str
    active_until: dt.date | None
    """Last day of activity for staff who left."""
    synced: bool

    @property
    def source_id(self) -> str | None:
        return f"usr-stf-{self.index + 1:06d}" if self.synced else None


@dataclass
class StaffBook:
    """Everything later phases need to know about the staff (small: ~80 per 1,000 students)."""

    members: list[Member] = field(default_factory=list)
    _by_school: dict[int, list[Member]] = field(default_factory=dict, repr=False)

    def add(self, member: Member) -> None:
        self.members.append(member)
        self._by_school.setdefault(member.school, []).append(member)

    def teachers(self, school: int, *presences: Presence) -> list[Member]:
        return [m for m in self._by_school.get(school, ()) if m.role == "teacher" and m.presence in presences]

    def first(self, school: int, role: str) -> Member:
        return next(
            m for m in self._by_school.get(school, ()) if m.role == role and m.presence is Presence.ACTIVE
        )


def _counts(expected: float) -> list[tuple[str, Presence, int]]:
    teachers = max(3, round(expected * 0.056))
    return [
        ("school_admin", Presence.ACTIVE, 1 + (expected > 500)),
        ("teacher", Presence.ACTIVE, teachers - max(1, round(teachers * 0.04))),
        ("teacher", Presence.NEW, max(1, round(teachers * 0.04))),
        ("staff", Presence.ACTIVE, max(1, round(expected / 250)) + round(expected / 100)),
        ("teacher", Presence.LEFT, max(1, round(teachers * 0.06))),
        ("staff", Presence.LEFT, round(expected / 1500)),
        ("teacher", Presence.REVOKED, round(teachers * 0.015)),
    ]


class StaffGenerator:
    """Yields staff rows and fills a `StaffBook` as it goes."""

    def __init__(self, ctx: SeedContext, district: District) -> None:
        self.ctx = ctx
        self.district = district
        self.book = StaffBook()
        self._emails: dict[str, int] = {}

    def rows(self) -> Iterator[Row]:
        office = max(3, round(self.ctx.students / 4000))
        plan: list[tuple[int, str, Presence]] = [
            (-1, "district_admin" if i < 2 else "staff", Presence.ACTIVE) for i in range(office)
        ]
        plan.append((-1, "staff", Presence.REVOKED))
        for school, expected in enumerate(expected_students(self.district, self.ctx.students)):
            plan += [(school, role, presence) for role, presence, n in _counts(expected) for _ in range(n)]
        for index, (school, role, presence) in enumerate(plan):
            yield self._row(index, school, role, presence)

    def _row(self, index: int, school: int, role: str, presence: Presence) -> Row:
        rng = self.ctx.rng
        background = BACKGROUNDS[pick_background(rng)]
        first, last = rng.choice(background.first_names), rng.choice(background.last_names)
        signed_in, left_on, until = self._sign_in(rng, presence)
        synced = school < 0 or self.district.schools[school].synced
        if synced and role != "teacher" and rng.random() < 0.04:
            synced = False
        member = Member(index, school, role, presence, last, first, until, synced)
        self.book.add(member)
        email = None if role == "staff" and rng.random() < 0.02 else self._email(first, last)
        return (
            self.ctx.ids("staff").of(index),
            member.source_id,
            "sync" if synced else "manual",
            first,
            last,
            email,
            role,
            self.district.schools[school].id if school >= 0 else None,
            "revoked" if presence is Presence.REVOKED else "active",
            iso_datetime(signed_in),
            iso_date(left_on),
        )

    def _sign_in(
        self, rng: random.Random, presence: Presence
    ) -> tuple[dt.datetime | None, dt.date | None, dt.date | None]:
        calendar = self.ctx.calendar
        at = dt.time(rng.randrange(7, 18), rng.randrange(60), rng.randrange(60))
        if presence is Presence.NEW:
            return None, None, None
        if presence is Presence.ACTIVE:
            day = self.ctx.as_of - dt.timedelta(days=rng.randrange(0, 21))
            return dt.datetime.combine(day, at), None, None
        if presence is Presence.LEFT:
            end = calendar.school_end(calendar.last_year)
            last_day = end - dt.timedelta(days=rng.randrange(0, 100))
            left_on = last_day if rng.random() < 0.5 else None
            signed_in = last_day - dt.timedelta(days=rng.randrange(0, 4))
            return dt.datetime.combine(signed_in, at), left_on, last_day
        start = calendar.school_start(calendar.last_year)
        left_on = start - dt.timedelta(days=rng.randrange(30, 300))
        return dt.datetime.combine(left_on - dt.timedelta(days=rng.randrange(0, 10)), at), left_on, left_on

    def _email(self, first: str, last: str) -> str:
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        seen = self._emails.get(local, 0)
        self._emails[local] = seen + 1
        return f"{local}{seen + 1 if seen else ''}@{DOMAIN}"

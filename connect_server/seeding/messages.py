"""Monthly message counts per staff member (per classroom for teachers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connect_server.seeding.bulk import Row
from connect_server.seeding.calendar import school_months
from connect_server.seeding.classrooms import CURRENT, LAST, ClassSpec
from connect_server.seeding.context import SeedContext
from connect_server.seeding.schools import District
from connect_server.seeding.staff import Presence, StaffBook

_ACTIVITY = (1, 3, 6, 10, 18, 30)
_SEASON = {8: 0.5, 12: 0.7, 6: 0.6}


def message_rows(
    ctx: SeedContext, district: District, staff: StaffBook, teacher_classes: dict[int, list[ClassSpec]]
) -> Iterator[Row]:
    """One row per staff member, month (and classroom, for teachers) they were there."""
    rng, ids, staff_ids, classroom_ids = (
        ctx.rng,
        ctx.ids("message_stat"),
        ctx.ids("staff"),
        ctx.ids("classroom"),
    )
    calendar = ctx.calendar
    months = {
        LAST: school_months(calendar.last_year, ctx.as_of),
        CURRENT: school_months(calendar.current_year, ctx.as_of),
    }
    index = 0
    for member in staff.members:
        if member.presence is Presence.REVOKED:
            continue
        activity = rng.choice(_ACTIVITY)
        staff_id = staff_ids.of(member.index)
        home = district.schools[member.school].id if member.school >= 0 else None
        for year in (LAST, CURRENT):
            if (year == CURRENT and member.presence is Presence.LEFT) or (
                year == LAST and member.presence is Presence.NEW
            ):
                continue
            active: list[dt.date] = [
                m for m in months[year] if member.active_until is None or m <= member.active_until
            ]
            classes = [c for c in teacher_classes.get(member.index, ()) if c.year == year]
            targets = [(classroom_ids.of(c.index), district.schools[c.school].id) for c in classes] or [
                (None, home)
            ]
            for classroom_id, school_id in targets:
                for month in active:
                    mean = activity * _SEASON.get(month.month, 1.0)
                    sent = max(0, round(rng.gauss(mean, mean / 2)))
                    yield (
                        ids.of(index),
                        None,
                        "manual",
                        staff_id,
                        classroom_id,
                        school_id,
                        month.isoformat(),
                        sent,
                    )
                    index += 1

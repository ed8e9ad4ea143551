"""The answer key: what the seed planted, so detectors and planners can be measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connect_server.seeding.accounts import SignInAccount
from connect_server.seeding.classrooms import LAST, ClassSpec
from connect_server.seeding.context import SeedContext
from connect_server.seeding.schools import District
from connect_server.seeding.staff import Presence, StaffBook
from connect_server.seeding.students import State, StudentBook


def build_truth(
    ctx: SeedContext,
    district: District,
    staff: StaffBook,
    students: StudentBook,
    specs: list[ClassSpec],
    accounts: tuple[SignInAccount, ...],
    counts: dict[str, int],
) -> dict[str, Any]:
    student_ids, staff_ids, classroom_ids = ctx.ids("student"), ctx.ids("staff"), ctx.ids("classroom")
    archived_originals = {d.original for d in students.duplicates if d.kind == "returning"}
    this_year_over = ctx.calendar.school_end(ctx.calendar.current_year) < ctx.as_of
    graduating = [
        student_ids.of(i)
        for i in range(len(students))
        if students.grade[i] == 12 and students.state[i] != State.ARCHIVED and i not in archived_originals
    ]
    return {
        "seed": ctx.seed,
        "as_of": ctx.as_of.isoformat(),
        "school_year": ctx.calendar.current_year,
        "counts": counts,
        "duplicates": [
            {"kind": d.kind, "ids": [student_ids.of(d.original), student_ids.of(d.record)]}
            for d in students.duplicates
        ],
        "staff_who_left": [staff_ids.of(m.index) for m in staff.members if m.presence is Presence.LEFT],
        "staff_revoked": [staff_ids.of(m.index) for m in staff.members if m.presence is Presence.REVOKED],
        "manual_classrooms_last_year": [
            classroom_ids.of(s.index)
            for s in specs
            if s.year == LAST and not s.synced and s.status == "active"
        ],
        # what the classrooms step proposes on the as-of day: this year's too once it is over
        "manual_classrooms_ended": [
            classroom_ids.of(s.index)
            for s in specs
            if (s.year == LAST or this_year_over) and not s.synced and s.status == "active"
        ],
        "graduating_students": graduating,
        "withdrawn_students": [
            student_ids.of(i) for i in range(len(students)) if students.state[i] == State.WITHDRAWN
        ],
        "synced_schools": [s.id for s in district.schools if s.synced],
        "manual_schools": [s.id for s in district.schools if not s.synced],
        "accounts": {
            a.role: {
                "email": a.email,
                "password": a.password,
                "staff_id": a.staff_id,
                "school_ids": list(a.school_ids),
            }
            for a in accounts
        },
    }


def write_truth(path: Path, truth: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(truth, handle, ensure_ascii=False, indent=1)
        handle.write("\n")

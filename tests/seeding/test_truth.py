"""The answer key tells the truth about what was planted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine, text

from connect_server.seeding.names import NICKNAMES
from tests.seeding.conftest import AS_OF, Seeded

CURRENT_YEAR, LAST_YEAR = 2026, 2025


def fetch(engine: Engine, sql: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Rows by id (`sql` selects `id` first and filters with `id IN :ids` spelled out)."""
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(f":p{i}" for i in range(len(chunk)))
            result = connection.execute(
                text(sql.format(ids=marks)), {f"p{i}": v for i, v in enumerate(chunk)}
            )
            found.update({row.id: row._asdict() for row in result})
    return found


def test_truth_header(seeded: Seeded) -> None:
    truth = seeded.truth
    assert truth["as_of"] == AS_OF.isoformat()
    assert truth["school_year"] == CURRENT_YEAR
    assert truth["counts"] == seeded.summary.counts
    assert {a["email"] for a in truth["accounts"].values()} == {a.email for a in seeded.summary.accounts}


def test_every_duplicate_kind_is_planted_and_differs_the_way_it_says(seeded: Seeded) -> None:
    duplicates = seeded.truth["duplicates"]
    assert {d["kind"] for d in duplicates} == {"typo", "nickname", "swapped", "returning"}
    students = fetch(
        seeded.engine,
        "SELECT id, first_name, last_name, birth_date, student_number, status, origin, school_id "
        "FROM student WHERE id IN ({ids})",
        [i for d in duplicates for i in d["ids"]],
    )
    for duplicate in duplicates:
        a, b = (students[i] for i in duplicate["ids"])
        assert a["birth_date"] == b["birth_date"]
        assert a["student_number"] != b["student_number"]
        kind = duplicate["kind"]
        if kind == "typo":
            distance = Levenshtein.distance(a["first_name"], b["first_name"]) + Levenshtein.distance(
                a["last_name"], b["last_name"]
            )
            assert 1 <= distance <= 2, (a, b)
        elif kind == "nickname":
            assert a["last_name"] == b["last_name"]
            assert b["first_name"] in NICKNAMES[a["first_name"]]
        elif kind == "swapped":
            assert (a["first_name"], a["last_name"]) == (b["last_name"], b["first_name"])
        else:
            assert (a["first_name"], a["last_name"]) == (b["first_name"], b["last_name"])
            assert (a["status"], b["status"]) == ("archived", "active")
        if kind != "returning":
            assert (a["status"], b["status"]) == ("active", "active")
            assert b["origin"] == "manual" and a["school_id"] == b["school_id"]


def test_duplicates_share_a_family_contact(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        for duplicate in seeded.truth["duplicates"]:
            shared = connection.execute(
                text(
                    "SELECT count(*) FROM student_contact a "
                    "JOIN student_contact b ON a.contact_id = b.contact_id "
                    "WHERE a.student_id = :a AND b.student_id = :b"
                ),
                dict(zip("ab", duplicate["ids"], strict=True)),
            ).scalar_one()
            assert shared >= 1


def test_staff_who_left_have_old_sign_ins_and_no_current_classes(seeded: Seeded) -> None:
    left = seeded.truth["staff_who_left"]
    assert len(left) >= 3
    staff = fetch(
        seeded.engine, "SELECT id, access, last_sign_in_at, left_on FROM staff WHERE id IN ({ids})", left
    )
    for member in staff.values():
        signed_in = member["last_sign_in_at"]
        signed_in = signed_in if isinstance(signed_in, dt.datetime) else dt.datetime.fromisoformat(signed_in)
        assert member["access"] == "active"
        assert signed_in.date() < AS_OF - dt.timedelta(days=300)
    assert any(m["left_on"] is not None for m in staff.values())
    assert any(m["left_on"] is None for m in staff.values())
    current = fetch(
        seeded.engine,
        "SELECT e.person_id AS id FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
        f"JOIN term t ON t.id = c.term_id WHERE t.school_year = {CURRENT_YEAR} AND e.person_id IN ({{ids}})",
        left,
    )
    assert current == {}
    taught_last_year = fetch(
        seeded.engine,
        "SELECT e.person_id AS id FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
        f"JOIN term t ON t.id = c.term_id WHERE t.school_year = {LAST_YEAR} AND e.person_id IN ({{ids}})",
        left,
    )
    assert len(taught_last_year) >= len(left) // 2


def test_active_staff_signed_in_recently_or_never(seeded: Seeded) -> None:
    left = set(seeded.truth["staff_who_left"]) | set(seeded.truth["staff_revoked"])
    with seeded.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, last_sign_in_at FROM staff")).all()
    for staff_id, signed_in in rows:
        if staff_id in left or signed_in is None:
            continue
        signed_in = signed_in if isinstance(signed_in, dt.datetime) else dt.datetime.fromisoformat(signed_in)
        assert signed_in.date() > AS_OF - dt.timedelta(days=30)


def test_revoked_staff_are_revoked(seeded: Seeded) -> None:
    revoked = seeded.truth["staff_revoked"]
    assert revoked
    staff = fetch(seeded.engine, "SELECT id, access, left_on FROM staff WHERE id IN ({ids})", revoked)
    assert {(m["access"], m["left_on"] is not None) for m in staff.values()} == {("revoked", True)}


def test_old_manual_classrooms_are_last_years_and_still_active(seeded: Seeded) -> None:
    old = seeded.truth["manual_classrooms_last_year"]
    assert old
    classrooms = fetch(
        seeded.engine,
        "SELECT c.id, c.origin, c.status, t.school_year FROM classroom c JOIN term t ON t.id = c.term_id "
        "WHERE c.id IN ({ids})",
        old,
    )
    assert len(classrooms) == len(old)
    assert {(c["origin"], c["status"], c["school_year"]) for c in classrooms.values()} == {
        ("manual", "active", LAST_YEAR)
    }
    with seeded.engine.connect() as connection:
        all_old = connection.execute(
            text(
                "SELECT count(*) FROM classroom c JOIN term t ON t.id = c.term_id "
                f"WHERE c.origin = 'manual' AND c.status = 'active' AND t.school_year = {LAST_YEAR}"
            )
        ).scalar_one()
    assert all_old == len(old)


def test_graduating_students_are_every_active_twelfth_grader(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        seniors = {
            i
            for (i,) in connection.execute(
                text("SELECT id FROM student WHERE grade = '12' AND status = 'active'")
            )
        }
    assert set(seeded.truth["graduating_students"]) == seniors
    assert seniors


def test_synced_and_manual_schools(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        origins = dict(connection.execute(text("SELECT id, origin FROM school")).all())
        levels = dict(connection.execute(text("SELECT id, level FROM school")).all())
    assert {origins[i] for i in seeded.truth["synced_schools"]} == {"sync"}
    assert {origins[i] for i in seeded.truth["manual_schools"]} == {"manual"}
    assert {levels[i] for i in seeded.truth["manual_schools"]} == {"elementary"}
    assert len(seeded.truth["synced_schools"]) + len(seeded.truth["manual_schools"]) == len(origins)


def test_withdrawn_students_are_still_active_with_a_date(seeded: Seeded) -> None:
    withdrawn = seeded.truth["withdrawn_students"]
    assert withdrawn
    students = fetch(
        seeded.engine, "SELECT id, status, withdrawn_on FROM student WHERE id IN ({ids})", withdrawn
    )
    assert {s["status"] for s in students.values()} == {"active"}
    assert all(s["withdrawn_on"] is not None for s in students.values())

"""The seeded district is shaped like a real one and consistent with itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text

from connect_desktop.domain.entities import GRADES
from connect_server.models import ENTITY_MODELS
from tests.seeding.conftest import AS_OF, STUDENTS, Seeded


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql), params)]


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def test_counts_are_in_proportion_to_the_students(seeded: Seeded) -> None:
    counts = seeded.summary.counts
    per_thousand = {table: count * 1000 / STUDENTS for table, count in counts.items()}
    assert counts["student"] == STUDENTS
    assert 3 <= counts["school"] <= 4
    assert 1_700 <= per_thousand["contact"] <= 2_200
    assert 65 <= per_thousand["staff"] <= 100
    assert 45 <= per_thousand["classroom"] / 2 <= 90
    current = scalar(
        seeded.engine,
        "SELECT count(*) FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
        "JOIN term t ON t.id = c.term_id WHERE t.school_year = 2026",
    )
    assert 5_000 <= current * 1000 / STUDENTS <= 8_000
    for table, count in counts.items():
        if table != "sync_settings":
            assert scalar(seeded.engine, f"SELECT count(*) FROM {table}") == count


def test_schools_of_each_level_and_students_in_every_grade(seeded: Seeded) -> None:
    levels = Counter(level for (level,) in rows(seeded.engine, "SELECT level FROM school"))
    assert set(levels) == {"elementary", "middle", "high"}
    grades = {g for (g,) in rows(seeded.engine, "SELECT DISTINCT grade FROM student WHERE status = 'active'")}
    assert grades == set(GRADES)
    misplaced = rows(
        seeded.engine,
        "SELECT s.grade, sc.grade_low, sc.grade_high FROM student s JOIN school sc ON sc.id = s.school_id",
    )
    rank = GRADES.index
    assert all(rank(low) <= rank(grade) <= rank(high) for grade, low, high in misplaced)


def test_birth_dates_fit_the_grade(seeded: Seeded) -> None:
    for grade, birth, status in rows(seeded.engine, "SELECT grade, birth_date, status FROM student"):
        born = birth if isinstance(birth, dt.date) else dt.date.fromisoformat(birth)
        age_on_sept_first = 2025 - born.year - ((born.month, born.day) > (9, 1))
        expected = 5 + GRADES.index(grade) + (status == "archived")
        assert age_on_sept_first == expected


def test_every_student_has_one_to_three_contacts_and_siblings_share(seeded: Seeded) -> None:
    per_student = dict(rows(seeded.engine, "SELECT student_id, count(*) FROM student_contact GROUP BY 1"))
    assert len(per_student) == STUDENTS
    assert set(per_student.values()) == {1, 2, 3}
    students_per_contact = Counter(
        n for (n,) in rows(seeded.engine, "SELECT count(*) FROM student_contact GROUP BY contact_id")
    )
    shared = sum(c for n, c in students_per_contact.items() if n >= 2)
    assert shared / sum(students_per_contact.values()) > 0.1
    orphans = scalar(
        seeded.engine,
        "SELECT count(*) FROM contact c WHERE NOT EXISTS "
        "(SELECT 1 FROM student_contact l WHERE l.contact_id = c.id)",
    )
    assert orphans == 0


def test_contacts_speak_several_languages_and_a_few_cannot_be_reached(seeded: Seeded) -> None:
    languages = Counter(lang for (lang,) in rows(seeded.engine, "SELECT language FROM contact"))
    assert {"en", "es", "vi", "zh"} <= set(languages)
    assert languages["en"] > languages["es"] > 0
    total = seeded.summary.counts["contact"]
    unreachable = scalar(seeded.engine, "SELECT count(*) FROM contact WHERE email IS NULL AND phone IS NULL")
    assert 0 < unreachable / total < 0.06


def test_both_origins_for_students_staff_and_classrooms(seeded: Seeded) -> None:
    for table in ("student", "staff", "classroom", "contact", "enrollment"):
        pairs = set(rows(seeded.engine, f"SELECT origin, source_id IS NULL FROM {table} GROUP BY 1, 2"))
        assert pairs == {("sync", False), ("manual", True)}, table
    sourced = rows(seeded.engine, "SELECT source_id FROM student WHERE source_id IS NOT NULL")
    assert len({s for (s,) in sourced}) == len(sourced)


def test_seq_numbers_are_unique_and_cover_the_counter_block(seeded: Seeded) -> None:
    seqs: list[int] = []
    for model in ENTITY_MODELS.values():
        seqs += [s for (s,) in rows(seeded.engine, f"SELECT seq FROM {model.__tablename__}")]
    counter = scalar(seeded.engine, "SELECT value FROM feed_counter WHERE id = 1")
    total = seeded.summary.rows_total
    assert len(seqs) == len(set(seqs))
    assert sorted(seqs) == list(range(counter - total + 1, counter + 1))


def test_enrollments_point_at_real_people_and_classrooms(seeded: Seeded) -> None:
    dangling = scalar(
        seeded.engine,
        "SELECT count(*) FROM enrollment e"
        " WHERE NOT EXISTS (SELECT 1 FROM classroom c WHERE c.id = e.classroom_id)"
        " OR (e.role = 'student' AND NOT EXISTS (SELECT 1 FROM student s WHERE s.id = e.person_id))"
        " OR (e.role = 'teacher' AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = e.person_id))",
    )
    assert dangling == 0
    teachers = Counter(
        n
        for (n,) in rows(
            seeded.engine,
            "SELECT count(e.id) FROM classroom c LEFT JOIN enrollment e "
            "ON e.classroom_id = c.id AND e.role = 'teacher' GROUP BY c.id",
        )
    )
    assert set(teachers) <= {1, 2, 3} and teachers[1] > 5 * teachers[2] > 0


def test_secondary_students_take_more_classes_than_elementary_ones(seeded: Seeded) -> None:
    per_level: dict[str, list[int]] = defaultdict(list)
    for level, count in rows(
        seeded.engine,
        "SELECT sc.level, count(*) FROM enrollment e JOIN classroom c ON c.id = e.classroom_id "
        "JOIN term t ON t.id = c.term_id JOIN school sc ON sc.id = c.school_id "
        "WHERE e.role = 'student' AND t.school_year = 2026 AND c.course_code != 'CLUB' "
        "GROUP BY e.person_id, sc.level",
    ):
        per_level[level].append(count)
    assert set(per_level["elementary"]) == {5}
    assert set(per_level["middle"]) == set(per_level["high"]) == {8}


def test_message_activity_per_staff_and_month(seeded: Seeded) -> None:
    months = {m for (m,) in rows(seeded.engine, "SELECT DISTINCT month FROM message_stat")}
    assert len(months) == 22
    teachers_without = scalar(
        seeded.engine,
        "SELECT count(*) FROM staff s WHERE s.role = 'teacher' AND s.access = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM message_stat m WHERE m.staff_id = s.id AND m.classroom_id IS NOT NULL)",
    )
    assert teachers_without == 0
    assert scalar(seeded.engine, "SELECT sum(messages_sent) FROM message_stat") > 0


def test_demo_accounts_sign_in_with_argon2(seeded: Seeded) -> None:
    users = rows(seeded.engine, "SELECT email, password_hash, role, staff_id FROM app_user ORDER BY role")
    accounts = {a.email: a for a in seeded.summary.accounts}
    assert [role for *_, role, _ in users] == ["district_admin", "school_admin", "teacher"]
    for email, password_hash, role, staff_id in users:
        assert PasswordHasher().verify(password_hash, accounts[email].password)
        assert accounts[email].role == role
        assert scalar(seeded.engine, "SELECT count(*) FROM staff WHERE id = :id", id=staff_id) == 1
    text_summary = seeded.summary.describe()
    assert all(a.email in text_summary and a.password in text_summary for a in seeded.summary.accounts)


def test_the_principal_and_teacher_belong_to_a_manual_elementary_school(seeded: Seeded) -> None:
    accounts = {a.role: a for a in seeded.summary.accounts}
    (school_id,) = accounts["school_admin"].school_ids
    assert rows(seeded.engine, "SELECT level, origin FROM school WHERE id = :id", id=school_id) == [
        ("elementary", "manual")
    ]
    classes = scalar(
        seeded.engine,
        "SELECT count(*) FROM enrollment e JOIN classroom c ON c.id = e.classroom_id JOIN term t "
        "ON t.id = c.term_id WHERE e.person_id = :staff AND t.school_year = 2026 AND c.school_id = :school",
        staff=accounts["teacher"].staff_id,
        school=school_id,
    )
    assert classes >= 1


def test_sync_settings_point_at_the_oneroster_package(seeded: Seeded) -> None:
    settings = rows(seeded.engine, "SELECT source_kind, source_label, daily_sync FROM sync_settings")
    assert settings == [("oneroster-csv", "current.zip", True)] or settings == [
        ("oneroster-csv", "current.zip", 1)
    ]


@pytest.mark.parametrize("table", ["student", "staff", "classroom"])
def test_statuses_mix(seeded: Seeded, table: str) -> None:
    column = "access" if table == "staff" else "status"
    values = {v for (v,) in rows(seeded.engine, f"SELECT DISTINCT {column} FROM {table}")}
    assert values == ({"active", "revoked"} if table == "staff" else {"active", "archived"})
    assert AS_OF.year == 2026

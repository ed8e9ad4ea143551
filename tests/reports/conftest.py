"""A small, realistic cache for report tests, built with the cache's own models."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from connect_desktop.store import models as m

TODAY = dt.date(2026, 6, 12)
FIRST = ["Ana", "Luis", "Maya", "Noah", "Emma", "Liam", "Zoe", "Omar", "Ivy", "Sam", "Lena", "Theo"]
LAST = ["Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Lee", "Brown", "Silva", "Ito"]
INJECTION = '=HYPERLINK("http://x","y")'


def new_id() -> str:
    return str(uuid.uuid4())


class CacheBuilder:
    """Adds records to a cache through an ORM session; ids are returned for linking."""

    def __init__(self, session: Session, seed: int = 7) -> None:
        self.session = session
        self.rng = random.Random(seed)

    def add(self, model: type[Any], **fields: Any) -> str:
        fields.setdefault("id", new_id())
        self.session.add(model(**fields))
        return str(fields["id"])

    def school(self, name: str, level: str = "elementary") -> str:
        return self.add(m.School, name=name, level=level, grade_low="K", grade_high="5")

    def term(self, name: str, year: int, school_id: str | None = None) -> str:
        return self.add(
            m.Term,
            name=name,
            school_year=year,
            school_id=school_id,
            start_date=dt.date(year - 1, 8, 20),
            end_date=dt.date(year, 6, 20),
        )

    def staff(self, first: str, last: str, role: str = "teacher", **fields: Any) -> str:
        fields.setdefault("email", f"{first}.{last}@district.example".lower())
        return self.add(m.Staff, first_name=first, last_name=last, role=role, **fields)

    def student(self, number: str, first: str, last: str, school_id: str, **fields: Any) -> str:
        fields.setdefault("grade", self.rng.choice(["K", "1", "2", "3", "4", "5"]))
        fields.setdefault("birth_date", dt.date(2015, 1, 1) + dt.timedelta(days=self.rng.randrange(2000)))
        return self.add(
            m.Student, student_number=number, first_name=first, last_name=last, school_id=school_id, **fields
        )

    def contact(self, first: str, last: str, **fields: Any) -> str:
        return self.add(m.Contact, first_name=first, last_name=last, **fields)

    def link(self, student_id: str, contact_id: str, relationship: str = "parent") -> str:
        return self.add(
            m.StudentContact, student_id=student_id, contact_id=contact_id, relationship=relationship
        )

    def classroom(self, name: str, school_id: str, term_id: str, **fields: Any) -> str:
        return self.add(m.Classroom, name=name, school_id=school_id, term_id=term_id, **fields)

    def enroll(self, classroom_id: str, person_id: str, role: str = "student") -> str:
        return self.add(m.Enrollment, classroom_id=classroom_id, person_id=person_id, role=role)


def build_district(session: Session, students: int = 60) -> dict[str, Any]:
    """Three schools, two school years, staff, students, families, classrooms, stats, runs, changes."""
    b = CacheBuilder(session)
    rng = b.rng
    ids: dict[str, Any] = {}
    schools = [b.school("Lincoln Elementary"), b.school("Roosevelt Middle", "middle"), b.school("Adams High")]
    ids["schools"] = schools
    session.add(
        m.Account(
            id=1,
            server_url="https://connect.example",
            user_id=new_id(),
            email="lead.person@district.example",
            role="district_admin",
            school_ids=[],
            display_name="Pat Person",
        )
    )
    session.add(
        m.SyncState(id=1, cursor=42, last_pull_at=dt.datetime(2026, 6, 11, 16, 30), full_pull_done=True)
    )
    terms = {(s, y): b.term(f"{y - 1}-{y} Year", y, s) for s in schools for y in (2025, 2026)}
    staff = [b.staff("Dana", "Admin", "district_admin", last_sign_in_at=dt.datetime(2026, 6, 10, 8, 5))]
    for i in range(12):
        school = schools[i % 3]
        revoked = i == 5
        staff.append(
            b.staff(
                FIRST[i],
                LAST[i % len(LAST)],
                "school_admin" if i < 2 else "teacher",
                school_id=school,
                access="revoked" if revoked else "active",
                left_on=dt.date(2026, 5, 31) if revoked else None,
                last_sign_in_at=None if i == 7 else dt.datetime(2026, 6, 1, 7, i),
                origin="sync",
                source_id=f"T{i:04d}",
            )
        )
    ids["staff"] = staff
    student_ids = []
    for i in range(students):
        first = INJECTION if i == 3 else FIRST[i % len(FIRST)]
        status = "archived" if i % 9 == 0 else "active"
        student_ids.append(
            b.student(
                f"{i + 100:06d}",
                first,
                LAST[(i * 7) % len(LAST)],
                schools[i % 3],
                status=status,
                withdrawn_on=dt.date(2026, 3, 1) if status == "archived" else None,
                birth_date=None if i == 4 else dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            )
        )
    ids["students"] = student_ids
    contacts = []
    for i in range(students * 2 // 3):
        phone = None if i % 5 == 0 else f"+1 555 01{i:02d}"
        email = None if i % 5 in (0, 1) else f"family{i}@mail.example"
        if i == 10:
            phone, email = "  ", ""  # blank counts as missing
        contacts.append(
            b.contact(
                FIRST[(i + 3) % len(FIRST)],
                LAST[i % len(LAST)],
                phone=phone,
                email=email,
                language=rng.choice(["en", "es", "vi"]),
                school_id=schools[i % 3],
            )
        )
    ids["contacts"] = contacts
    for i, sid in enumerate(student_ids):
        if i % 11 == 10:
            continue  # a few students without family contacts
        b.link(sid, contacts[i % len(contacts)], "mother")
        if i % 2 == 0:
            b.link(sid, contacts[(i * 3 + 1) % len(contacts)], "father")
    classrooms = []
    teachers = staff[3:]
    for n in range(9):
        school = schools[n % 3]
        year = 2026 if n < 6 else 2025
        cid = b.classroom(
            f"Room {n + 1:02d}",
            school,
            terms[(school, year)],
            course_code=f"0{n}MATH",
            grade=str(n % 6),
            status="archived" if n == 8 else "active",
        )
        classrooms.append(cid)
        b.enroll(cid, teachers[n % len(teachers)], "teacher")
        if n == 0:
            b.enroll(cid, teachers[1], "teacher")
        for sid in student_ids[n::5]:
            b.enroll(cid, sid)
    ids["classrooms"] = classrooms
    for month in (dt.date(2026, 4, 1), dt.date(2026, 5, 1)):
        for k, tid in enumerate(teachers[:5]):
            session.add(
                m.MessageStat(
                    id=new_id(),
                    staff_id=tid,
                    classroom_id=classrooms[k],
                    school_id=None,
                    month=month,
                    messages_sent=10 + k,
                )
            )
            session.add(
                m.MessageStat(id=new_id(), staff_id=tid, classroom_id=None, month=month, messages_sent=3)
            )
    session.add(
        m.SyncRun(
            id=new_id(),
            started_at=dt.datetime(2026, 6, 1, 2, 0),
            finished_at=dt.datetime(2026, 6, 1, 2, 4),
            status="succeeded",
            trigger="scheduled",
            counts={
                "students": {"created": 3, "updated": 10, "archived": 1},
                "staff": {"created": 0, "updated": 2, "archived": 0},
            },
        )
    )
    session.add(
        m.SyncRun(
            id=new_id(),
            started_at=dt.datetime(2026, 6, 2, 2, 0),
            finished_at=dt.datetime(2026, 6, 2, 2, 1),
            status="failed_threshold",
            trigger="scheduled",
            counts={"students": {"created": 0, "updated": 1, "archived": 0, "tried_to_archive": 40}},
            message="Would archive 40 of 60 students (threshold 10%).",
        )
    )
    now = dt.datetime(2026, 6, 11, 17, 0)
    ops = [
        ("archive_student", "student", student_ids[1], "pending", None),
        ("archive_student", "student", student_ids[3], "pending", None),
        ("archive_classroom", "classroom", classrooms[7], "applied", "Archived."),
        ("revoke_staff_access", "staff", staff[6], "conflict", "The record changed on the server."),
        ("delete_student", "student", new_id(), "applied", "Deleted."),
        ("update_sync_settings", "sync_settings", new_id(), "sending", None),
    ]
    for k, (kind, ttype, target, state, message) in enumerate(ops):
        session.add(
            m.PendingOperation(
                op_id=new_id(),
                kind=kind,
                target_type=ttype,
                target_id=target,
                base_version=1,
                params={"reason": "graduated"} if kind == "archive_student" else {},
                step="non_returning_students" if ttype == "student" else "review_and_send",
                created_at=now + dt.timedelta(minutes=k),
                state=state,
                result_message=message,
                sent_at=now + dt.timedelta(hours=1) if state != "pending" else None,
            )
        )
    session.commit()
    return ids


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    m.CacheBase.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="session")
def district_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo district, built once; tests work on copies."""
    path = tmp_path_factory.mktemp("district") / "cache.sqlite"
    engine = make_engine(path)
    with Session(engine) as session:
        ids = build_district(session)
    engine.dispose()
    return path, ids


@pytest.fixture
def cache(
    tmp_path: Path, district_file: tuple[Path, dict[str, Any]]
) -> Iterator[tuple[Engine, dict[str, Any]]]:
    template, ids = district_file
    path = tmp_path / "cache.sqlite"
    shutil.copyfile(template, path)
    engine = create_engine(f"sqlite:///{path}")
    yield engine, ids
    engine.dispose()


@pytest.fixture
def engine(cache: tuple[Engine, dict[str, Any]]) -> Engine:
    return cache[0]


SchoolCache = Callable[..., Engine]


@pytest.fixture
def school_cache(tmp_path: Path) -> Iterator[SchoolCache]:
    """Builds caches of one school whose students have the given (first, last) names."""
    engines: list[Engine] = []

    def build(school: str, names: Sequence[tuple[str, str]], grades: Sequence[str] = ("K",)) -> Engine:
        engine = make_engine(tmp_path / f"school{len(engines)}.sqlite")
        engines.append(engine)
        with Session(engine) as session:
            b = CacheBuilder(session)
            school_id = b.school(school)
            for i, (first, last) in enumerate(names):
                b.student(f"{i + 1:06d}", first, last, school_id, grade=grades[i % len(grades)])
            session.commit()
        return engine

    yield build
    for engine in engines:
        engine.dispose()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path

"""The three demo sign-in accounts and the sync settings row."""

from __future__ import annotations

from dataclasses import dataclass

from argon2.low_level import hash_secret
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from connect_desktop.domain.entities import Role, SchoolLevel
from connect_server.models import SyncSettings, User
from connect_server.security import DEFAULT_HASHER
from connect_server.seeding.bulk import BulkWriter
from connect_server.seeding.classrooms import CURRENT, ClassSpec
from connect_server.seeding.context import SeedContext
from connect_server.seeding.schools import District
from connect_server.seeding.staff import Presence, StaffBook


@dataclass(frozen=True)
class SignInAccount:
    """A demo account: who it is, how to sign in, what it may see."""

    role: str
    email: str
    password: str
    display_name: str
    staff_id: str | None
    school_ids: tuple[str, ...]


DEMO_ACCOUNTS = (
    (Role.DISTRICT_ADMIN, "admin@demo.connect.test", "connect-demo-admin"),
    (Role.SCHOOL_ADMIN, "principal@demo.connect.test", "connect-demo-principal"),
    (Role.TEACHER, "teacher@demo.connect.test", "connect-demo-teacher"),
)


def deterministic_hash(ctx: SeedContext, password: str, email: str) -> str:
    """An argon2id hash with the server's parameters and a salt derived from the seed,
    so a seed always produces the same database (these passwords are public anyway)."""
    salt = ctx.sub_rng("salt", email).randbytes(DEFAULT_HASHER.salt_len)
    return hash_secret(
        password.encode(),
        salt,
        time_cost=DEFAULT_HASHER.time_cost,
        memory_cost=DEFAULT_HASHER.memory_cost,
        parallelism=DEFAULT_HASHER.parallelism,
        hash_len=DEFAULT_HASHER.hash_len,
        type=DEFAULT_HASHER.type,
    ).decode()


def choose_accounts(
    ctx: SeedContext, district: District, staff: StaffBook, teacher_classes: dict[int, list[ClassSpec]]
) -> tuple[SignInAccount, ...]:
    """The district admin, the principal of a manual elementary school, and one of its teachers."""
    staff_ids = ctx.ids("staff")
    school = next(s for s in district.by_level(SchoolLevel.ELEMENTARY) if not s.synced)
    admin = staff.first(-1, "district_admin")
    principal = staff.first(school.index, "school_admin")
    teacher = next(
        m
        for m in staff.teachers(school.index, Presence.ACTIVE)
        if any(c.year == CURRENT for c in teacher_classes.get(m.index, ()))
    )
    people = ((admin, ()), (principal, (school.id,)), (teacher, (school.id,)))
    return tuple(
        SignInAccount(
            role.value,
            email,
            password,
            f"{member.first_name} {member.last_name}",
            staff_ids.of(member.index),
            schools,
        )
        for (role, email, password), (member, schools) in zip(DEMO_ACCOUNTS, people, strict=True)
    )


def write_accounts(session: Session, ctx: SeedContext, accounts: tuple[SignInAccount, ...]) -> None:
    user_ids = ctx.ids("app_user")
    for index, account in enumerate(accounts):
        session.execute(
            insert(User).values(
                id=user_ids.of(index),
                email=account.email,
                password_hash=deterministic_hash(ctx, account.password, account.email),
                role=account.role,
                school_ids=list(account.school_ids),
                staff_id=account.staff_id,
                display_name=account.display_name,
            )
        )


def write_sync_settings(session: Session, ctx: SeedContext, writer: BulkWriter) -> None:
    """Point the singleton at a daily OneRoster CSV sync from `current.zip`, default thresholds.

    Updates the row `open_database` created (new version and `seq`), or inserts one.
    """
    values = {
        "seq": writer.take_seq("sync_settings"),
        "source_kind": "oneroster-csv",
        "source_label": "current.zip",
        "daily_sync": True,
        "pauses": [],
        "thresholds": {},
    }
    existing = session.scalar(select(SyncSettings.id).order_by(SyncSettings.seq).limit(1))
    if existing is None:
        session.execute(
            insert(SyncSettings).values(
                id=ctx.ids("sync_settings").of(0), version=1, source_id=None, origin="manual", **values
            )
        )
    else:
        session.execute(
            update(SyncSettings)
            .where(SyncSettings.id == existing)
            .values(version=SyncSettings.version + 1, **values)
        )

"""Adding people who sign in (used by the CLI and by test set-up)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.domain.entities import Role
from connect_server.models import School, Staff, User
from connect_server.security import DEFAULT_HASHER, hash_password
from connect_server.sequence import allocate_seqs

log = logging.getLogger(__name__)


class UserError(ValueError):
    """A request to add a user that cannot be carried out (message is for people)."""


class DuplicateUserError(UserError):
    pass


def add_user(
    sessions: sessionmaker[Session],
    email: str,
    role: str,
    password: str,
    school_ids: Iterable[str] = (),
    staff_id: str | None = None,
    display_name: str = "",
    hasher: PasswordHasher = DEFAULT_HASHER,
) -> str:
    """Create a user and return their id; `UserError` for a bad role, school or e-mail."""
    email = email.strip().lower()
    schools = list(dict.fromkeys(school_ids))
    try:
        user_role = Role(role)
    except ValueError:
        raise UserError(f"Unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    if "@" not in email:
        raise UserError(f"{email!r} is not an e-mail address")
    if not password:
        raise UserError("The password is empty")
    if user_role is not Role.DISTRICT_ADMIN and not schools:
        raise UserError(f"A {user_role.value} needs at least one school (--school)")
    with sessions.begin() as session:
        known = set(session.scalars(select(School.id).where(School.id.in_(schools))))
        missing = [school for school in schools if school not in known]
        if missing:
            raise UserError(f"No school with id {', '.join(missing)}")
        if staff_id is not None and session.get(Staff, staff_id) is None:
            raise UserError(f"No staff member with id {staff_id}")
        if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
            raise DuplicateUserError(f"A user with the e-mail {email} already exists")
        user_id = str(uuid.uuid4())
        session.execute(
            insert(User).values(
                id=user_id,
                email=email,
                password_hash=hash_password(password, hasher),
                role=user_role.value,
                school_ids=schools,
                staff_id=staff_id,
                display_name=display_name or email,
            )
        )
    log.info("added user %s with role %s", user_id, user_role.value)
    return user_id


def set_scope(
    sessions: sessionmaker[Session],
    email: str,
    role: str | None = None,
    school_ids: Iterable[str] | None = None,
) -> None:
    """Change a user's role and/or schools; their app then downloads its data again.

    The change takes a feed position (`scope_seq`): a client whose cursor is older is
    told to start over, so it never keeps what it may no longer see nor misses what it
    may now see.
    """
    email = email.strip().lower()
    with sessions.begin() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            raise UserError(f"No user with the e-mail {email}")
        new_role = Role(user.role)
        if role is not None:
            try:
                new_role = Role(role)
            except ValueError:
                raise UserError(
                    f"Unknown role {role!r}: use one of {', '.join(r.value for r in Role)}"
                ) from None
        schools = list(dict.fromkeys(school_ids)) if school_ids is not None else list(user.school_ids or [])
        if new_role is not Role.DISTRICT_ADMIN and not schools:
            raise UserError(f"A {new_role.value} needs at least one school (--school)")
        known = set(session.scalars(select(School.id).where(School.id.in_(schools))))
        missing = [school for school in schools if school not in known]
        if missing:
            raise UserError(f"No school with id {', '.join(missing)}")
        (seq,) = allocate_seqs(session, 1)
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(role=new_role.value, school_ids=schools, scope_seq=seq)
        )
    log.info("changed the scope of user %s", user.id)

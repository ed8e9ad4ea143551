"""Access tokens as district admins see them: listed by public id, revoked one by one.

A token's public id is a random UUID made with the token; it names the sign-in in
lists and revocations and reveals nothing about the token or its hash.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import AccessToken, User
from connect_server.security import new_token, token_digest

log = logging.getLogger(__name__)

TOUCH_EVERY = dt.timedelta(minutes=1)
"""`last_used_at` is exact to this much, so busy clients do not write on every request."""


@dataclass(frozen=True)
class TokenRow:
    id: str
    user_id: str
    email: str
    role: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


def issue_token(session: Session, user_id: str, now: dt.datetime, ttl: dt.timedelta) -> str:
    """Store a new token for `user_id` (and drop their expired ones); returns the token."""
    token = new_token()
    session.execute(
        insert(AccessToken).values(
            token_hash=token_digest(token),
            public_id=str(uuid.uuid4()),
            user_id=user_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.execute(delete(AccessToken).where(AccessToken.user_id == user_id, AccessToken.expires_at <= now))
    return token


def touch(sessions: sessionmaker[Session], digest: str, now: dt.datetime) -> None:
    """Note that a token was used (best effort: a busy database skips one note)."""
    try:
        with sessions.begin() as session:
            used = update(AccessToken).where(AccessToken.token_hash == digest).values(last_used_at=now)
            session.execute(used)
    except OperationalError as error:
        log.warning("could not note a token's last use: %s", type(error.orig).__name__)


def active_tokens(
    sessions: sessionmaker[Session], now: dt.datetime, *, offset: int = 0, limit: int = 1_000
) -> tuple[list[TokenRow], int]:
    """A page of unexpired tokens, newest first, and how many there are in all."""
    active = AccessToken.expires_at > now
    query = (
        select(AccessToken, User.email, User.role)
        .join(User, User.id == AccessToken.user_id)
        .where(active)
        .order_by(AccessToken.created_at.desc(), AccessToken.public_id)
        .offset(offset)
        .limit(limit)
    )
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(AccessToken).where(active)) or 0
        rows = [
            TokenRow(
                id=token.public_id,
                user_id=token.user_id,
                email=email,
                role=role,
                created_at=token.created_at,
                expires_at=token.expires_at,
                last_used_at=token.last_used_at,
            )
            for token, email, role in session.execute(query)
        ]
    return rows, total


def revoke_token(sessions: sessionmaker[Session], public_id: str, now: dt.datetime) -> bool:
    """End the unexpired sign-in with this public id; False when there is none."""
    with sessions.begin() as session:
        result = session.execute(
            delete(AccessToken).where(AccessToken.public_id == public_id, AccessToken.expires_at > now)
        )
    revoked = bool(result.rowcount)  # type: ignore[attr-defined]
    if revoked:
        log.info("revoked token %s", public_id)
    return revoked

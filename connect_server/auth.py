"""Sign-in, sign-out, the current user, and the bearer-token dependency."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, Response, status
from sqlalchemy import delete, func, select

from connect_desktop.api.schema import TokenRequest, TokenResponse, UserInfo
from connect_desktop.domain.entities import Role
from connect_server.context import ServerContext, get_context
from connect_server.models import AccessToken, User
from connect_server.scope import Principal
from connect_server.security import token_digest, verify_password
from connect_server.throttle import Lockout
from connect_server.tokens import TOUCH_EVERY, issue_token, touch

log = logging.getLogger(__name__)
router = APIRouter()

WRONG_CREDENTIALS = "Wrong e-mail or password"
_BEARER = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=_BEARER)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Sign in first: this request needs an access token")
    return token.strip()


def current_principal(
    request: Request, background: BackgroundTasks, context: Annotated[ServerContext, Depends(get_context)]
) -> Principal:
    """The user behind the request's bearer token; 401 when missing, unknown or expired."""
    digest = token_digest(_bearer_token(request))
    with context.sessions() as session:
        row = session.execute(
            select(User, AccessToken.expires_at, AccessToken.last_used_at, AccessToken.public_id)
            .join(AccessToken, AccessToken.user_id == User.id)
            .where(AccessToken.token_hash == digest)
        ).first()
    if row is None:
        raise _unauthorized("Your session is not valid: sign in again")
    user, expires_at, last_used_at, public_id = row
    now = context.clock()
    if expires_at <= now:
        raise _unauthorized("Your session has expired: sign in again")
    if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
        # After the response: a write here would wait behind a long sync run on SQLite.
        background.add_task(touch, context.sessions, digest, now)
    request.state.token_digest = digest
    request.state.token_id = public_id
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        school_ids=tuple(user.school_ids or ()),
        staff_id=user.staff_id,
        display_name=user.display_name,
        scope_seq=user.scope_seq or 0,
    )


def user_info(principal: Principal) -> UserInfo:
    return UserInfo(
        id=principal.user_id,
        email=principal.email,
        role=principal.role,
        school_ids=list(principal.school_ids),
        display_name=principal.display_name,
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Too many attempts"}},
)
def sign_in(
    body: TokenRequest, request: Request, context: Annotated[ServerContext, Depends(get_context)]
) -> TokenResponse:
    """Exchange an e-mail and password for a bearer token."""
    now = context.clock()
    address = request.client.host if request.client else None
    keys = context.throttle.keys(body.username, address)
    lockout = context.throttle.check(keys, now)
    if lockout is not None:
        log.warning("sign-in refused: throttled for %s s", lockout.retry_after)
        raise _too_many(lockout)
    with context.sessions() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == body.username.strip().lower()))
    if not verify_password(user.password_hash if user else None, body.password) or user is None:
        context.throttle.fail(keys, now)
        log.info("sign-in failed")
        raise _unauthorized(WRONG_CREDENTIALS)
    with context.sessions.begin() as session:
        context.throttle.succeed(session, keys)
        token = issue_token(session, user.id, now, context.token_ttl)
    log.info("signed in user %s", user.id)
    return TokenResponse(
        access_token=token,
        expires_in=int(context.token_ttl.total_seconds()),
        user=user_info(principal_of(user)),
    )


def _too_many(lockout: Lockout) -> HTTPException:
    wait = lockout.retry_after
    when = f"{wait} second(s)" if wait < 60 else f"about {round(wait / 60)} minute(s)"
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"Too many failed sign-in attempts. Try again in {when}.",
        headers={"Retry-After": str(wait)},
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(
    principal: CurrentPrincipal, request: Request, context: Annotated[ServerContext, Depends(get_context)]
) -> Response:
    """Revoke the token this request was made with."""
    with context.sessions.begin() as session:
        session.execute(delete(AccessToken).where(AccessToken.token_hash == request.state.token_digest))
    log.info("signed out user %s", principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserInfo)
def me(principal: CurrentPrincipal) -> UserInfo:
    """The signed-in user, their role and school scope."""
    return user_info(principal)


def require_admin(principal: Principal) -> None:
    """403 for teachers (read-only users)."""
    if principal.is_teacher:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Teachers cannot do this; ask a school or district admin"
        )


def require_district_admin(principal: Principal) -> None:
    if not principal.is_district_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only a district admin can do this")

"""District admins' view of sign-ins: active tokens and the sign-in throttle."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from connect_desktop.api.schema import ThrottleCleared, ThrottleEntry, ThrottleList, TokenInfo, TokenList
from connect_server.auth import CurrentPrincipal, require_district_admin
from connect_server.context import ServerContext, get_context
from connect_server.tokens import active_tokens, revoke_token

log = logging.getLogger(__name__)
router = APIRouter()

Context = Annotated[ServerContext, Depends(get_context)]
_FORBIDDEN = {403: {"description": "Only a district admin can do this"}}


@router.get("/auth/tokens", response_model=TokenList, responses=_FORBIDDEN)
def list_tokens(
    principal: CurrentPrincipal,
    request: Request,
    context: Context,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> TokenList:
    """Every unexpired sign-in, newest first."""
    require_district_admin(principal)
    rows, total = active_tokens(context.sessions, context.clock(), offset=offset, limit=limit)
    tokens = [TokenInfo(**vars(row), current=row.id == request.state.token_id) for row in rows]
    return TokenList(
        tokens=tokens, total=total, offset=offset, limit=limit, has_more=offset + len(tokens) < total
    )


@router.delete(
    "/auth/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_FORBIDDEN, 404: {"description": "No active sign-in with this id"}},
)
def revoke(token_id: str, principal: CurrentPrincipal, context: Context) -> Response:
    """End one sign-in: its token gets 401 from now on."""
    require_district_admin(principal)
    if not revoke_token(context.sessions, token_id, context.clock()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No active sign-in with this id")
    log.info("user %s revoked token %s", principal.user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/throttle", response_model=ThrottleList, responses=_FORBIDDEN)
def list_throttle(principal: CurrentPrincipal, context: Context) -> ThrottleList:
    """The counters of failed sign-ins that still count, most recent first."""
    require_district_admin(principal)
    counters = context.throttle.counters(context.clock())
    return ThrottleList(
        entries=[ThrottleEntry(**vars(counter) | {"kind": counter.kind.value}) for counter in counters]
    )


@router.delete("/auth/throttle", response_model=ThrottleCleared, responses=_FORBIDDEN)
def clear_throttle(
    principal: CurrentPrincipal,
    context: Context,
    account: Annotated[str | None, Query(max_length=254, description="only this e-mail's counters")] = None,
    address: Annotated[str | None, Query(max_length=64, description="only this address's counters")] = None,
) -> ThrottleCleared:
    """Forget failed sign-ins: all of them, or those of an account and/or an address."""
    require_district_admin(principal)
    cleared = context.throttle.clear(account, address)
    log.info("user %s cleared %d throttle counter(s)", principal.user_id, cleared)
    return ThrottleCleared(cleared=cleared)

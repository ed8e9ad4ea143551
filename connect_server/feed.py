"""The changes feed: `GET /changes?since=SEQ&limit=N`.

Each entity table and the tombstone table is read with a keyset scan on its unique
`seq` index (`seq > since ORDER BY seq LIMIT n`; for a school admin one scan per
school over `(school_id, seq)`), the streams are merged by `seq`, and the first
`limit` changes are serialised to JSON directly. The cost of a page therefore depends
on its size, not on how far into the feed it starts.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import logging
from collections.abc import Callable
from contextlib import ExitStack
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import BigInteger, ColumnElement, Connection, Select, bindparam, func, select

from connect_desktop.api.limits import MAX_VERSION
from connect_desktop.api.schema import DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE, ChangesPage
from connect_desktop.domain.entities import EntityType
from connect_server.auth import CurrentPrincipal
from connect_server.context import ServerContext, get_context
from connect_server.db import snapshot
from connect_server.models import FeedCounter
from connect_server.scope import TOMBSTONE, Principal, partitions, tombstone_partitions, visible
from connect_server.sync_scope import run_reading
from connect_server.wire import CODECS, tombstone_change

log = logging.getLogger(__name__)
router = APIRouter()

_STREAM_ROWS = 2_000


Encoder = Callable[[Any], dict[str, Any]]


@functools.lru_cache(maxsize=256)
def page_queries(
    principal: Principal, limit: int, *, dates_as_text: bool
) -> list[tuple[Select[Any], Encoder]]:
    """The keyset queries of one page (one per table and scope part), each with its row encoder.

    The position is the bound parameter `since`; the statements depend only on who asks
    and the page size, so they are built once per user and page size, not per page.
    """
    since = bindparam("since", type_=BigInteger)
    queries: list[tuple[Select[Any], Encoder]] = []
    for kind, codec in CODECS.items():
        encode = codec.encoder(dates_as_text=dates_as_text)
        base = codec.select(dates_as_text=dates_as_text)
        if kind is EntityType.SYNC_RUN:  # a school admin reads their schools' counts only
            base, encode = run_reading(principal, dates_as_text=dates_as_text)
        for condition in partitions(principal, kind):
            statement = base.where(codec.table.c.seq > since)
            if condition is not None:
                statement = statement.where(condition)
            queries.append((_page(statement, codec.table.c.seq, limit), encode))
    t = TOMBSTONE
    for condition in tombstone_partitions(principal):
        statement = select(t.c.seq, t.c.type, t.c.id, t.c.version).where(t.c.seq > since)
        if condition is not None:
            statement = statement.where(condition)
        queries.append((_page(statement, t.c.seq, limit), _encode_tombstone))
    return queries


def _encode_tombstone(row: Any) -> dict[str, Any]:
    return tombstone_change(*row)


def _page(statement: Select[Any], seq: ColumnElement[int], limit: int) -> Select[Any]:
    statement = statement.order_by(seq).limit(limit)
    # Big pages stream (server-side cursors on PostgreSQL) so the merge reads only what it
    # needs; small pages are cheaper fetched whole.
    return statement.execution_options(yield_per=_STREAM_ROWS) if limit > _STREAM_ROWS else statement


def _visible_total(connection: Connection, principal: Principal) -> int:
    total = 0
    for kind, codec in CODECS.items():
        statement = select(func.count()).select_from(codec.table)
        condition = visible(principal, kind)
        if condition is not None:
            statement = statement.where(condition)
        total += connection.execute(statement).scalar_one()
    return total


def _committed_position(connection: Connection) -> int:
    """The feed counter as this snapshot sees it: every seq up to it is committed and read."""
    return int(
        connection.execute(select(FeedCounter.value).where(FeedCounter.id == 1)).scalar_one_or_none() or 0
    )


def _seq(change: dict[str, Any]) -> int:
    return change["seq"]  # type: ignore[no-any-return]


def read_page(
    connection: Connection, principal: Principal, since: int, limit: int, scope: int | None = None
) -> dict[str, Any]:
    """One page of the feed as a plain dict in the `ChangesPage` shape.

    Every page carries the user's scope stamp; a cursor sent with another stamp was
    pulled before their role or schools changed, and gets an empty page with `reset`:
    the client drops what it holds and pulls again from 0. The last page's `next_since`
    is the newest position committed in this snapshot, so a later pull starts past every
    write seen here, including writes the user may not see.
    """
    stamp = principal.scope_seq
    if since > 0 and scope is not None and scope != stamp:
        return {"changes": [], "next_since": 0, "has_more": True, "reset": True, "scope": stamp}
    dates_as_text = connection.dialect.name == "sqlite"
    with ExitStack() as stack:
        streams = [
            map(encode, stack.enter_context(connection.execute(statement, {"since": since})))
            for statement, encode in page_queries(principal, limit + 1, dates_as_text=dates_as_text)
        ]
        merged = heapq.merge(*streams, key=_seq)
        changes = list(itertools.islice(merged, limit + 1))
    has_more = len(changes) > limit
    del changes[limit:]
    next_since = changes[-1]["seq"] if changes else since
    if not has_more:
        next_since = max(next_since, _committed_position(connection))
    page: dict[str, Any] = {
        "changes": changes,
        "next_since": next_since,
        "has_more": has_more,
        "scope": stamp,
    }
    if since == 0:
        page["total_estimate"] = _visible_total(connection, principal)
    return page


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses={200: {"model": ChangesPage}},
)
def changes(
    principal: CurrentPrincipal,
    context: Annotated[ServerContext, Depends(get_context)],
    since: Annotated[int, Query(ge=0, le=MAX_VERSION, description="Last seq the client has")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_PAGE)] = DEFAULT_CHANGES_PAGE,
    scope: Annotated[
        int | None, Query(ge=0, le=MAX_VERSION, description="The scope stamp of the page `since` came from")
    ] = None,
) -> Response:
    """Everything the user may see that changed after `since`, oldest first."""
    with snapshot(context.sessions) as connection:
        page = read_page(connection, principal, since, limit, scope)
    body = json.dumps(page, separators=(",", ":"), ensure_ascii=False).encode()
    log.debug("changes since %s: %s records", since, len(page["changes"]))
    return Response(content=body, media_type="application/json")

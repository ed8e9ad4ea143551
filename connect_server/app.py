"""The FastAPI application of the reference Connect server."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import API_PREFIX
from connect_server import audit, auth, auth_admin, feed, operations, routes_sync, sync_api
from connect_server.body_limit import BodyLimitMiddleware
from connect_server.clock import Clock, utc_now
from connect_server.context import ServerContext
from connect_server.validation import validation_failed

DEFAULT_TOKEN_TTL = dt.timedelta(hours=12)


def create_app(
    sessions: sessionmaker[Session],
    *,
    token_ttl: dt.timedelta = DEFAULT_TOKEN_TTL,
    clock: Clock | None = None,
    daily_sync: bool = False,
) -> FastAPI:
    """The API under `/api/v1` over an already migrated database (see `db.open_database`).

    At start-up, sync runs left `running` by a server that stopped are closed as failed.
    With `daily_sync`, the SIS sync runs once a day while the app is being served.
    """
    lifespan = _lifespan(sessions, clock or utc_now, daily_sync)
    app = FastAPI(
        title="Connect (reference server)", version="1", openapi_url="/openapi.json", lifespan=lifespan
    )
    app.state.context = ServerContext(sessions=sessions, clock=clock or utc_now, token_ttl=token_ttl)
    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, auth_admin, feed, operations, audit, sync_api, routes_sync):
        api.include_router(module.router)
    app.include_router(api)
    app.add_middleware(BodyLimitMiddleware)
    app.add_exception_handler(RequestValidationError, validation_failed)
    return app


def _lifespan(sessions: sessionmaker[Session], clock: Clock, daily_sync: bool):  # type: ignore[no-untyped-def]
    from connect_server.sync_runner import close_interrupted_runs
    from connect_server.syncing.scheduler import start_daily_scheduler

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        close_interrupted_runs(sessions, clock)
        stop = start_daily_scheduler(sessions, clock) if daily_sync else None
        try:
            yield
        finally:
            if stop is not None:
                stop()

    return lifespan

"""The FastAPI application of the reference Connect server."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop.api.schema import API_PREFIX
from connect_server import audit, auth, feed, operations, sync_api
from connect_server.clock import Clock, utc_now
from connect_server.context import ServerContext

DEFAULT_TOKEN_TTL = dt.timedelta(hours=12)


def create_app(
    sessions: sessionmaker[Session],
    *,
    token_ttl: dt.timedelta = DEFAULT_TOKEN_TTL,
    clock: Clock | None = None,
) -> FastAPI:
    """The API under `/api/v1` over an already migrated database (see `db.open_database`)."""
    app = FastAPI(title="Connect (reference server)", version="1", openapi_url="/openapi.json")
    app.state.context = ServerContext(sessions=sessions, clock=clock or utc_now, token_ttl=token_ttl)
    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, feed, operations, audit, sync_api):
        api.include_router(module.router)
    app.include_router(api)
    return app

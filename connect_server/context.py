"""What every request handler needs: the database, the clock and the auth settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from connect_server.clock import Clock
from connect_server.throttle import SignInThrottle


@dataclass
class ServerContext:
    sessions: sessionmaker[Session]
    clock: Clock
    token_ttl: dt.timedelta
    throttle: SignInThrottle = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = SignInThrottle(self.sessions)


def get_context(request: Request) -> ServerContext:
    """The context `create_app` attached to the application."""
    return request.app.state.context  # type: ignore[no-any-return]

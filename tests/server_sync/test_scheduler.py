"""The daily scheduler: runs when due and daily sync is on, not again within the day."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import SyncRun
from connect_server.syncing.scheduler import start_daily_scheduler
from tests.server_sync.conftest import set_settings
from tests.server_sync.package import District


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 6, 20, 3, 0)
        self.lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self.lock:
            return self.now

    def advance(self, delta: dt.timedelta) -> None:
        with self.lock:
            self.now += delta


def daily_runs(sessions: sessionmaker[Session]) -> list[str]:
    """Statuses of the finished daily runs."""
    with sessions() as session:
        query = select(SyncRun.status).where(SyncRun.trigger == "daily", SyncRun.finished_at.is_not(None))
        return list(session.scalars(query))


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_runs_once_a_day_while_daily_sync_is_on(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District(students=range(3)))
    clock = FakeClock()
    stop = start_daily_scheduler(sessions, clock, poll_seconds=0.02)
    try:
        wait_for(lambda: len(daily_runs(sessions)) == 1)
        time.sleep(0.2)  # many polls later: still one run on the same day
        assert daily_runs(sessions) == ["succeeded"]
        clock.advance(dt.timedelta(days=1))
        wait_for(lambda: len(daily_runs(sessions)) == 2)
        set_settings(sessions, daily_sync=False)
        clock.advance(dt.timedelta(days=1))
        time.sleep(0.2)
        assert len(daily_runs(sessions)) == 2
    finally:
        stop()

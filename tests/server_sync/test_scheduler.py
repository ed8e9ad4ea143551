"""The daily scheduler: runs when due and daily sync is on, not again within the day."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import SyncRun
from connect_server.syncing.scheduler import DailyScheduler, start_daily_scheduler
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
    scheduler = DailyScheduler(sessions, clock)
    assert scheduler.tick() is not None
    assert daily_runs(sessions) == ["succeeded"]
    clock.advance(dt.timedelta(hours=23, minutes=59))
    assert scheduler.tick() is None  # the same day: no second run
    clock.advance(dt.timedelta(minutes=1))
    assert scheduler.tick() is not None
    set_settings(sessions, daily_sync=False)
    clock.advance(dt.timedelta(days=1))
    assert scheduler.tick() is None
    assert len(daily_runs(sessions)) == 2


def test_a_restarted_server_does_not_run_again_early(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District(students=range(3)))
    clock = FakeClock()
    assert DailyScheduler(sessions, clock).tick() is not None
    clock.advance(dt.timedelta(hours=12))
    assert DailyScheduler(sessions, clock).tick() is None  # a new process reads the last run


def test_the_background_loop_runs_the_due_sync(sessions, use_district) -> None:  # type: ignore[no-untyped-def]
    use_district(District(students=range(3)))
    stop = start_daily_scheduler(sessions, FakeClock(), poll_seconds=0.02)
    try:
        wait_for(lambda: len(daily_runs(sessions)) == 1)
    finally:
        stop()

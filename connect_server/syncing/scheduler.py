"""The daily sync: a background thread that runs the sync once a day while daily_sync is on."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connect_server.clock import Clock, utc_now
from connect_server.models import SyncRun
from connect_server.syncing.config import load_config, load_source

log = logging.getLogger(__name__)

DAILY_TRIGGER = "daily"
Runner = Callable[..., Any]


def daily_run_due(sessions: sessionmaker[Session], clock: Clock, interval: dt.timedelta) -> bool:
    """True when daily sync is on, a source is set up, and the last daily run is `interval` old.

    One decision from one consistent read: the clock is read once, and the settings, the
    source and the last run come from the same snapshot (an explicit transaction, also on
    SQLite, whose driver would otherwise let each SELECT see a later state).
    """
    now = clock()
    with sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN")
        try:
            if not load_config(session).daily_sync or load_source(session) is None:
                return False
            last = session.scalar(
                select(func.max(SyncRun.started_at)).where(SyncRun.trigger == DAILY_TRIGGER)
            )
        finally:
            session.rollback()
    return last is None or now - last >= interval


class DailyScheduler:
    """Runs the sync when a daily run is due; `tick()` is one check (the loop's, or a test's)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock = utc_now,
        *,
        interval: dt.timedelta = dt.timedelta(days=1),
        runner: Runner | None = None,
    ) -> None:
        if runner is None:
            from connect_server.sync_runner import run_sync

            runner = run_sync
        self.sessions, self.clock, self.interval, self.runner = sessions, clock, interval, runner

    def tick(self) -> Any | None:
        """Run the sync if it is due; returns the run, or None when nothing was due."""
        if not daily_run_due(self.sessions, self.clock, self.interval):
            return None
        run = self.runner(self.sessions, trigger=DAILY_TRIGGER, clock=self.clock).run
        log.info("daily sync run %s: %s", run.id, run.status)
        return run


def start_daily_scheduler(
    sessions: sessionmaker[Session],
    clock: Clock = utc_now,
    *,
    interval: dt.timedelta = dt.timedelta(days=1),
    poll_seconds: float = 60.0,
    runner: Runner | None = None,
) -> Callable[[], None]:
    """Start checking every `poll_seconds` whether a daily run is due; returns `stop()`.

    The last daily run's start is read from the database, so restarting the server
    does not run the sync again early.
    """
    scheduler = DailyScheduler(sessions, clock, interval=interval, runner=runner)
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.wait(poll_seconds):
            try:
                scheduler.tick()
            except Exception:
                log.exception("the daily sync run failed")

    thread = threading.Thread(target=loop, name="connect-daily-sync", daemon=True)
    thread.start()

    def stop() -> None:
        stopped.set()
        thread.join(timeout=60)

    return stop

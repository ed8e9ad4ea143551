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
    """True when daily sync is on, a source is set up, and the last daily run is `interval` old."""
    with sessions() as session:
        if not load_config(session).daily_sync or load_source(session) is None:
            return False
        last = session.scalar(select(func.max(SyncRun.started_at)).where(SyncRun.trigger == DAILY_TRIGGER))
    return last is None or clock() - last >= interval


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
    if runner is None:
        from connect_server.sync_runner import run_sync

        runner = run_sync
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.wait(poll_seconds):
            try:
                if daily_run_due(sessions, clock, interval):
                    run = runner(sessions, trigger=DAILY_TRIGGER, clock=clock).run
                    log.info("daily sync run %s: %s", run.id, run.status)
            except Exception:
                log.exception("the daily sync run failed")

    thread = threading.Thread(target=loop, name="connect-daily-sync", daemon=True)
    thread.start()

    def stop() -> None:
        stopped.set()
        thread.join(timeout=60)

    return stop

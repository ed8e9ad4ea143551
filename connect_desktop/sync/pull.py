"""Pull: page through the server's changes feed into the cache.

Each page and the cursor after it are written in one transaction (a transaction may
hold a few consecutive pages, committed every 50,000 records or half a second, also
while the next page is late), so a
crash loses nothing committed and the next pull resumes after the last committed page;
a cancel commits what was written, then stops. The next page is fetched on a helper
thread while the current one is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass

from connect_desktop.api.client import ApiClient, FeedPage
from connect_desktop.store.db import Cache
from connect_desktop.store.writer import apply_changes, clear_records, read_position, write_cursor
from connect_desktop.sync.progress import CancelToken, NeverCancel, NoProgress, ProgressSink, RateMeter

log = logging.getLogger(__name__)

PAGE_SIZE_ENV = "CONNECT_DESKTOP_PAGE_SIZE"
DEFAULT_PAGE_SIZE = 10_000
PREFETCH_PAGES = 2
COMMIT_EVERY_RECORDS = 50_000
COMMIT_EVERY_S = 0.5
PULL_AUTOCHECKPOINT_PAGES = 16_384
"""WAL pages between automatic checkpoints during a pull (64 MB; SQLite's default is 1,000)."""
DEFAULT_AUTOCHECKPOINT_PAGES = 1_000


@dataclass(frozen=True)
class PullResult:
    received: int
    """Changes received and written (records plus tombstones)."""
    deleted: int
    pages: int
    cursor: int
    seconds: float
    cancelled: bool
    waiting_s: float = 0.0
    """Time spent waiting for the server's next page (the rest is writing)."""


def page_size_from_env() -> int:
    try:
        return max(1, int(os.environ.get(PAGE_SIZE_ENV, DEFAULT_PAGE_SIZE)))
    except ValueError:
        return DEFAULT_PAGE_SIZE


class _Batch:
    """Writes pages with the cursor after each, committing every few pages.

    Every transaction holds whole pages plus the cursor after the last of them, so a
    crash loses only uncommitted pages, which the next pull fetches again. Grouping
    pages (by count and time) spares SQLite most of the per-commit WAL work.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.open = False
        self.records = 0
        self.since = 0.0

    def write(self, page: FeedPage) -> None:
        if not self.open:
            self.connection.execute("BEGIN IMMEDIATE")
            self.open, self.records, self.since = True, 0, time.perf_counter()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        if page.reset:
            log.info("the server changed this account's access: downloading everything again")
            clear_records(self.connection)
        apply_changes(self.connection, page.changes)
        write_cursor(self.connection, page.next_since, finished=not page.has_more, now=now, scope=page.scope)
        self.records += len(page.changes)
        if self.records >= COMMIT_EVERY_RECORDS or time.perf_counter() - self.since >= COMMIT_EVERY_S:
            self.commit()

    def commit(self) -> None:
        if self.open:
            self.connection.commit()
            self.open = False

    def due_in(self) -> float | None:
        """Seconds until the open transaction is due to be committed (None: none is open)."""
        if not self.open:
            return None
        return max(0.0, COMMIT_EVERY_S - (time.perf_counter() - self.since))

    def rollback(self) -> None:
        if self.open:
            self.connection.rollback()
            self.open = False


class _Fetcher(threading.Thread):
    """Fetches pages one after another, a couple ahead of the writer."""

    def __init__(self, client: ApiClient, since: int, limit: int, scope: int) -> None:
        super().__init__(name="pull-fetch", daemon=True)
        self.client, self.since, self.limit, self.scope = client, since, limit, scope
        self.pages: queue.Queue[FeedPage | BaseException] = queue.Queue(maxsize=PREFETCH_PAGES)
        self.stop = threading.Event()

    def run(self) -> None:
        since, scope = self.since, self.scope
        while not self.stop.is_set():
            try:
                item: FeedPage | BaseException = self.client.changes(since, self.limit, scope=scope)
            except BaseException as exc:  # handed to the writer, which re-raises it
                item = exc
            while not self.stop.is_set():
                try:
                    self.pages.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if isinstance(item, BaseException) or not item.has_more:
                return
            since, scope = item.next_since, item.scope

    def next_page(self, timeout: float | None = None) -> FeedPage | None:
        """The next page, waiting at most `timeout` seconds for it (None: it did not come)."""
        try:
            item = self.pages.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def finish(self) -> None:
        self.stop.set()
        self.join()


def pull(
    cache: Cache,
    client: ApiClient,
    *,
    page_size: int | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> PullResult:
    """Bring the cache up to date from its stored cursor (0 for a new cache)."""
    sink, stop = progress or NoProgress(), cancel or NeverCancel()
    limit = page_size or page_size_from_env()
    started = time.perf_counter()
    meter = RateMeter()
    received = deleted = pages = 0
    waiting = 0.0
    cancelled = False
    total: int | None = None
    with cache.raw() as connection:
        cursor, scope = read_position(connection)
        log.info("pull from cursor %d, pages of %d", cursor, limit)
        connection.execute(f"PRAGMA wal_autocheckpoint={PULL_AUTOCHECKPOINT_PAGES}")
        batch = _Batch(connection)
        fetcher = _Fetcher(client, cursor, limit, scope)
        fetcher.start()
        try:
            while True:
                if stop.is_set():
                    cancelled = True
                    break
                waited = time.perf_counter()
                page = fetcher.next_page(batch.due_in())
                if page is None:  # the network is slower than the half second: commit what came
                    batch.commit()
                    page = fetcher.next_page()
                assert page is not None  # waited without a timeout
                waiting += time.perf_counter() - waited
                batch.write(page)
                cursor = page.next_since
                pages += 1
                received += len(page.changes)
                deleted += sum(1 for c in page.changes if c.get("deleted"))
                if total is None and page.total_estimate is not None:
                    total = page.total_estimate
                meter.report(sink, received, max(total, received) if total is not None else None)
                if not page.has_more:
                    break
            batch.commit()
        except BaseException:
            batch.rollback()
            raise
        finally:
            fetcher.finish()
            connection.execute(f"PRAGMA wal_autocheckpoint={DEFAULT_AUTOCHECKPOINT_PAGES}")
    result = PullResult(received, deleted, pages, cursor, time.perf_counter() - started, cancelled, waiting)
    log.info(
        "pull: %d changes in %d pages, cursor %d, %.1f s%s",
        received,
        pages,
        cursor,
        result.seconds,
        " (cancelled)" if cancelled else "",
    )
    return result

"""Pull: page through the server's changes feed into the cache.

Each page and the cursor after it are written in one transaction, so a crash or a
cancel loses nothing and the next pull resumes after the last written page. The next
page is fetched on a helper thread while the current one is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass

from connect_desktop.api.client import ApiClient, FeedPage
from connect_desktop.store.db import Cache
from connect_desktop.store.writer import apply_changes, read_cursor, write_cursor
from connect_desktop.sync.progress import CancelToken, NeverCancel, NoProgress, ProgressSink, RateMeter

log = logging.getLogger(__name__)

PAGE_SIZE_ENV = "CONNECT_DESKTOP_PAGE_SIZE"
DEFAULT_PAGE_SIZE = 10_000
PREFETCH_PAGES = 2


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


class _Fetcher(threading.Thread):
    """Fetches pages one after another, a couple ahead of the writer."""

    def __init__(self, client: ApiClient, since: int, limit: int) -> None:
        super().__init__(name="pull-fetch", daemon=True)
        self.client, self.since, self.limit = client, since, limit
        self.pages: queue.Queue[FeedPage | BaseException] = queue.Queue(maxsize=PREFETCH_PAGES)
        self.stop = threading.Event()

    def run(self) -> None:
        since = self.since
        while not self.stop.is_set():
            try:
                item: FeedPage | BaseException = self.client.changes(since, self.limit)
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
            since = item.next_since

    def next_page(self) -> FeedPage:
        item = self.pages.get()
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
        cursor = read_cursor(connection)
        log.info("pull from cursor %d, pages of %d", cursor, limit)
        fetcher = _Fetcher(client, cursor, limit)
        fetcher.start()
        try:
            while True:
                if stop.is_set():
                    cancelled = True
                    break
                waited = time.perf_counter()
                page = fetcher.next_page()
                waiting += time.perf_counter() - waited
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
                connection.execute("BEGIN IMMEDIATE")
                try:
                    counts = apply_changes(connection, page.changes)
                    write_cursor(connection, page.next_since, finished=not page.has_more, now=now)
                    connection.commit()
                except BaseException:
                    connection.rollback()
                    raise
                cursor = page.next_since
                pages += 1
                received += counts.upserted + counts.deleted
                deleted += counts.deleted
                if total is None and page.total_estimate is not None:
                    total = page.total_estimate
                meter.report(sink, received, max(total, received) if total is not None else None)
                if not page.has_more:
                    break
        finally:
            fetcher.finish()
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

"""Fetch the next chunk of rows in a background thread while the current one is written.

SQLite runs its query steps without holding the GIL, so the SQL joins and
aggregations overlap with openpyxl's XML writing on a second core. The connection is
only ever used by one thread at a time (the queue hands chunks over). If the driver
refuses use from another thread (`check_same_thread=True`), rows are fetched inline.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

Chunk = list[tuple[Any, ...]]
_DONE = object()


def read_ahead(open_chunks: Callable[[], Iterator[Chunk]], depth: int = 2) -> Generator[Chunk, None, None]:
    """Yield the chunks `open_chunks()` yields, fetching up to `depth` ahead in a thread."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    refused = threading.Event()

    def produce() -> None:
        chunks = open_chunks()
        try:
            for chunk in chunks:
                if not _put(handoff, chunk, stop):
                    return
            _put(handoff, _DONE, stop)
        except sqlite3.ProgrammingError as exc:
            if "thread" in str(exc):
                refused.set()
                _put(handoff, _DONE, stop)
            else:
                _put(handoff, exc, stop)
        except BaseException as exc:
            _put(handoff, exc, stop)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # closes the cursor in the thread that used it

    worker = threading.Thread(target=produce, name="report-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            _drain(handoff)
            worker.join(timeout=0.05)
    if refused.is_set():
        yield from open_chunks()


def _put(handoff: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _drain(handoff: queue.Queue[Any]) -> None:
    try:
        while True:
            handoff.get_nowait()
    except queue.Empty:
        pass

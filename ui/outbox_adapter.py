"""Staging, discarding, sending and retrying through `connect_desktop.sync` (worker thread only).

Turns the planners' `PlannedOperation`s into outbox items.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from connect_desktop.api.client import ApiClient
from connect_desktop.store.db import Cache
from connect_desktop.sync.outbox import Outbox, StageItem
from connect_desktop.sync.progress import CancelToken, ProgressSink
from connect_desktop.sync.push import push as push_operations

STAGE_CHUNK = 5_000


def stage(cache: Cache, operations: Iterable[Any], batch: str | None = None) -> int:
    """Stage planned operations (anything with kind, target_type, target_id, params, step).

    `batch` labels them together (e.g. "year-end-2026") so they can be restored as one.
    """
    outbox = Outbox(cache)
    staged = 0
    iterator = iter(operations)
    while chunk := list(itertools.islice(iterator, STAGE_CHUNK)):
        for step, group in itertools.groupby(chunk, key=lambda op: str(op.step)):
            items = [
                StageItem(str(op.kind), op.target_id, dict(op.params), str(op.target_type)) for op in group
            ]
            staged += len(outbox.stage_many(items, step=step, batch=batch))
    return staged


def discard(cache: Cache, op_ids: Iterable[str]) -> int:
    return Outbox(cache).discard(list(op_ids))


def restage(cache: Cache, op_ids: Iterable[str]) -> int:
    outbox = Outbox(cache)
    return sum(1 for op_id in op_ids if outbox.retry(op_id))


def push(
    cache: Cache,
    client: ApiClient,
    excluded: Iterable[str] = (),
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, int]:
    """Send every pending operation except `excluded`; counts per result.

    The excluded (unchecked) operations stay pending and unsent, for a later send.
    """
    left_out = frozenset(excluded)
    result = push_operations(cache, client, progress=progress, cancel=cancel, exclude=left_out)
    return {
        "applied": result.applied,
        "conflict": result.conflicts,
        "rejected": result.rejected,
        "not_sent": len(left_out),
    }

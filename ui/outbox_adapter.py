"""Staging, discarding, sending and retrying through `connect_desktop.sync` (worker thread only).

Turns the planners' `PlannedOperation`s into outbox items, and reads short labels for
the review list (a stop-gap read that belongs in `connect_desktop.store.queries`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from connect_desktop.api.client import ApiClient
from connect_desktop.store.db import Cache
from connect_desktop.store.queries import PendingRow
from connect_desktop.sync.outbox import Outbox, StageItem
from connect_desktop.sync.progress import CancelToken, ProgressSink
from connect_desktop.sync.push import push as push_operations

STAGE_CHUNK = 5_000

_LABEL_SQL = {
    "classroom": "SELECT id, name FROM classroom WHERE id IN ({})",
    "student": "SELECT id, last_name || ', ' || first_name || ' (' || student_number || ')' "
    "FROM student WHERE id IN ({})",
    "staff": "SELECT id, last_name || ', ' || first_name FROM staff WHERE id IN ({})",
    "sync_settings": "SELECT id, 'Sync settings' FROM sync_settings WHERE id IN ({})",
}


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

    `connect_desktop.sync.push.push` sends all pending operations, so the unchecked ones
    are taken out (discarded) first: the review page says so before sending.
    """
    left_out = list(excluded)
    if left_out:
        Outbox(cache).discard(left_out)
    result = push_operations(cache, client, progress=progress, cancel=cancel)
    return {
        "applied": result.applied,
        "conflict": result.conflicts,
        "rejected": result.rejected,
        "not_sent": len(left_out),
    }


def target_labels(cache: Cache, rows: Iterable[PendingRow]) -> dict[str, str]:
    """op_id → a short name of its target, read from the cache."""
    rows = list(rows)
    names = target_names(cache, [(row.target_type, row.target_id) for row in rows])
    return {row.op_id: names.get((row.target_type, row.target_id), row.target_id) for row in rows}


def target_names(cache: Cache, targets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(target type, id) → a short name of the record, read from the cache."""
    names: dict[tuple[str, str], str] = {}
    by_type: dict[str, set[str]] = {}
    for target_type, target_id in targets:
        by_type.setdefault(target_type, set()).add(target_id)
    with cache.raw() as connection:
        for target_type, ids in by_type.items():
            sql = _LABEL_SQL.get(target_type)
            if sql is None:
                continue
            id_list = sorted(ids)
            for start in range(0, len(id_list), 500):
                part = id_list[start : start + 500]
                query = sql.format(", ".join("?" * len(part)))
                for target_id, name in connection.execute(query, part):
                    names[(target_type, target_id)] = name
    return names

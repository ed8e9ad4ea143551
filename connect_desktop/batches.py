"""Long lists cut into batches: the size of an SQL `IN (...)` list or of one bulk write."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypeVar

BATCH = 500
"""Ids per `IN (...)` list: well under SQLite's and PostgreSQL's limits on bound parameters."""

_T = TypeVar("_T")


def batched(items: Iterable[_T], size: int = BATCH) -> Iterator[list[_T]]:
    """`items` in lists of `size` (the last one shorter), read lazily."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch

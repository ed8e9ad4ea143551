"""Distinct values of integer arrays, by sorting.

NumPy 2.3 and later answer `np.unique` without `return_inverse`/`return_counts` by hashing,
which is some fifty times slower than a sort for the millions of int64 pair numbers the
detector handles (2.3 s against 0.04 s for two million), and `np.union1d` goes the same way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]


def _starts(ordered: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
    marks = np.empty(ordered.size, dtype=np.bool_)
    if ordered.size:
        marks[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=marks[1:])
    return marks


def distinct(values: npt.NDArray[np.integer]) -> Int64s:
    """The distinct values, sorted."""
    ordered = np.sort(values.astype(np.int64, copy=False))
    return ordered[_starts(ordered)]


def distinct_with_counts(values: npt.NDArray[np.integer]) -> tuple[Int64s, Int64s]:
    """The distinct values, sorted, and how often each occurs."""
    ordered = np.sort(values.astype(np.int64, copy=False))
    at = np.flatnonzero(_starts(ordered))
    return ordered[at], np.diff(np.append(at, ordered.size))


def distinct_with_inverse(values: npt.NDArray[np.integer]) -> tuple[Int64s, Int64s]:
    """The distinct values, sorted, and for each value its place among them."""
    order = np.argsort(values, kind="stable")
    ordered = values[order].astype(np.int64, copy=False)
    marks = _starts(ordered)
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(marks) - 1
    return ordered[marks], inverse


def member(values: Int64s, sorted_set: Int64s) -> npt.NDArray[np.bool_]:
    """Which of `values` are in the sorted array `sorted_set`."""
    if not sorted_set.size:
        return np.zeros(values.size, dtype=np.bool_)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    found: npt.NDArray[np.bool_] = sorted_set[at] == values
    return found


def union(a: Int64s, b: Int64s) -> Int64s:
    """The sorted distinct values of two arrays."""
    return distinct(np.concatenate((a, b)))

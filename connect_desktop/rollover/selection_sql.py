"""Passing a set of ids into one SQLite statement without a temporary table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select


def id_set(ids: Iterable[str]) -> Select[Any]:
    """`SELECT value FROM json_each(?)`: usable with `IN`, bound as one parameter."""
    values = func.json_each(json.dumps(sorted(set(ids)))).table_valued("value")
    return select(values.c.value)

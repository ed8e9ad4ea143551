"""The sync-managed server records as the planner's `CurrentRecord`s, streamed.

The extraction itself is the core's (`connect_desktop.rostering.current`): the desktop's
offline preview runs the very same query over its cache, so the two cannot disagree on
what is sync-managed (see that module for which records count as history).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from connect_desktop.rostering import current
from connect_desktop.rostering.plan import CurrentRecord
from connect_desktop.rostering.snapshot import TYPES


def current_records(session: Session, types: tuple[str, ...] = TYPES) -> Iterator[CurrentRecord]:
    """Every record with origin `sync` of the given types (archived and history ones flagged)."""
    return current.current_records(session.connection(), types)

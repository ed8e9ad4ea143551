"""Records already staged in the outbox are not proposed again."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, exists, func, select

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover.plan import Skipped
from connect_desktop.store.effective import STAGED_STATES
from connect_desktop.store.models import PendingOperation

_pending = PendingOperation.__table__.c


def not_staged(entity: EntityType, id_column: Any) -> Any:
    """SQL condition: the record has no pending or sending operation."""
    return ~exists().where(
        _pending.target_type == entity,
        _pending.target_id == id_column,
        _pending.state.in_(STAGED_STATES),
    )


def already_staged(
    connection: Connection, kinds: Collection[OperationKind], noun: str
) -> tuple[Skipped, ...]:
    """A skipped-line for records this step already staged (none when there are none)."""
    query = select(func.count(func.distinct(_pending.target_id))).where(
        _pending.kind.in_(sorted(kinds)), _pending.state.in_(STAGED_STATES)
    )
    count = int(connection.execute(query).scalar_one())
    if not count:
        return ()
    return (Skipped(count, f"{count} {noun} are already staged; see them in Review and send."),)

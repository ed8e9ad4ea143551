"""Allocation of the server-wide, strictly increasing change sequence."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def allocate_seqs(session: Session, count: int = 1) -> range:
    """Reserve `count` consecutive sequence numbers inside the caller's transaction.

    The counter row stays locked until the transaction ends, which keeps feed numbers
    visible in commit order (see `FeedCounter`).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    last = session.execute(
        text("UPDATE feed_counter SET value = value + :n WHERE id = 1 RETURNING value"),
        {"n": count},
    ).scalar_one()
    return range(last - count + 1, last + 1)

"""The feed counter: the server's one write lock, and its strictly increasing change sequence.

Every transaction that writes feed records takes the counter's row lock before it
locks or writes any record (`lock_feed`, or its first `allocate_seqs`), and holds it
until it ends. Writers therefore queue on one lock, in one order, and cannot deadlock
each other; see docs/server-locking.md.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_HELD = "connect.feed_lock"
"""session.info key: the transaction that holds the counter's lock."""


def lock_feed(session: Session) -> None:
    """Take the feed counter's lock for the rest of the caller's transaction (once per transaction).

    On PostgreSQL this is a row lock on `feed_counter`; on SQLite the write begins the
    transaction and takes the database's write lock, so what the caller reads next is
    current and stays so until it commits.
    """
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_HELD) is transaction:
        return
    session.execute(text("UPDATE feed_counter SET value = value WHERE id = 1"))
    session.info[_HELD] = session.get_transaction()


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
    session.info[_HELD] = session.get_transaction()
    return range(last - count + 1, last + 1)

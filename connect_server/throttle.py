"""Sign-in throttling, kept in the database so it holds across restarts and workers.

Every failed sign-in counts three times (`ThrottlePolicy` holds the numbers):

- **this account from this address**: the first 5 failures are free; after the 5th and
  each later one, the next try from that address must wait 2 s, 4 s, 8 s … at most
  15 min. A good sign-in from that address, or 24 h without a failure, starts afresh.
- **this account from anywhere**: after 10 failures, tries wait 1 s, one second more
  per 10 further failures, at most 3 s. So failures elsewhere never keep the owner, on
  an address of their own, out for longer than that. Reset by any good sign-in or 1 h
  without a failure.
- **this address, any account** (spraying many accounts): 100 failures within an hour
  block the address until that hour is over; a good sign-in does not reset it.

A refused try (HTTP 429) checked no password and is not counted. Accounts are the
e-mail as typed, trimmed and case-folded; unknown e-mails count like known ones.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from connect_server.models import ThrottleCounter

ANY = ""
"""Stored in `account` or `address` for a counter over every account or every address."""
UNKNOWN_ADDRESS = "unknown"
_ZERO = dt.timedelta(0)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_ACCOUNT_LENGTH, _ADDRESS_LENGTH = 254, 64  # the sizes of ThrottleCounter's key columns


class Kind(enum.StrEnum):
    PAIR = "account_address"
    ACCOUNT = "account"
    ADDRESS = "address"


def kind_of(account: str, address: str) -> Kind:
    if account == ANY:
        return Kind.ADDRESS
    return Kind.ACCOUNT if address == ANY else Kind.PAIR


@dataclass(frozen=True)
class Lockout:
    """A refused sign-in attempt: try again after `retry_after` seconds."""

    retry_after: int


@dataclass(frozen=True)
class ThrottlePolicy:
    pair_free: int = 5
    pair_max_wait: dt.timedelta = dt.timedelta(minutes=15)
    pair_forget: dt.timedelta = dt.timedelta(hours=24)
    account_free: int = 10
    account_step: int = 10
    account_max_wait: dt.timedelta = dt.timedelta(seconds=3)
    account_forget: dt.timedelta = dt.timedelta(hours=1)
    address_limit: int = 100
    address_window: dt.timedelta = dt.timedelta(hours=1)

    def pair_wait(self, failures: int) -> dt.timedelta:
        if failures < self.pair_free:
            return _ZERO
        exponent = min(failures - self.pair_free + 1, 32)  # 2**32 s is far past any cap
        return min(dt.timedelta(seconds=2**exponent), self.pair_max_wait)

    def account_wait(self, failures: int) -> dt.timedelta:
        if failures < self.account_free:
            return _ZERO
        steps = 1 + (failures - self.account_free) // self.account_step
        return min(dt.timedelta(seconds=steps), self.account_max_wait)

    def forget_after(self, kind: Kind) -> dt.timedelta:
        """How long a counter lasts: after its last failure, or (address) its first."""
        return {Kind.PAIR: self.pair_forget, Kind.ACCOUNT: self.account_forget}.get(kind, self.address_window)

    def blocked_until(
        self, kind: Kind, failures: int, first: dt.datetime, now: dt.datetime
    ) -> dt.datetime | None:
        """When the next try may come, after the `failures`-th failure at `now`."""
        if kind is Kind.ADDRESS:
            return first + self.address_window if failures >= self.address_limit else None
        wait = self.pair_wait(failures) if kind is Kind.PAIR else self.account_wait(failures)
        return now + wait if wait > _ZERO else None

    @property
    def longest(self) -> dt.timedelta:
        return max(self.pair_forget, self.account_forget, self.address_window)


@dataclass(frozen=True)
class CounterState:
    """One live counter, as shown to a district admin."""

    account: str | None
    address: str | None
    kind: Kind
    failures: int
    first_failure_at: dt.datetime
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None
    """None when tries are not being refused right now."""


def normalize_account(username: str) -> str:
    # Case folding can lengthen a string ("ß" -> "ss"): keep within the column. A blank
    # name must not turn into ANY.
    return username.strip().casefold()[:_ACCOUNT_LENGTH] or "(blank)"


class SignInThrottle:
    """Checks, counts and clears failed sign-ins in the server database.

    Writers lock counters in one order, (account, address) then (account, any) then
    (any, address), so concurrent workers on PostgreSQL never deadlock.
    """

    def __init__(self, sessions: sessionmaker[Session], policy: ThrottlePolicy | None = None) -> None:
        self.sessions = sessions
        self.policy = policy or ThrottlePolicy()

    @staticmethod
    def keys(username: str, address: str | None) -> tuple[tuple[str, str], ...]:
        """The counters a try touches: (account, address), (account, any), (any, address)."""
        account, where = normalize_account(username), (address or UNKNOWN_ADDRESS)[:_ADDRESS_LENGTH]
        return ((account, where), (account, ANY), (ANY, where))

    def check(self, keys: tuple[tuple[str, str], ...], now: dt.datetime) -> Lockout | None:
        """A lockout while any of `keys` is blocked, else None."""
        with self.sessions() as session:
            until = session.scalar(select(func.max(ThrottleCounter.blocked_until)).where(_any_of(keys)))
        if until is None or until <= now:
            return None
        return Lockout(max(1, math.ceil((until - now).total_seconds())))

    def fail(self, keys: tuple[tuple[str, str], ...], now: dt.datetime) -> None:
        """Count a failure on every key and set when each may be tried next."""
        with self.sessions.begin() as session:
            for account, address in keys:
                kind = kind_of(account, address)
                failures, first = self._count(session, account, address, kind, now)
                blocked = self.policy.blocked_until(kind, failures, first, now)
                session.execute(
                    update(ThrottleCounter)
                    .where(ThrottleCounter.account == account, ThrottleCounter.address == address)
                    .values(blocked_until=blocked)
                )
            self._forget_stale(session, now)

    @staticmethod
    def succeed(session: Session, keys: tuple[tuple[str, str], ...]) -> None:
        """In the caller's transaction: forget the account's counters after a good sign-in
        (the address keeps its own)."""
        for key in keys:  # one row at a time, in the order `fail` locks them (no deadlock)
            if key[0] != ANY:
                session.execute(delete(ThrottleCounter).where(_any_of((key,))))

    def counters(self, now: dt.datetime) -> list[CounterState]:
        """Every counter that still counts, most recent failure first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(ThrottleCounter)
                .where(ThrottleCounter.last_failure_at > now - self.policy.longest)
                .order_by(ThrottleCounter.last_failure_at.desc(), ThrottleCounter.account)
            ).all()
        states = []
        for row in rows:
            kind = kind_of(row.account, row.address)
            since = row.first_failure_at if kind is Kind.ADDRESS else row.last_failure_at
            if since <= now - self.policy.forget_after(kind):
                continue
            blocked = row.blocked_until if row.blocked_until and row.blocked_until > now else None
            states.append(
                CounterState(
                    account=row.account or None,
                    address=row.address or None,
                    kind=kind,
                    failures=row.failures,
                    first_failure_at=row.first_failure_at,
                    last_failure_at=row.last_failure_at,
                    blocked_until=blocked,
                )
            )
        return states

    def clear(self, account: str | None = None, address: str | None = None) -> int:
        """Delete the counters about `account` and/or `address` (all without either); how many."""
        conditions = []
        if account is not None:
            conditions.append(ThrottleCounter.account == normalize_account(account))
        if address is not None:
            conditions.append(ThrottleCounter.address == address.strip())
        with self.sessions.begin() as session:
            result = session.execute(delete(ThrottleCounter).where(*conditions))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _forget_stale(self, session: Session, now: dt.datetime) -> None:
        """Delete counters that no longer count, skipping any another request holds (PostgreSQL),
        so this never waits for a lock and cannot deadlock."""
        stale = (
            select(ThrottleCounter.account, ThrottleCounter.address)
            .where(ThrottleCounter.last_failure_at <= now - self.policy.longest)
            .limit(1_000)
            .with_for_update(skip_locked=True)
        )
        key = tuple_(ThrottleCounter.account, ThrottleCounter.address)
        session.execute(delete(ThrottleCounter).where(key.in_(stale)))

    def _count(
        self, session: Session, account: str, address: str, kind: Kind, now: dt.datetime
    ) -> tuple[int, dt.datetime]:
        """Add one failure in a single upsert (safe with concurrent workers); new count and start."""
        table = ThrottleCounter.__table__
        since = table.c.first_failure_at if kind is Kind.ADDRESS else table.c.last_failure_at
        expired = since <= now - self.policy.forget_after(kind)
        insert = _INSERTS[session.get_bind().dialect.name](table).values(
            account=account, address=address, failures=1, first_failure_at=now, last_failure_at=now
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.account, table.c.address],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "first_failure_at": case((expired, now), else_=table.c.first_failure_at),
                "last_failure_at": now,
            },
        ).returning(table.c.failures, table.c.first_failure_at)
        failures, first = session.execute(statement).one()
        return int(failures), first


def _any_of(keys: tuple[tuple[str, str], ...]) -> ColumnElement[bool]:
    return or_(*(and_(ThrottleCounter.account == a, ThrottleCounter.address == b) for a, b in keys))

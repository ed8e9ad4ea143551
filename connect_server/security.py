"""Password hashing, bearer tokens and sign-in throttling (no web framework here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_HASHER = PasswordHasher()
_DUMMY_HASH = DEFAULT_HASHER.hash("not a real password")


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """An argon2id hash of `password` (parameters are stored in the hash)."""
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash, spends the same time and says no."""
    try:
        return DEFAULT_HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh random bearer token (shown once to the client, never stored)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Lockout:
    """A refused sign-in attempt: try again after `retry_after` seconds."""

    retry_after: int


class SignInThrottle:
    """Counts failed sign-ins per username and per client address (in memory).

    After `limit` failures for the same key within `window`, every attempt for that
    key is refused - even with the right password - until the oldest of those
    failures leaves the window.
    """

    def __init__(self, limit: int = 5, window: dt.timedelta = dt.timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str | None) -> tuple[str, ...]:
        user_key = "user:" + username.strip().casefold()
        return (user_key, "addr:" + address) if address else (user_key,)

    def check(self, keys: tuple[str, ...], now: dt.datetime) -> Lockout | None:
        """A lockout if any of `keys` has too many recent failures, else None."""
        with self._lock:
            waits = [self._wait(key, now) for key in keys]
        longest = max(waits, default=0)
        return Lockout(longest) if longest > 0 else None

    def fail(self, keys: tuple[str, ...], now: dt.datetime) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.setdefault(key, deque())
                self._prune(times, now)
                times.append(now)
            if len(self._failures) > 10_000:
                self._forget_stale(now)

    def succeed(self, username_key: str) -> None:
        """Forget a username's failures after a good sign-in (addresses keep theirs)."""
        with self._lock:
            self._failures.pop(username_key, None)

    def _wait(self, key: str, now: dt.datetime) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        self._prune(times, now)
        if len(times) < self.limit:
            return 0
        frees_at = times[len(times) - self.limit] + self.window
        return max(1, int((frees_at - now).total_seconds() + 0.999))

    def _prune(self, times: deque[dt.datetime], now: dt.datetime) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _forget_stale(self, now: dt.datetime) -> None:
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= now - self.window]:
            del self._failures[key]

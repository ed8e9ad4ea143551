"""Problems with the local cache that the user can understand and act on.

Every SQLite or file-system failure of the cache becomes one of these in one place,
`classify`, wherever it surfaces (SQLAlchemy wraps sqlite3's errors; bulk writes see
them raw); what is not recognised stays itself: a bug. `surfaced` does the same for an
error that reached the top of a task or command without passing the cache's own guards.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from connect_desktop.errors import KnownError

WAY_OUT = (
    "Your staged changes can still be saved: in the Connect Desktop window, sign out and sign in "
    "again; on the command line, run `connect-desktop rescue`. Either saves the staged changes "
    "that can still be read, sets the damaged file aside (nothing is deleted) and downloads the "
    "rest again from the server."
)
NOTHING_LOST = "Nothing was lost."


class CacheError(KnownError):
    """A known problem with the local cache; `user_message` is safe to show."""

    title = "Local data problem"
    user_message = "The local copy of your account could not be opened."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)
        if message:
            self.user_message = message


class CacheTooNewError(CacheError):
    """The cache was written by a newer version of Connect Desktop."""

    title = "A newer version is needed"
    user_message = (
        "The local copy of your account was made by a newer version of Connect Desktop. "
        "Please install the newest version. To use this version instead, run "
        "`connect-desktop rescue`: it keeps your staged changes and downloads the rest again."
    )


class CacheDamagedError(CacheError):
    """The cache file cannot be used as it is: damaged, cut short, empty or another program's."""

    title = "Your local copy is damaged"
    user_message = f"The local copy of your account on this computer is damaged. {WAY_OUT}"

    @classmethod
    def because(cls, what: str) -> CacheDamagedError:
        """`what` completes "The local copy of your account on this computer …"."""
        return cls(f"The local copy of your account on this computer {what}. {WAY_OUT}")


def damaged() -> CacheDamagedError:
    return CacheDamagedError.because("is damaged: parts of it can no longer be read")


def not_a_database() -> CacheDamagedError:
    return CacheDamagedError.because("is damaged: the file is no longer a readable database")


def empty_file() -> CacheDamagedError:
    return CacheDamagedError.because(
        "is an empty file: its content was lost (for example by a copy that did not finish, "
        "or a disk problem)"
    )


def foreign_file() -> CacheDamagedError:
    return CacheDamagedError.because("is not one of Connect Desktop's files: it holds another program's data")


class _FolderError(CacheError):
    """A problem of the folder or disk holding the cache; the message names the folder."""

    template = ""

    def __init__(self, folder: Path | None = None) -> None:
        where = f" ({folder})" if folder is not None else ""
        super().__init__(self.template.format(where=where))


class CacheDiskFullError(_FolderError):
    """No space left on the disk holding the cache."""

    title = "The disk is full"
    template = (
        "The disk holding Connect Desktop's data{where} is full. Free some space on it, then try "
        f"again (a sync continues where it stopped). {NOTHING_LOST}"
    )
    user_message = template.format(where="")


class CacheReadOnlyError(_FolderError):
    """The cache's folder or disk cannot be written to."""

    title = "No permission"
    template = (
        "Connect Desktop cannot write to its data folder{where}: the folder or its disk is "
        "read-only, or you are not allowed to change it. Make it writable again (or ask your IT "
        f"department), then try again. {NOTHING_LOST}"
    )
    user_message = template.format(where="")


class CacheLockedError(CacheError):
    """Another program holds the cache (a second window or command)."""

    title = "Connect Desktop is busy"
    user_message = (
        "Another Connect Desktop window or command is using this computer's copy of your account "
        f"right now. Wait for it to finish, or close it, then try again. {NOTHING_LOST}"
    )


class CacheUnavailableError(_FolderError):
    """The cache's file or folder cannot be reached (missing, removed disk, I/O error)."""

    title = "The data folder cannot be reached"
    template = (
        "Connect Desktop cannot read or write its data folder{where}: the folder may be missing "
        "or on a disk that was removed, or the disk may be failing. Check it (or ask your IT "
        "department), then try again."
    )
    user_message = template.format(where="")


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
_SQLITE_IOERR_SHMSIZE = _SQLITE_IOERR | (19 << 8)
"""The shared-memory file could not be grown: the disk is full."""
NEARLY_FULL_BYTES = 1 << 20


def _from_sqlite(exc: sqlite3.Error, folder: Path | None) -> CacheError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or "disk is full" in text:
        return CacheDiskFullError(folder)
    if primary in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly database" in text:
        return CacheReadOnlyError(folder)
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return CacheLockedError()
    if primary == _SQLITE_NOTADB or "file is not a database" in text:
        return not_a_database()
    if primary == _SQLITE_CORRUPT or "malformed" in text:
        return damaged()
    if primary == _SQLITE_CANTOPEN or "unable to open database file" in text:
        return CacheUnavailableError(folder)
    if primary == _SQLITE_IOERR or "disk i/o error" in text:
        # SQLite does not pass errno on: a failed write on a (nearly) full disk is a full disk.
        if code == _SQLITE_IOERR_SHMSIZE or _nearly_full(folder):
            return CacheDiskFullError(folder)
        return CacheUnavailableError(folder)
    return None


def _nearly_full(folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _from_os(exc: OSError, folder: Path | None) -> CacheError | None:
    if exc.errno in _FULL:
        return CacheDiskFullError(folder)
    if exc.errno in _READ_ONLY:
        return CacheReadOnlyError(folder)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EIO, errno.ENODEV, errno.ENXIO):
        return CacheUnavailableError(folder)
    return None


def classify(exc: BaseException, path: Path | None = None) -> CacheError | None:
    """The CacheError that `exc` (raised while using the cache at `path`) means, or None.

    Looks through SQLAlchemy's wrappers (`.orig`) and explicit causes (`raise … from`).
    """
    return _first(exc, path.parent if path is not None else None, os_codes=None)


def surfaced(exc: BaseException) -> CacheError | None:
    """The CacheError that `exc`, caught at the top of a task or command, means, or None.

    Like `classify`, but a bare OS error counts only when the disk is full or read-only: a
    file missing elsewhere is not the data folder's problem (it is a bug).
    """
    return _first(exc, None, os_codes=_FULL | _READ_ONLY)


def _first(exc: BaseException, folder: Path | None, os_codes: set[int] | None) -> CacheError | None:
    """The first problem found along `exc`'s chain (OS errors: only those with `os_codes`, if given)."""
    for current in _chain(exc):
        if isinstance(current, CacheError):
            return current
        found: CacheError | None = None
        if isinstance(current, sqlite3.Error):
            found = _from_sqlite(current, folder)
        elif isinstance(current, OSError) and (os_codes is None or current.errno in os_codes):
            found = _from_os(current, folder)
        if found is not None:
            return found
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it wraps: SQLAlchemy's `.orig`, else the explicit cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__

"""The two kinds of error: a problem the user can fix, and a bug.

Every error the core raises on purpose is a `KnownError`: it has a short `title` and a plain
`user_message` (what happened, what to do), and screens and the command line show just that.
`known(exc)` also recognises what SQLite and the operating system raise when the disk is full
or read-only, or the cache is locked or damaged, wherever that surfaced. Anything else is a
bug: `bug_report(exc)` describes it for support (versions and where it happened; no values, no
names, no home folders).
"""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Sequence

import connect_desktop


class ConnectError(Exception):
    """The root of the errors Connect Desktop raises on purpose."""


class KnownError(ConnectError):
    """A problem the user can fix; `user_message` says what happened and what to do.

    `KnownError("The folder is full: …", title="Report not saved")`. Subclasses set `title`
    and often `user_message` as class attributes; without one, the first argument, if it is
    text, is the message.
    """

    title: str = "Something needs your attention"
    user_message: str = ""

    def __init__(self, *args: object, title: str | None = None, user_message: str | None = None) -> None:
        super().__init__(*args)
        if title is not None:
            self.title = title
        if user_message is not None:
            self.user_message = user_message
        elif not self.user_message and args and isinstance(args[0], str):
            self.user_message = args[0]

    @property
    def plain(self) -> str:
        """The sentence to show: `user_message`, else the error's text."""
        return self.user_message or str(self)


def known(exc: BaseException) -> KnownError | None:
    """What the user can do about `exc`, or None when it is a bug.

    A `KnownError` is itself; an SQLite error anywhere in its chain (disk full, locked,
    malformed, read-only…) or a full or read-only disk is the cache problem it means.
    """
    if isinstance(exc, KnownError):
        return exc
    from connect_desktop.store.errors import surfaced  # the store's errors derive from this module's

    return surfaced(exc)


def bug_report(exc: BaseException, *, versions: Sequence[str] = ()) -> str:
    """A report safe to share: versions (plus `versions`, e.g. the toolkit's) and the traceback's places."""
    frames = traceback.extract_tb(exc.__traceback__)
    build = " (installed build)" if getattr(sys, "frozen", False) else ""
    lines = [
        f"Connect Desktop {connect_desktop.__version__}{build}",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
        f" ({platform.machine()})",
        *versions,
        "",
        "Traceback (most recent call last):",
    ]
    lines += [f'  File "{short_path(f.filename)}", line {f.lineno}, in {f.name}' for f in frames]
    lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
    return "\n".join(lines)


def short_path(path: str) -> str:
    """Drop the user's home and install folders from a path in a report."""
    path = path.replace("\\", "/")
    for marker in ("site-packages/", "connect_desktop/", "connect_server/", "ui/"):
        at = path.rfind(marker)
        if at >= 0:
            return path[at:]
    return path.rsplit("/", 1)[-1]

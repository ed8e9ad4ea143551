"""A real small or read-only file system for tests of full disks and read-only folders.

A tmpfs of a few hundred kilobytes is mounted on a private folder, so writes fail with
the operating system's own ENOSPC or EROFS, as on a full USB stick or a locked share.
Mounting needs root (CI runs as root): without it the tests fail when CI is set, and
are skipped on a developer's machine with a message saying why.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    """A mounted tmpfs at `path`; `fill()` uses up the space, `free()` gives it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ballast = path / ".ballast"

    def fill(self, leave: int = 0) -> None:
        """Write until the disk is full, leaving about `leave` bytes free."""
        with self._ballast.open("ab", buffering=0) as ballast:
            chunk = b"\0" * 65536
            with contextlib.suppress(OSError):
                while True:
                    ballast.write(chunk)
                    ballast.flush()
        if leave:
            size = self._ballast.stat().st_size
            os.truncate(self._ballast, max(size - leave, 0))

    def free(self) -> None:
        self._ballast.unlink(missing_ok=True)

    def read_only(self, on: bool = True) -> None:
        """Remount read-only (writes fail with EROFS, even for root), or writable again."""
        _mount("-o", f"remount,{'ro' if on else 'rw'}", str(self.path))


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _unavailable(reason: str) -> None:
    message = f"a small test file system cannot be mounted here ({reason}); run the tests as root"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def small_disk(path: Path, size_kb: int = 512) -> Iterator[SmallDisk]:
    """Mount a tmpfs of `size_kb` on `path` (created) for the duration of the block."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        _unavailable("not root")
    try:
        _mount("-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as error:
        _unavailable(str(getattr(error, "stderr", b"") or error).strip())
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 512 KB file system of the test's own (see `small_disk`)."""
    with small_disk(tmp_path / "small-disk") as mounted:
        yield mounted

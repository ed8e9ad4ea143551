"""Write a file under a temporary name and move it into place only when complete.

The folder is checked before any work (it exists or can be made, and takes a byte), and
again before the file is moved into place, by its identity: a folder deleted, or a drive
unplugged, meanwhile is noticed rather than written into anew. The operating system's
refusals (a full disk, a read-only folder, a vanished drive) become `FolderError`s.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from connect_desktop.reports.errors import (
    FolderError,
    FolderFullError,
    FolderGoneError,
    FolderReadOnlyError,
    FolderWriteError,
    ReportError,
    ReportExistsError,
)

FolderStamp = tuple[int, int]
"""A folder's identity (device, inode): another folder at the same path has another."""


def _codes(*names: str) -> frozenset[int]:
    return frozenset(getattr(errno, name) for name in names if hasattr(errno, name))


FULL = _codes("ENOSPC", "EDQUOT")
READ_ONLY = _codes("EROFS", "EACCES", "EPERM")
GONE = _codes("ENOENT", "EIO", "ENODEV", "ENXIO", "ESTALE")


def prepare_folder(folder: Path) -> FolderStamp:
    """Create `folder` if needed and check that it takes a file, before any work is done.

    Returns its identity for `atomic_path`. Raises a `FolderError`.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".~connect.", suffix=".part")
        try:
            os.write(fd, b"\0")  # a full disk may still make an empty file, but refuses a byte
        finally:
            os.close(fd)
            Path(name).unlink()
        return _stamp(folder)
    except OSError as error:
        raise folder_problem(error, folder) from error


def folder_problem(error: OSError, folder: Path, stamp: FolderStamp | None = None) -> FolderError:
    """The plain-language form of an error writing into `folder` (identity `stamp`, if known)."""
    if error.errno in FULL:
        return FolderFullError(folder)
    if error.errno in GONE or (stamp is not None and not same_folder(folder, stamp)):
        return FolderGoneError(folder)
    if error.errno in READ_ONLY:
        return FolderReadOnlyError(folder)
    return FolderWriteError(folder, error.strerror or str(error))


def same_folder(folder: Path, stamp: FolderStamp) -> bool:
    """Whether `folder` is still the folder whose identity is `stamp`."""
    try:
        return _stamp(folder) == stamp
    except OSError:
        return False


def _stamp(folder: Path) -> FolderStamp:
    info = folder.stat()
    return info.st_dev, info.st_ino


@contextlib.contextmanager
def atomic_path(dest: Path, *, overwrite: bool = False, stamp: FolderStamp | None = None) -> Iterator[Path]:
    """Yield a temporary path next to `dest`; on success move it to `dest`.

    The temporary file is removed if the block raises (including on cancellation),
    so `dest` is either the complete file or untouched. Without `overwrite`, an
    existing `dest` raises `ReportExistsError`, both before writing and at the end
    (another program may have created it meanwhile). `stamp` is the folder's identity
    from `prepare_folder` (by default taken now). OS errors raised in the block, or
    while moving the file into place, become `FolderError`s.
    """
    folder = dest.parent
    if not overwrite and dest.exists():
        raise ReportExistsError(dest)
    if stamp is None:
        stamp = prepare_folder(folder)
    elif not same_folder(folder, stamp):
        raise FolderGoneError(folder)
    try:
        dir_fd = _open_folder(folder)
    except OSError as error:
        raise folder_problem(error, folder, stamp) from error
    try:
        yield from _write_in(folder, dest, stamp, dir_fd, overwrite=overwrite)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def _write_in(
    folder: Path, dest: Path, stamp: FolderStamp, dir_fd: int | None, *, overwrite: bool
) -> Iterator[Path]:
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".~{dest.stem[:40]}.", suffix=".part")
        os.close(fd)
    except OSError as error:
        raise folder_problem(error, folder, stamp) from error
    tmp = Path(name)
    try:
        yield tmp
        _flush_to_disk(tmp)
        if not same_folder(folder, stamp):
            raise FolderGoneError(folder)
        _move_into_place(tmp, dest, overwrite=overwrite)
    except BaseException as exc:
        _remove(tmp, dir_fd)
        if isinstance(exc, OSError) and not isinstance(exc, ReportError) and exc.errno is not None:
            raise folder_problem(exc, folder, stamp) from exc
        raise


def _open_folder(folder: Path) -> int | None:
    """A handle on the folder itself, where the system can remove files through one (not Windows)."""
    if os.unlink not in os.supports_dir_fd:
        return None
    return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _remove(tmp: Path, dir_fd: int | None) -> None:
    """Remove the temporary file, through the folder's handle if there is one: that still
    reaches a folder whose drive was unmounted meanwhile, so nothing is left on the drive.
    Also by its path, where a writer may have made it anew once the drive had gone."""
    if dir_fd is not None:
        with contextlib.suppress(OSError):  # a read-only folder, or a drive that is really gone
            os.unlink(tmp.name, dir_fd=dir_fd)
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _flush_to_disk(path: Path) -> None:
    """Make the operating system write the file out now (a stick pulled after "saved" keeps it,
    and a disk that is full only on flushing says so here)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_into_place(tmp: Path, dest: Path, *, overwrite: bool) -> None:
    if overwrite:
        tmp.replace(dest)
        return
    try:
        os.link(tmp, dest)  # fails if dest exists: no silent overwrite, even in a race
    except FileExistsError:
        raise ReportExistsError(dest) from None
    except OSError:  # file system without hard links
        if dest.exists():
            raise ReportExistsError(dest) from None
        tmp.replace(dest)
        return
    tmp.unlink()

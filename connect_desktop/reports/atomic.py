"""Write a file under a temporary name and move it into place only when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from connect_desktop.reports.errors import ReportExistsError


@contextlib.contextmanager
def atomic_path(dest: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `dest`; on success move it to `dest`.

    The temporary file is removed if the block raises (including on cancellation),
    so `dest` is either the complete file or untouched. Without `overwrite`, an
    existing `dest` raises `ReportExistsError`, both before writing and at the end
    (another program may have created it meanwhile).
    """
    if not overwrite and dest.exists():
        raise ReportExistsError(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".~{dest.stem[:40]}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _move_into_place(tmp, dest, overwrite=overwrite)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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

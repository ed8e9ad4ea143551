"""Where file dialogs open: never in a folder that holds databases (the cache's, the demo server's).

A dialog browsing such a folder may open and close the database files to sniff them, and
any open and close of a database file by other means than SQLite drops this process's
SQLite locks on it (see tests/desktop/test_lock_hazard.py). The user may still go there;
the defaults never do.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from connect_desktop.store.paths import data_dir

_protected: list[Path] = []
_default: list[Path] = []


def use_demo(exports: Path | None, server_folder: Path) -> None:
    """The demo: dialogs start in its exports folder and never in the server's data folder."""
    _protected.append(server_folder)
    if exports is not None:
        _default.insert(0, exports)


def reset() -> None:
    """Forget the demo's folders (tests)."""
    _protected.clear()
    _default.clear()


def data_folders() -> list[Path]:
    """Folders holding databases this app (or its demo server) has open."""
    return [data_dir(), *_protected]


def in_data_folder(path: Path) -> bool:
    folder = path.expanduser().resolve()
    return any(folder.is_relative_to(data.resolve()) for data in data_folders())


def start_dir(suggested: Path | str | None = None, *, file_name: str = "") -> str:
    """A dialog's start: `suggested` (a folder or a file) unless it is in a data folder, else
    the demo's exports, Documents or home (with `file_name` appended, for a save dialog)."""
    candidates: list[Path] = []
    if suggested is not None and str(suggested).strip():
        candidates.append(Path(suggested).expanduser())
    candidates += [*_default, Path(platformdirs.user_documents_dir()), Path.home()]
    for candidate in candidates:
        folder = candidate.parent if candidate.is_file() else candidate
        if folder.is_dir() and not in_data_folder(folder):
            start = candidate if candidate.is_file() else folder
            return str(start / file_name) if file_name and start.is_dir() else str(start)
    outside = next((p for p in Path.home().resolve().parents if not in_data_folder(p)), Path.home())
    return str(outside / file_name) if file_name else str(outside)

"""Errors a report export can end with; each carries a message fit for the user."""

from __future__ import annotations

from pathlib import Path

from connect_desktop.errors import KnownError


class ReportError(KnownError):
    """A report could not be written for a reason the user can act on; the message says which."""

    title = "Report not saved"


class ReportExistsError(ReportError, FileExistsError):
    """The target file exists and the caller did not ask to overwrite it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name} already exists in {path.parent}. Choose another folder or replace it.")
        self.path = path


class UnknownReportError(ReportError, KeyError):
    """No report has that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"There is no report called {name!r}. Reports: {', '.join(known)}.")
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


class Cancelled(ReportError):  # noqa: N818 - the name the UI and brief use
    """The user cancelled the export; nothing was written."""

    title = "Report cancelled"

    def __init__(self) -> None:
        super().__init__("The report was cancelled; no file was written.")


class FolderError(ReportError):
    """The target folder could not take the file; nothing half-written is left in it."""

    def __init__(self, folder: Path, message: str) -> None:
        super().__init__(message)
        self.folder = folder


class FolderFullError(FolderError):
    """The disk holding the target folder ran out of space (or of the user's quota)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            folder,
            f"The folder {folder} is full: free some space or choose another folder. No file was written.",
        )


class FolderReadOnlyError(FolderError):
    """The target folder is read-only (a locked share, a write-protected stick) or not ours."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            folder,
            f"The folder {folder} cannot be written to (it is read-only, or you may not change it): "
            "choose another folder. No file was written.",
        )


class FolderGoneError(FolderError):
    """The target folder was removed, or its drive unplugged, while reports were written."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            folder,
            f"The folder {folder} is no longer there (it was deleted, or its drive was removed): "
            "reconnect it or choose another folder, then try again. The report being written was not saved.",
        )


class FolderWriteError(FolderError):
    """Any other refusal of the operating system to write into the target folder."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(
            folder,
            f"Could not write into the folder {folder} ({reason}): check the folder or choose another one. "
            "No file was written.",
        )


class TempSpaceError(ReportError):
    """The temporary files a workbook is built in could not be written (usually: that disk is full)."""

    def __init__(self, folder: Path, reason: str | None = None) -> None:
        problem = f"could not be written ({reason})" if reason else "has no space left"
        super().__init__(
            f"The folder for temporary files, {folder}, {problem}: free some space on that disk, "
            "then try again. No file was written."
        )
        self.folder = folder

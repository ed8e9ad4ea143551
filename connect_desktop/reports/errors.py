"""Errors a report export can end with; each carries a message fit for the user."""

from __future__ import annotations

from pathlib import Path


class ReportError(Exception):
    """A report could not be written for a reason the user can act on."""


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

    def __init__(self) -> None:
        super().__init__("The report was cancelled; no file was written.")

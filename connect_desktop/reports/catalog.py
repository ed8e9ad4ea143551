"""The reports a user can download, keyed by their command-line names."""

from __future__ import annotations

from dataclasses import dataclass

from connect_desktop.reports import sheets
from connect_desktop.reports.sheets import SheetSpec
from connect_desktop.reports.sync_history import SyncRunsSheet


@dataclass(frozen=True)
class ReportSpec:
    """One downloadable workbook."""

    name: str
    """Command-line name, e.g. "students"."""
    title: str
    """Report name in file names and title rows, e.g. "Students"."""
    description: str
    sheets: tuple[SheetSpec, ...]
    summary: bool = False
    """Start with a Summary sheet (counts and a chart)."""


_ALL_SHEETS: tuple[SheetSpec, ...] = (
    sheets.STAFF,
    sheets.STUDENTS,
    sheets.FAMILIES,
    sheets.CLASSROOMS,
    sheets.ROSTERS,
    sheets.MESSAGES_BY_STAFF,
    sheets.MESSAGES_BY_CLASSROOM,
    SyncRunsSheet(),
    sheets.CHANGES,
    sheets.DISMISSALS,
)

REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec("staff", "Staff and access", "Staff, roles, schools, access, classrooms taught.",
                   (sheets.STAFF,)),
        ReportSpec("students", "Students", "Students with grade, school, status and family contacts.",
                   (sheets.STUDENTS,)),
        ReportSpec("families", "Families", "Family contacts, linked students, who cannot be reached.",
                   (sheets.FAMILIES,)),
        ReportSpec("classrooms", "Classrooms and rosters", "Classrooms with teachers, and every roster.",
                   (sheets.CLASSROOMS, sheets.ROSTERS)),
        ReportSpec("messages", "Message activity", "Messages sent per staff member and classroom per month.",
                   (sheets.MESSAGES_BY_STAFF, sheets.MESSAGES_BY_CLASSROOM)),
        ReportSpec("sync-history", "Sync history", "Every SIS sync run with its counts per type.",
                   (SyncRunsSheet(),)),
        ReportSpec("changes", "Year-end changes",
                   "Every staged year-end change and what the server said; pairs marked not the same child.",
                   (sheets.CHANGES, sheets.DISMISSALS)),
        ReportSpec("archive", "Year-end archive", "All of the above in one workbook, with a summary.",
                   _ALL_SHEETS, summary=True),
    )
}  # fmt: skip
"""Every report, in the order they are offered."""

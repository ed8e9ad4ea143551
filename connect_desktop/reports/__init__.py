"""XLSX reports, streamed from the cache.

`export_report(engine, "students", folder)` writes one workbook and returns its path;
`export_all(engine, folder)` writes every report in `REPORTS` from one snapshot.
Progress goes through a `Progress` object, cancellation through a `CancelToken`
(a `threading.Event` will do); errors the user can act on are `ReportError`s.
"""

from connect_desktop.reports.catalog import REPORTS, ReportSpec
from connect_desktop.reports.errors import Cancelled, ReportError, ReportExistsError, UnknownReportError
from connect_desktop.reports.export import export_all, export_report, report_filename
from connect_desktop.reports.progress import CancelToken, Progress

__all__ = [
    "REPORTS",
    "CancelToken",
    "Cancelled",
    "Progress",
    "ReportError",
    "ReportExistsError",
    "ReportSpec",
    "UnknownReportError",
    "export_all",
    "export_report",
    "report_filename",
]

"""XLSX reports, streamed from the cache.

`export_report(cache, "students", folder)` writes one workbook and returns its path;
`ReportBatch(cache, folder, names)` writes several from one snapshot, with a policy for
files already there (`Policy`) and one `FileResult` each; `export_all` is its all-or-nothing
form. Progress goes through a `Progress` object, cancellation through a `CancelToken` (a
`threading.Event` will do); errors the user can act on are `ReportError`s.
"""

from connect_desktop.reports.batch import (
    FileResult,
    Outcome,
    Policy,
    ReportBatch,
    Target,
    export_all,
    export_report,
)
from connect_desktop.reports.catalog import REPORTS, ReportSpec
from connect_desktop.reports.errors import Cancelled, ReportError, ReportExistsError, UnknownReportError
from connect_desktop.reports.export import report_filename
from connect_desktop.reports.progress import CancelToken, Progress

__all__ = [
    "REPORTS",
    "CancelToken",
    "Cancelled",
    "FileResult",
    "Outcome",
    "Policy",
    "Progress",
    "ReportBatch",
    "ReportError",
    "ReportExistsError",
    "ReportSpec",
    "Target",
    "UnknownReportError",
    "export_all",
    "export_report",
    "report_filename",
]

"""Saving a streamed workbook so that a failure leaves nothing behind and says where.

openpyxl's write-only sheets spool to temporary files in `tempfile.gettempdir()`;
`spooling()` turns an error writing those into a `TempSpaceError` naming that folder.
`save_workbook` finishes the sheets first (still spooling), then writes the file: so an
OS error from it is the target folder's. openpyxl's own `save` leaves its zip writer
open when a write fails; collected later, that writer writes again into the closed file
and Python prints "ValueError: seek of closed file".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from connect_desktop.reports.atomic import FULL
from connect_desktop.reports.errors import ReportError, TempSpaceError


@contextlib.contextmanager
def spooling() -> Iterator[None]:
    """Within the block, OS errors are the temporary folder's: raise `TempSpaceError`."""
    try:
        yield
    except OSError as error:
        if isinstance(error, ReportError) or error.errno is None:
            raise
        reason = None if error.errno in FULL else (error.strerror or str(error))
        raise TempSpaceError(Path(tempfile.gettempdir()), reason) from error


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save the write-only workbook `wb` at `path` (once, like `wb.save`).

    On failure the partly written `path` is left for the caller to delete, with no
    writer still holding it; the sheets' temporary files stay for `discard_workbook`.
    """
    if not wb.worksheets:
        wb.create_sheet()
    with spooling():
        for ws in wb.worksheets:
            if not ws.closed:
                ws.close()
    wb.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with path.open("wb") as fh:
        archive = ZipFile(fh, "w", ZIP_DEFLATED, allowZip64=True)
        try:
            ExcelWriter(wb, archive).save()
        except BaseException:
            archive.fp = None  # abandoned: it must not write its directory when collected
            raise

"""The sheet writer: title rows, a frozen bold header, filters, widths, and splitting.

Rows stream into openpyxl write-only sheets. Column widths must be fixed before the
first row is written, so they are estimated from the header and the first chunk of
rows, counting East Asian wide characters double. A sheet that would pass Excel's row
limit continues on a new sheet named "Students (2)", "Students (3)", … with the title
rows and header repeated. Every sheet prints landscape, one page wide.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from connect_desktop.reports.cells import NUMBER_FORMATS, Converter, Kind, converter_for
from connect_desktop.reports.printing import print_settings, set_up_printing
from connect_desktop.reports.progress import Tracker

MAX_ROWS = 1_048_576
"""Excel's rows per sheet. Read at run time, so tests can set a small value."""

MAX_SHEET_NAME = 31
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
WIDTH_SAMPLE = 500

TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="555555")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F8FA6"))
HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, how values are written, an optional width."""

    header: str
    kind: Kind = Kind.TEXT
    width: float | None = None


def new_workbook() -> Workbook:
    """An empty streaming workbook."""
    return Workbook(write_only=True)


def discard_workbook(wb: Workbook) -> None:
    """Close the open sheet streams of an unsaved workbook and delete their temp files."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        rows = getattr(ws, "_rows", None)
        with contextlib.suppress(Exception):
            if rows is not None:
                rows.close()
        with contextlib.suppress(Exception):
            writer.close()
        if writer.out in ALL_TEMP_FILES:
            writer.cleanup()


def sheet_title(base: str, part: int) -> str:
    """Sheet name for part `part` (1-based) of `base`, within Excel's 31 characters."""
    suffix = "" if part == 1 else f" ({part})"
    return base[: MAX_SHEET_NAME - len(suffix)] + suffix


_WIDE = frozenset({"W", "F"})


def display_width(text: str) -> int:
    """Columns `text` takes on screen: wide and fullwidth (CJK) characters count two,
    combining marks none; the longest line of multi-line text."""
    if text.isascii():
        return max(map(len, text.split("\n"))) if "\n" in text else len(text)
    widest = 0
    for line in text.split("\n"):
        n = 0
        for ch in line:
            if unicodedata.east_asian_width(ch) in _WIDE:
                n += 2
            elif not unicodedata.combining(ch):
                n += 1
        widest = max(widest, n)
    return widest


def estimate_widths(columns: Sequence[Column], sample: Iterable[Sequence[Any]]) -> list[float]:
    """Column widths from the headers and a sample of raw rows, by display width."""
    widths = [float(max(display_width(c.header), 4)) for c in columns]
    for row in sample:
        for i, value in enumerate(row):
            if value is not None:
                n = display_width(value if isinstance(value, str) else str(value))
                if n > widths[i]:
                    widths[i] = float(n)
    out = []
    for column, width in zip(columns, widths, strict=True):
        if column.width is not None:
            out.append(column.width)
        elif column.kind in NUMBER_FORMATS:
            out.append(max(width, 17.0 if column.kind is Kind.DATETIME else 11.0))
        else:
            out.append(min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    return out


class SheetWriter:
    """Writes one logical sheet (possibly several Excel sheets) into a workbook."""

    def __init__(
        self,
        wb: Workbook,
        name: str,
        columns: Sequence[Column],
        title_lines: Sequence[str],
        *,
        max_rows: int | None = None,
    ) -> None:
        self.wb = wb
        self.name = name
        self.columns = tuple(columns)
        self.title_lines = tuple(title_lines)
        self.max_rows = MAX_ROWS if max_rows is None else max_rows
        self.header_row = len(self.title_lines) + 2  # titles, a blank row, the header
        if self.max_rows <= self.header_row:
            raise ValueError("row limit leaves no room for data")
        self.sheets: list[WriteOnlyWorksheet] = []
        self.part_rows: list[int] = []
        self.rows_written = 0
        self._widths: list[float] = []
        self._ws: WriteOnlyWorksheet | None = None
        self._row = 0
        self._convert: list[tuple[int, Converter]] = []

    # -- public -------------------------------------------------------------
    def write(self, chunks: Iterable[Sequence[Sequence[Any]]], tracker: Tracker) -> None:
        """Write all rows, given as chunks of raw tuples; report each chunk to `tracker`."""
        for chunk in chunks:
            if self._ws is None:
                self._start(chunk[:WIDTH_SAMPLE])
            self._write_chunk(chunk)
            tracker.advance(len(chunk))
        if self._ws is None:
            self._start([])
        self._finish_sheet()

    def parts(self) -> list[tuple[WriteOnlyWorksheet, int]]:
        """Each Excel sheet written, with its number of data rows."""
        return list(zip(self.sheets, self.part_rows, strict=True))

    # -- internals ----------------------------------------------------------
    def _start(self, sample: Sequence[Sequence[Any]]) -> None:
        self._widths = estimate_widths(self.columns, sample)
        self._open_sheet()

    def _open_sheet(self) -> None:
        ws = self.wb.create_sheet(sheet_title(self.name, len(self.sheets) + 1))
        for i, width in enumerate(self._widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = f"A{self.header_row + 1}"
        set_up_printing(ws, self.title_lines[0] if self.title_lines else self.name, self.header_row)
        for i, line in enumerate(self.title_lines):
            ws.append([title_cell(ws, line, TITLE_FONT if i == 0 else NOTE_FONT)])
        ws.append([])
        ws.append([header_cell(ws, c.header) for c in self.columns])
        self.sheets.append(ws)
        self.part_rows.append(0)
        self._ws = ws
        self._row = self.header_row
        self._convert = [
            (i, converter_for(c.kind, ws)) for i, c in enumerate(self.columns) if c.kind is not Kind.INT
        ]

    def _finish_sheet(self) -> None:
        assert self._ws is not None
        last_col = get_column_letter(len(self.columns))
        print_settings(self._ws).auto_filter.ref = f"A{self.header_row}:{last_col}{self._row}"

    def _write_chunk(self, chunk: Sequence[Sequence[Any]]) -> None:
        convert = self._convert
        start = 0
        while start < len(chunk):
            room = self.max_rows - self._row
            if room == 0:
                self._finish_sheet()
                self._open_sheet()
                continue
            part = chunk[start : start + room]
            assert self._ws is not None
            append = self._ws.append
            for raw in part:
                row = list(raw)
                for i, fn in convert:
                    row[i] = fn(row[i])
                append(row)
            self._row += len(part)
            self.part_rows[-1] += len(part)
            self.rows_written += len(part)
            start += len(part)


def title_cell(ws: WriteOnlyWorksheet, text: str, font: Font) -> Cell:
    """A title-row cell: always text, in `font`."""
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"
    cell.font = font
    return cell


def header_cell(ws: WriteOnlyWorksheet, text: str) -> Cell:
    """A bold, shaded column-header cell."""
    cell = WriteOnlyCell(ws, value=text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = HEADER_BORDER
    cell.alignment = HEADER_ALIGN
    return cell

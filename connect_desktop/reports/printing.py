"""Print set-up for report sheets: landscape, one page wide, header repeated, footer.

Everything here must be set before a write-only sheet's first row is appended:
openpyxl writes `sheetPr` (where fit-to-page lives) with the first row, and the page
set-up, margins and footer when the workbook is saved.
"""

from __future__ import annotations

from typing import cast

from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.25, footer=0.3)
"""Inches; narrow sides leave room for wide sheets, the bottom for the footer."""
PAGE_NUMBER = "Page &P of &N"
MAX_FOOTER_TITLE = 120  # Excel refuses header/footer text over 255 characters


def set_up_printing(sheet: WriteOnlyWorksheet, title: str, header_row: int | None = None) -> None:
    """Landscape, fitted to one page wide (as many pages tall as needed), with
    `header_row` repeated on every page and `title` and the page number in the footer."""
    ws = print_settings(sheet)
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = MARGINS
    ws.print_options.gridLines = True
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    footer = cast(HeaderFooterItem, ws.oddFooter)  # openpyxl makes it with every sheet
    footer.left.text = footer_text(title)
    footer.right.text = PAGE_NUMBER


def print_settings(sheet: WriteOnlyWorksheet) -> Worksheet:
    """`sheet` typed as the Worksheet it acts as for print settings, filters and charts.

    A write-only sheet borrows these attributes from `Worksheet` at run time; the type
    stubs leave them out.
    """
    return cast(Worksheet, sheet)


def footer_text(text: str) -> str:
    """`text` safe in a footer: shortened, one line, "&" not read as a field code."""
    line = " ".join(text.split())
    if len(line) > MAX_FOOTER_TITLE:
        line = line[: MAX_FOOTER_TITLE - 1] + "…"
    return line.replace("&", "&&")

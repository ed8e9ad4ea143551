"""Turning cache values into cell values: real dates, text that stays text.

A string that Excel (or openpyxl) would read as something else is written as an
explicit string cell: openpyxl turns any str starting with "=" into a formula and
error codes such as "#N/A" into errors, and Excel acts on text starting with "+",
"-", "@", a tab or a carriage return when it is edited or re-exported. Such cells
get `data_type = "s"` (an inline string, never an `<f>` element) and the quote-prefix
style, so Excel shows them as typed and keeps them text when someone edits the cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MAX_CELL_TEXT = 32_767
RISKY_FIRST = frozenset("=+-@\t\r")
_ERRORS = frozenset(ERROR_CODES)


class Kind(Enum):
    """How a column's values are written."""

    TEXT = "text"
    ID = "id"  # identifiers, student numbers: always text, leading zeros kept
    DATE = "date"
    DATETIME = "datetime"
    MONTH = "month"  # a date shown as "Jun 2026"
    INT = "int"
    FLAG = "flag"  # 1/0 in SQL, "Yes"/"" in the sheet


NUMBER_FORMATS: dict[Kind, str] = {
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd h:mm:ss",
    Kind.MONTH: "mmm yyyy",
}
"""Date formats. Dates and datetimes use openpyxl's own defaults, so they are passed as
plain values (a styled cell per value costs an exception inside openpyxl's append)."""
_PLAIN_DATES = frozenset({Kind.DATE, Kind.DATETIME})


Converter = Callable[[Any], Any]


def text_converter(ws: WriteOnlyWorksheet) -> Converter:
    """Converter for text: strips characters XML cannot hold, guards formula-like text."""

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            value = str(value)
        if not value:
            return None
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[0] in RISKY_FIRST or value in _ERRORS:
            return literal_text(ws, value)
        return value

    return convert


def literal_text(ws: WriteOnlyWorksheet, value: str) -> Cell:
    """A cell that holds `value` as text whatever it looks like."""
    cell = WriteOnlyCell(ws, value=None)
    cell._value = value[:MAX_CELL_TEXT]  # type: ignore[attr-defined]  # the value setter would read it as a formula
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def date_converter(ws: WriteOnlyWorksheet, kind: Kind) -> Converter:
    """Converter for ISO date/datetime strings from SQLite into formatted Excel dates."""
    number_format = NUMBER_FORMATS[kind]
    plain = kind in _PLAIN_DATES
    parse: Callable[[str], Any] = (
        dt.datetime.fromisoformat if kind is Kind.DATETIME else dt.date.fromisoformat
    )

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = parse(value)
            except ValueError:
                return text_converter(ws)(value)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if plain:
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell

    return convert


def int_converter(value: Any) -> Any:
    return value


def flag_converter(value: Any) -> Any:
    return "Yes" if value else None


def converter_for(kind: Kind, ws: WriteOnlyWorksheet) -> Converter:
    """The converter for one column of `kind`, bound to a sheet of the workbook."""
    if kind in (Kind.TEXT, Kind.ID):
        return text_converter(ws)
    if kind in NUMBER_FORMATS:
        return date_converter(ws, kind)
    if kind is Kind.FLAG:
        return flag_converter
    return int_converter

"""Rows counted against the header, so that every value is read in its own column.

More values than the header: a value holding a comma lost its quotes (`Wayne, Jr.`), and
every later value slid one column right. That is an error even when the extra value is
empty, since that is exactly what the slide looks like when the last column is empty. The
one exception is a file that ends its rows with a comma, and the first row that settles
the question decides it: a row of the header's width says "no trailing comma"; a row with
one extra, empty value says "trailing comma" (one warning for the file), unless one of
its values starts with a space, which is how a split value looks. Such a row, or a row of
any other width, settles nothing: it is held back (at most `_UNDECIDED` rows) until a
later row decides, so that one broken first row cannot pass for the file's style. In a
trailing-comma file a row may have the header's width, or one more value if that one is
empty; anything longer is an error.

Fewer values than the header: a line break inside an unquoted value cuts a row in two.
A short row that lacks a required value is an error. Two short rows in a row that add up
to exactly one row (the cut value counted twice) are one row cut in two: both are errors,
the message says so, and the second is not read as a row of its own. A short row whose
missing values are all optional and that pairs with no other is a writer that leaves out
trailing empty values: they are read as empty, with a warning, since nothing is lost
(missing values of the header's unnamed columns pass silently: the header's own warning
covers them). Should it be the first half of a cut row after all, the second half
usually lacks a required value and is an error.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from enum import Enum

from connect_desktop.rostering.diagnostics import Diagnostics

_LINE_BREAK = (
    "{count} rows have fewer values than the header: a line break inside a value needs the value in quotes"
)
_UNDECIDED = 50
"""Rows held back at most while the file's trailing-comma style is undecided."""


class Fit(Enum):
    OK = "ok"  # the values are in their columns
    BAD = "bad"  # a reported row whose values cannot be placed in columns
    FRAGMENT = "fragment"  # the rest of the row before it (reported): it has no sourcedId of its own


def counted(n: int, noun: str) -> str:
    """`1 value`, `2 values`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _quote(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


class _Widths:
    def __init__(self, header: list[str], required: Collection[int], diags: Diagnostics, file: str) -> None:
        self.header = header
        self.width = len(header)
        self.required = required
        self.diags = diags
        self.file = file
        self.trailing: bool | None = None  # the file ends rows with a comma (None: undecided)

    def column(self, i: int) -> str:
        name = self.header[i].strip() if i < self.width else ""
        return name or f"#{i + 1}"

    def _error(self, code: str, row: int, message: str, hint: str, column: str | None, group: str) -> None:
        self.diags.error(
            code,
            message,
            hint,
            file=self.file,
            row=row,
            column=column,
            group=group,
        )

    # -- longer rows -------------------------------------------------------------
    def decides(self, values: list[str]) -> bool | None:
        """What this row says about the trailing-comma style (None: nothing)."""
        n = len(values)
        if n == self.width:
            return False
        if n == self.width + 1 and not values[-1].strip() and _split(values) is None:
            return True
        return None

    def fits(self, values: list[str]) -> bool:
        n = len(values)
        return n == self.width or (bool(self.trailing) and n == self.width + 1 and not values[-1].strip())

    def too_many(self, row: int, values: list[str]) -> None:
        i = _split(values)
        header = f"the header has {self.width}" + (" (and a trailing comma)" if self.trailing else "")
        where = f" — here probably after {_quote(values[i - 1])} —" if i is not None else ""
        self._error(
            "too_many_values",
            row,
            f"The row has {counted(len(values), 'value')}; {header}: "
            f"a comma inside a value{where} needs the value in quotes.",
            f'Write it in double quotes: "{values[i - 1]},{values[i]}".'
            if i is not None
            else "Put every value that holds a comma in double quotes, or export the file with quoting on.",
            self.column(i - 1) if i is not None else None,
            "{count} rows have more values than the header: a comma inside a value needs the value in quotes",
        )

    # -- shorter rows ------------------------------------------------------------
    def pair(self, first: list[str], second: list[str]) -> bool:
        """Whether two short rows are one row cut by a line break (the cut value counts twice).

        Rows that merely leave out trailing empty values are rarely short by half the header
        each, so two rows adding up to exactly one are taken for one row cut in two.
        """
        joined = len(first) + len(second) - 1
        return joined == self.width or (bool(self.trailing) and joined == self.width + 1)

    def broken(self, row: int, values: list[str], continues: bool) -> None:
        n = len(values)
        last = self.column(n - 1)
        goes_on = f", which goes on in row {row + 1}" if continues else ""
        self._error(
            "too_few_values",
            row,
            f"The row has {counted(n, 'value')}; the header has {self.width}: a line break inside a value "
            f"needs the value in quotes — here probably in '{last}' after {_quote(values[-1])}{goes_on}.",
            "Put the value in double quotes, or remove the line break from it.",
            last,
            _LINE_BREAK,
        )

    def rest_of(self, row: int, values: list[str]) -> None:
        self._error(
            "too_few_values",
            row,
            f"This row ({counted(len(values), 'value')}) is probably the rest of row {row - 1}, "
            "cut in two by a line break inside a value.",
            "Put the value in double quotes, or remove the line break from it.",
            None,
            _LINE_BREAK,
        )

    def short(self, row: int, values: list[str]) -> Fit:
        """A short row that does not pair with the next one: harmless unless a required value is missing."""
        n = len(values)
        if any(i >= n for i in self.required):
            self.broken(row, values, continues=False)
            return Fit.BAD
        missing = [self.header[i].strip() for i in range(n, self.width) if self.header[i].strip()]
        if not missing:
            return Fit.OK  # only the header's unnamed columns (reported with the header)
        named = ", ".join(f"'{c}'" for c in missing[:3])
        named += f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        self.diags.warning(
            "short_row",
            f"The row has {counted(n, 'value')}; the header has {self.width}: {named} "
            f"{'was' if len(missing) == 1 else 'were'} read as empty.",
            "Write every column on every row, even an empty one (a comma each).",
            file=self.file,
            row=row,
            group="{count} rows have fewer values than the header: their last columns were read as empty",
        )
        return Fit.OK


def _split(values: list[str]) -> int | None:
    """The index of the first value (after the first) that starts with a space: where a value was split."""
    return next((i for i in range(1, len(values)) if values[i][:1].isspace()), None)


def fitted(
    rows: Iterator[tuple[int, list[str]]],
    header: list[str],
    required: Collection[int],
    diags: Diagnostics,
    file: str,
) -> Iterator[tuple[int, list[str], Fit]]:
    """Each row with its `Fit`, width problems reported (see the module's rule)."""
    w = _Widths(header, required, diags, file)
    width = w.width
    held: list[tuple[int, list[str]]] = []  # rows read while the style is undecided
    short: tuple[int, list[str]] | None = None  # a short row, judged once the next row is seen

    def judge(row: int, values: list[str]) -> Iterator[tuple[int, list[str], Fit]]:
        nonlocal short
        if short is not None:
            first_row, first = short
            short = None
            if len(values) < width and w.pair(first, values):
                w.broken(first_row, first, continues=True)
                w.rest_of(row, values)
                yield first_row, first, Fit.BAD
                yield row, values, Fit.FRAGMENT
                return
            yield first_row, first, w.short(first_row, first)
        if w.fits(values):
            yield row, values, Fit.OK
        elif len(values) < width:
            short = (row, values)
        else:
            w.too_many(row, values)
            yield row, values, Fit.BAD

    def settle(style: bool, at: int) -> None:
        w.trailing = style
        if style:
            diags.warning(
                "trailing_comma",
                "Rows of this file end with a comma, this one first; the empty value after it was ignored.",
                "Nothing to fix: the values are read in their columns (an export without it is cleaner).",
                file=file,
                row=at,
            )

    for row, values in rows:
        if len(values) == width and short is None and w.trailing is not None:
            yield row, values, Fit.OK  # the common case
            continue
        if w.trailing is None:
            style = w.decides(values)
            if style is None and len(held) < _UNDECIDED:
                held.append((row, values))
                continue
            settle(bool(style), row)
            for early in held:
                yield from judge(*early)
            held.clear()
        yield from judge(row, values)
    if w.trailing is None:
        settle(False, 0)
    for early in held:
        yield from judge(*early)
    if short is not None:
        yield short[0], short[1], w.short(*short)

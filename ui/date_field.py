"""Date fields a person can type into: free text in their own format (or ISO), a calendar
button that opens on the date shown (today when there is none), Tab that simply moves on,
and "no date" as its own check box, never a magic value at the start of a calendar.

Qt's QDateEdit edits day, month and year as separate sections, which garbles a date typed
in one go ("8/15/2026" became "08/20/1"); a line edit parsed on leaving does not.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, QLocale, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QTableView,
    QToolButton,
    QWidget,
)

_TWO_DIGIT_YEAR = re.compile(r"(?<!y)yy(?!y)")
_ISO = "yyyy-MM-dd"
_PADDED = re.compile(r"(?<!d)dd(?!d)|(?<!M)MM(?!M)")


_SEPARATORS = re.compile(r"[-./ ]+")


def _separator(form: str) -> str:
    return next((c for c in form if not c.isalnum()), "/")


def _loose(form: str) -> str:
    """ "dd.MM.yyyy" -> "d.M.yyyy": one or two digits are both read."""
    return _PADDED.sub(lambda found: found.group()[0], form)


def user_date_format(locale: QLocale | None = None) -> str:
    """The locale's short date format with four-digit years ("M/d/yy" -> "M/d/yyyy").

    A two-digit year is ambiguous in a field that also holds dates of past school years.
    """
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:  # no locale set (LANG=C): Qt's "d MM yyyy" reads as noise
        return _ISO
    return _TWO_DIGIT_YEAR.sub("yyyy", locale.dateFormat(QLocale.FormatType.ShortFormat))


def format_date(day: dt.date, locale: QLocale | None = None) -> str:
    locale = locale or QLocale()
    return locale.toString(to_qdate(day), user_date_format(locale))


def parse_date(text: str, locale: QLocale | None = None) -> dt.date | None:
    """A date typed in the user's format (one- or two-digit day and month, two- or
    four-digit year) or as 2026-06-22; None when it is not one."""
    text = text.strip()
    if not text:
        return None
    day = QDate.fromString(text, _ISO)
    if day.isValid():
        return from_qdate(day)
    locale = locale or QLocale()
    short = locale.dateFormat(QLocale.FormatType.ShortFormat)
    text = _SEPARATORS.sub(_separator(short), text)  # "7/1/2026" where the format is "d.M.yyyy"
    day = QDate.fromString(text, _loose(user_date_format(locale)))
    if day.isValid():
        return from_qdate(day)
    # Two-digit years: Qt counts them from 1900; a school's dates are this century.
    day = QDate.fromString(text, _loose(short))
    if day.isValid():
        return from_qdate(day.addYears(100) if day.year() < 2000 else day)
    return None


def to_qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def _show_every_week(calendar: QCalendarWidget) -> None:
    """Grow a popup calendar until its grid shows all six weeks (its size hint leaves out the
    style sheet's cell padding, so the last week was cut off)."""
    grid = calendar.findChild(QTableView)
    if grid is None:
        return
    calendar.ensurePolished()
    layout = calendar.layout()
    if layout is not None:
        layout.activate()
    missing = grid.verticalHeader().length() + 2 * grid.frameWidth() - grid.height()
    if missing > 0:
        calendar.resize(calendar.width(), calendar.height() + missing)


class DateField(QWidget):
    """A typed date with a calendar button.

    `day()` is the last good date; text that is not a date is marked and named by
    `problem()` (and `day()` keeps the date before it). `dateChanged` fires when a new
    good date is typed (on leaving the field or Enter) or picked.
    """

    dateChanged = Signal(object)  # noqa: N815 - a datetime.date, as Qt's own editors name it

    def __init__(self, name: str, day: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._day = day
        self._bad = False
        self.edit = QLineEdit()
        self.edit.setAccessibleName(name)
        self.edit.setPlaceholderText(f"e.g. {format_date(day)}")
        self.edit.setToolTip(f"Type a date like {format_date(day)}, or choose one from the calendar.")
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 16)
        self.pick = QToolButton()
        self.pick.setText("▾")
        self.pick.setAccessibleName(f"Choose the {name.lower()} date from a calendar")
        self.pick.setToolTip("Choose from a calendar")
        self.pick.clicked.connect(self.open_calendar)
        self.calendar: QCalendarWidget | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.pick)
        self.setFocusProxy(self.edit)
        self.edit.editingFinished.connect(self._typed)
        self.edit.setText(format_date(day))

    def day(self) -> dt.date:
        return self._day

    def set_day(self, day: dt.date) -> None:
        """Show `day` (no `dateChanged`: the program set it, the user did not)."""
        self._day = day
        self._bad = False
        self.edit.setText(format_date(day))
        self._mark()

    def problem(self) -> str | None:
        """What is wrong with the typed text, in words; None when it is a date."""
        if not self._bad:
            return None
        return (
            f"“{self.edit.text().strip()}” in {self._name} is not a date: "
            f"type one like {format_date(self._day)}, or choose it from the calendar."
        )

    def commit(self) -> None:
        """Read what is typed now (as leaving the field does)."""
        self._typed()

    def _typed(self) -> None:
        found = parse_date(self.edit.text())
        self._bad = found is None
        self._mark()
        if found is None:
            return
        self.edit.setText(format_date(found))
        if found != self._day:
            self._day = found
            self.dateChanged.emit(found)

    def _mark(self) -> None:
        self.edit.setProperty("invalid", self._bad)
        self.edit.setStyleSheet("QLineEdit { border: 2px solid #b3261e; }" if self._bad else "")
        self.edit.setAccessibleDescription(self.problem() or "")

    def open_calendar(self) -> None:
        """A calendar under the field, on the date shown; a click (or Enter) picks a day."""
        calendar = QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.setAccessibleName(f"{self._name}: calendar")
        calendar.setGridVisible(True)
        calendar.setSelectedDate(to_qdate(self._day))
        calendar.activated.connect(lambda day: self._picked(calendar, day))
        calendar.clicked.connect(lambda day: self._picked(calendar, day))
        calendar.adjustSize()
        _show_every_week(calendar)
        below = self.mapToGlobal(QPoint(0, self.height()))
        screen = self.screen().availableGeometry()
        fits_below = below.y() + calendar.height() <= screen.bottom()
        top = below.y() if fits_below else below.y() - self.height() - calendar.height()
        calendar.move(min(below.x(), screen.right() - calendar.width()), top)
        self.calendar = calendar
        calendar.show()
        calendar.setFocus()

    def _picked(self, calendar: QCalendarWidget, day: QDate) -> None:
        calendar.close()
        self.calendar = None
        self.edit.setText(format_date(from_qdate(day)))
        self._typed()
        self.edit.setFocus()


class OptionalDate(QWidget):
    """A date that may be left out: a check box ("From", "Until") turns the date field on.

    Unticked, the field is empty, disabled and reads "No date"; ticked, it starts on
    `today` (or the date it had), so its calendar opens there.
    """

    changed = Signal()

    def __init__(self, text: str, name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.use = QCheckBox(text)
        self.use.setAccessibleName(f"{name}: set a date")
        self.field = DateField(name, today)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(self.use)
        layout.addWidget(self.field, 1)
        self.setFocusProxy(self.use)
        self.use.toggled.connect(self._toggled)
        self.field.dateChanged.connect(lambda _day: self.changed.emit())
        self._toggled(False)

    def _toggled(self, on: bool) -> None:
        self.field.setEnabled(on)
        if on:
            self.field.set_day(self.field.day())
        else:
            self.field.edit.clear()
            self.field.edit.setPlaceholderText("No date")
        self.changed.emit()

    def value(self) -> dt.date | None:
        if not self.use.isChecked():
            return None
        self.field.commit()
        return self.field.day()

    def problem(self) -> str | None:
        if not self.use.isChecked():
            return None
        self.field.commit()
        return self.field.problem()

    def set_value(self, value: dt.date | None) -> None:
        if value is not None:
            self.field.set_day(value)
        self.use.setChecked(value is not None)
        self._toggled(value is not None)

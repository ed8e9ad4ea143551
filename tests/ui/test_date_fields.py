"""Dates a person can enter: typed in their own format, from a calendar that opens on today,
with "no date" as its own check box and Tab that moves on (the pause dates could not be typed:
"No date20260622", a calendar on January 2000, Tab trapped in the field)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QPushButton, QTableView, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ui.app import load_style_sheet
from ui.date_field import DateField, OptionalDate, format_date, parse_date, user_date_format

TODAY = dt.date(2026, 6, 20)
POPUP_NOISE = r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)"
"""What the offscreen platform says of any popup (the calendar): it has no window manager."""
US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)
BRITISH = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


@pytest.fixture(autouse=True)
def _app_style(qapp: QApplication) -> Iterator[None]:
    """The app's own style sheet: its cell padding is what cut the calendar's last week off."""
    before = qapp.styleSheet()
    qapp.setStyleSheet(load_style_sheet())
    yield
    qapp.setStyleSheet(before)


@pytest.fixture
def us_english() -> Iterator[None]:
    before = QLocale()
    QLocale.setDefault(US)
    yield
    QLocale.setDefault(before)


FORMS: list[QWidget] = []
"""Held until the test's end: pytest-qt keeps only a weak reference."""


@pytest.fixture(autouse=True)
def _forms() -> Iterator[None]:
    yield
    FORMS.clear()


def in_a_form(qtbot: QtBot, field: QWidget) -> QPushButton:
    form = QWidget()
    FORMS.append(form)
    layout = QVBoxLayout(form)
    layout.addWidget(field)
    after = QPushButton("Next control")
    layout.addWidget(after)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return after


def type_into(qtbot: QtBot, field: DateField, text: str) -> None:
    """Select what is there and type over it, then leave the field, as a person does."""
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, text)
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)


def test_dates_are_read_in_the_users_format_with_any_year_or_as_iso() -> None:
    assert user_date_format(US) == "M/d/yyyy" and user_date_format(GERMAN) == "dd.MM.yyyy"
    assert user_date_format(BRITISH) == "dd/MM/yyyy"
    august = dt.date(2026, 8, 15)
    for typed in ("8/15/2026", "08/15/2026", "8/15/26", "2026-08-15"):
        assert parse_date(typed, US) == august, typed
    assert parse_date("15.08.2026", GERMAN) == august and parse_date("15.8.26", GERMAN) == august
    assert parse_date("15/08/2026", BRITISH) == august
    assert parse_date("15/8/2026", GERMAN) == august  # any of / . - as the separator, in the user's order
    for wrong in ("15/8/2026", "13/45/2026", "next week", "No date20260622"):
        assert parse_date(wrong, US) is None, wrong
    # no locale at all (LANG=C): ISO dates, not Qt's "15 08 2026"
    bare = QLocale.c()
    assert format_date(august, bare) == "2026-08-15" and parse_date("2026-08-15", bare) == august


@pytest.mark.qt_log_ignore(POPUP_NOISE)
def test_a_no_date_field_cannot_be_typed_into_and_ticking_it_starts_on_today(
    qtbot: QtBot, us_english: None
) -> None:
    until = OptionalDate("U&ntil", "Pause until", TODAY)
    in_a_form(qtbot, until)
    assert until.value() is None and not until.field.isEnabled()
    assert until.field.edit.text() == "" and until.field.edit.placeholderText() == "No date"

    until.use.click()
    assert until.field.isEnabled() and until.value() == TODAY
    assert until.field.edit.text() == "6/20/2026"
    until.field.pick.click()  # the calendar opens on the date shown: today
    calendar = until.field.calendar
    assert calendar is not None and calendar.isVisible()
    assert calendar.selectedDate().toPython() == TODAY
    grid = calendar.findChild(QTableView)
    assert grid is not None and grid.height() >= grid.verticalHeader().length()  # all six weeks
    days = calendar.findChild(QTableView)  # the grid of days, which has the keyboard focus
    qtbot.keyClick(days, Qt.Key.Key_Right)  # a day later, picked with Enter
    qtbot.keyClick(days, Qt.Key.Key_Return)
    assert until.value() == dt.date(2026, 6, 21) and until.field.calendar is None

    type_into(qtbot, until.field, "8/15/2026")
    assert until.value() == dt.date(2026, 8, 15) and until.problem() is None
    until.use.click()  # no date again: the check box, not a value at the calendar's start
    assert until.value() is None and until.field.edit.text() == ""
    until.use.click()
    assert until.value() == dt.date(2026, 8, 15)  # the date typed comes back


def test_text_that_is_not_a_date_is_named_and_changes_nothing(qtbot: QtBot, us_english: None) -> None:
    field = DateField("Not signed in since", TODAY)
    in_a_form(qtbot, field)
    changed: list[dt.date] = []
    field.dateChanged.connect(changed.append)
    type_into(qtbot, field, "13/45/2026")
    assert field.day() == TODAY and changed == []
    problem = field.problem()
    assert problem is not None and "“13/45/2026” in Not signed in since is not a date" in problem
    assert "like 6/20/2026" in problem
    type_into(qtbot, field, "9/1/25")
    assert field.day() == dt.date(2025, 9, 1) and changed == [dt.date(2025, 9, 1)]
    assert field.problem() is None and field.edit.text() == "9/1/2025"


def test_tab_goes_from_the_date_to_its_calendar_button_and_on(qtbot: QtBot, us_english: None) -> None:
    field = DateField("Not signed in since", TODAY)
    after = in_a_form(qtbot, field)
    field.edit.setFocus()
    qtbot.waitUntil(field.edit.hasFocus)
    qtbot.keyClick(field.edit, Qt.Key.Key_Tab)
    qtbot.waitUntil(field.pick.hasFocus)
    qtbot.keyClick(field.pick, Qt.Key.Key_Tab)
    qtbot.waitUntil(after.hasFocus)

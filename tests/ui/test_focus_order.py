"""Keyboard users: Tab walks the sign-in dialog and a wizard page in a sensible order, and
every control that takes focus has a name a screen reader can say."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from connect_desktop.rollover.students import StudentRule
from connect_desktop.yearend.steps import spec
from tests.ui.conftest import AS_OF, OpenedApp
from ui.app import AppServices
from ui.errors import ErrorReporter
from ui.messages import MessageBridge
from ui.settings import UiSettings
from ui.signin import SignInDialog
from ui.tasks import ImmediatePool, TaskRunner
from ui.wizard.page import WizardContext
from ui.wizard.reports import ReportsPage


def spoken(widget: QWidget) -> str:
    """What a screen reader announces: the accessible name, else the control's own text."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "")
    return ""


def walk(qtbot: QtBot, top: QWidget, first: QWidget, steps: int) -> list[QWidget]:
    top.show()
    qtbot.waitExposed(top)
    top.activateWindow()
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first)
    seen = [first]
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    return seen


def test_sign_in_dialog_tab_order(qtbot: QtBot, ui_settings: UiSettings) -> None:
    dialog = SignInDialog(lambda *_a: None, TaskRunner(ImmediatePool()), ui_settings, ErrorReporter())  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    order = walk(qtbot, dialog, dialog.server, 6)
    assert order[:5] == [dialog.server, dialog.email, dialog.password, dialog.advanced, dialog.submit]
    assert order[6] is dialog.server  # around again after Cancel
    dialog.advanced.setChecked(True)  # the certificate file comes next, where it is shown
    dialog.server.setText("http://connect.example.org")  # and the insecure choice
    order += walk(qtbot, dialog, dialog.server, 8)
    assert order[7:15] == [
        dialog.server, dialog.insecure_ok, dialog.email, dialog.password, dialog.advanced,
        dialog.ca_bundle, dialog.choose_ca, dialog.submit,
    ]  # fmt: skip
    for widget in order:
        assert spoken(widget), f"{type(widget).__name__} has no accessible name or text"


def test_reports_page_tab_order(qtbot: QtBot, ui_settings: UiSettings) -> None:
    context = WizardContext(
        service=SimpleNamespace(cache=None),  # type: ignore[arg-type]  # only used inside tasks
        app=AppServices(TaskRunner(ImmediatePool()), ErrorReporter(), ui_settings, MessageBridge()),
        as_of=AS_OF,
    )
    page = ReportsPage(spec("reports"), context)
    qtbot.addWidget(page)
    boxes = list(page.checks.values())
    order = walk(qtbot, page, boxes[0], len(boxes) + 2)
    assert order[: len(boxes)] == boxes
    assert order[len(boxes)] is page.folder and isinstance(page.folder, QLineEdit)
    assert order[len(boxes) + 1] is page.choose
    assert order[len(boxes) + 2] is page.export
    for widget in order:
        assert spoken(widget), f"{type(widget).__name__} has no accessible name or text"


def _reading_order(step: str, page: Any, window: Any) -> list[QWidget]:
    """The controls of a plan page as a person reads them: filters, options, table, buttons."""
    ends = [page.table, page.select_all, page.select_none, window.wizard.back]
    if step == "inactive_staff":
        options = [page.use_since, page.since.edit, page.since.pick, page.no_classroom, page.left]
        return [page.school, page.search, *options, *ends]
    if step == "archive_classrooms":
        return [page.school_year, page.school, page.search, *ends]
    return [
        page.school,
        page.grade,
        page.search,
        page.rule_buttons[StudentRule.LEAVING_DISTRICT],
        page.choose_file,
        page.archive,
        *ends,
    ]


@pytest.mark.parametrize("step", ["inactive_staff", "archive_classrooms", "non_returning_students"])
def test_a_plan_page_tabs_from_the_filters_through_the_options_to_the_table_and_its_buttons(
    qtbot: QtBot,
    step: str,
    opened_app: OpenedApp,
) -> None:
    window = opened_app.window
    window.show_wizard(step)
    page = window.wizard.page(step)
    qtbot.waitUntil(lambda: page.plan is not None and page.model.total is not None, timeout=10_000)
    if step == "archive_classrooms":  # rows in the table: one that took Tab for its cells kept the focus
        qtbot.waitUntil(lambda: page.model.loaded == 5, timeout=10_000)
    wanted = _reading_order(step, page, window)
    order = walk(qtbot, window, wanted[0], 20)
    positions = [order.index(widget) for widget in wanted]  # each is reached, top to bottom
    assert positions == sorted(positions), [spoken(w) for w in order]
    for widget in order[: positions[-1]]:
        assert spoken(widget), f"{type(widget).__name__} has no accessible name or text"

"""One vocabulary on every surface: the workbook, the review page and the dashboard show the
same phrase (`connect_desktop.domain.words`) for the same operation kind, outbox state, sync run
status and record type."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from connect_desktop.account.service import Account
from connect_desktop.domain import operations, words
from connect_desktop.domain.entities import SyncRunStatus
from connect_desktop.domain.operations import TARGET_TYPE, OperationKind, OutboxState
from connect_desktop.reports import export_report
from connect_desktop.settings import AccountSettings
from connect_desktop.store import models as m
from connect_desktop.store import overview
from connect_desktop.store.db import Cache, open_cache
from connect_desktop.yearend.steps import spec
from tests.reports.helpers import read_sheet, records
from ui.app import AppServices
from ui.dashboard.view import Dashboard
from ui.errors import ErrorReporter
from ui.messages import MessageBridge
from ui.models.lazy_table import LazyTableModel
from ui.settings import UiSettings
from ui.tasks import ImmediatePool, TaskRunner
from ui.wizard.page import WizardContext
from ui.wizard.review import ReviewPage

TODAY = dt.date(2026, 6, 12)
NOW = dt.datetime(2026, 6, 11, 17, 0)


def _op(kind: OperationKind, state: OutboxState, minute: int) -> m.PendingOperation:
    return m.PendingOperation(
        op_id=str(uuid.uuid4()),
        kind=kind,
        target_type=TARGET_TYPE[kind],
        target_id=str(uuid.uuid4()),
        base_version=1,
        params={},
        step="review",
        created_at=NOW + dt.timedelta(minutes=minute),
        state=state,
        sent_at=None if state == OutboxState.PENDING else NOW,
        result_message=None,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    """A cache whose outbox holds every kind in every state."""
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        with cache.sessions.begin() as db:
            pairs = [(k, s) for k in OperationKind for s in OutboxState]
            db.add_all(_op(kind, state, i) for i, (kind, state) in enumerate(pairs))
        yield cache


def _column(model: LazyTableModel, header: str) -> int:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return headers.index(header)


def _shown(model: LazyTableModel, *headers: str) -> dict[str, tuple[str, ...]]:
    """op_id -> the display text of `headers`, for every loaded row."""
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    columns = [_column(model, h) for h in headers]
    return {
        model.key(r): tuple(model.data(model.index(r, c)) for c in columns) for r in range(model.rowCount())
    }


def _review_page(qtbot: QtBot, cache: Cache, ui_settings: UiSettings) -> ReviewPage:
    account = Account(AccountSettings("https://connect.example.org", "admin@example.org", "u-1"), None, cache)
    app = AppServices(TaskRunner(ImmediatePool()), ErrorReporter(), ui_settings, MessageBridge())
    context = WizardContext(service=account, app=app)
    page = ReviewPage(spec("review"), context)
    qtbot.addWidget(page)
    return page


def test_workbook_and_review_page_name_kinds_and_states_alike(
    qtbot: QtBot, cache: Cache, tmp_path: Path, ui_settings: UiSettings
) -> None:
    book = records(export_report(cache.engine, "changes", tmp_path / "out", today=TODAY), "Year-end changes")
    in_workbook = {r["Operation ID"]: (r["Change"], r["State"]) for r in book}

    page = _review_page(qtbot, cache, ui_settings)
    page.show_waiting()  # what is still to send or decide
    on_screen = _shown(page.model, "Change", "Status")
    page.last_sent = frozenset(in_workbook)
    page._load_results()  # after a send: what the server said
    on_screen |= _shown(page.model, "Change", "Status")

    shown_states = operations.REVIEW | {OutboxState.APPLIED}
    assert len(on_screen) == len(OperationKind) * len(shown_states)
    for op_id, phrases in on_screen.items():
        assert phrases == in_workbook[op_id]
    # ...and those are the vocabulary's phrases, for every kind and every state shown.
    assert {p[0] for p in on_screen.values()} == {words.kind_text(k) for k in OperationKind}
    assert {p[1] for p in on_screen.values()} == {words.state_text(s) for s in shown_states}
    assert {p[1] for p in in_workbook.values()} == set(words.STATE_TEXT.values())


@pytest.mark.parametrize("status", list(SyncRunStatus))
def test_workbook_and_dashboard_name_a_sync_run_alike(
    qtbot: QtBot, cache: Cache, tmp_path: Path, status: SyncRunStatus
) -> None:
    with cache.sessions.begin() as db:
        db.add(
            m.SyncRun(
                id=str(uuid.uuid4()),
                started_at=NOW,
                finished_at=NOW,
                status=status,
                trigger="scheduled",
                counts={"students": {"created": 1}},
            )
        )
    (run,) = records(export_report(cache.engine, "sync-history", tmp_path / "out", today=TODAY), "Sync runs")
    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    with cache.sessions() as db:
        dashboard.show_summary(overview.account_overview(db, as_of=TODAY), "welcome")
    assert run["Status"] == words.run_status_text(status)
    assert f": {words.lower_first(run['Status'])}" in dashboard.sync_text.text()


def test_workbook_summary_and_dashboard_name_record_types_alike(
    qtbot: QtBot, cache: Cache, tmp_path: Path
) -> None:
    _header, rows = read_sheet(
        export_report(cache.engine, "archive", tmp_path / "out", today=TODAY), "Summary"
    )
    workbook_titles = {row[0] for row in rows}
    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    for entity, number in dashboard.count_labels.items():
        title = number.accessibleName()
        assert title == words.noun(entity).capitalize()
        assert title in workbook_titles, f"the dashboard's {title!r} is not a row of the workbook's summary"

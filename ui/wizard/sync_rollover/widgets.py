"""Small widgets the sync-rollover tabs share."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QAbstractItemView, QTableView

from connect_desktop.domain.words import local_time


def table_view(name: str) -> QTableView:
    """A read-only, row-selecting table for a lazily paged model."""
    table = QTableView()
    table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in the table
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def when(value: dt.datetime | None) -> str:
    """'2026-06-20 04:00', in local time ("" for none)."""
    return local_time(value)

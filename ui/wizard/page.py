"""The base of every wizard page and the context the frame hands to it."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from connect_desktop.account import Account
from connect_desktop.yearend.steps import StepSpec
from ui.app import AppServices
from ui.dashboard.summary import Summary
from ui.errors import ErrorReporter
from ui.messages import MessageBridge
from ui.tasks import TaskRunner


@dataclass
class WizardContext:
    """What pages may use: the account (only inside tasks) and the app's services."""

    service: Account
    app: AppServices
    summary: Summary | None = None
    as_of: dt.date | None = None
    """The day plans are made for (fixed in the demo and tests; today otherwise)."""
    outbox_changed: Callable[[], None] = field(default=lambda: None)
    """Pages call this after staging or sending, so the frame and dashboard refresh."""
    go_to: Callable[[str], None] = field(default=lambda _step: None)
    step_done: Callable[[str, str], None] = field(default=lambda _step, _text: None)
    """Pages whose step stages nothing call this when the user finished it (checklist "Done")."""

    def today(self) -> dt.date:
        """The app's one "today": `as_of` when fixed (demo, tests), else the real date."""
        return self.as_of or dt.date.today()

    @property
    def runner(self) -> TaskRunner:
        return self.app.runner

    @property
    def reporter(self) -> ErrorReporter:
        return self.app.reporter

    @property
    def bridge(self) -> MessageBridge:
        return self.app.bridge


def label(text: str, name: str = "explanation") -> QLabel:
    widget = QLabel(text)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def tab_chain(widgets: Iterable[QWidget]) -> None:
    """Make Tab visit `widgets` in this order (Shift+Tab the other way)."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


class StepPage(QWidget):
    """A page: title, plain explanation, a "not needed" banner, then the page's own body.

    Pages load their state in `initialize_page()` (called each time the page is shown,
    with the latest summary) and stage changes through tasks; they never send.
    """

    explanation = ""

    def __init__(self, spec: StepSpec, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.context = context
        self.setObjectName(f"page-{spec.step_id}")
        self.setAccessibleName(spec.title)
        number = f"Step {spec.number} of 8 · " if spec.number else ""
        self.title = label(f"{number}{spec.title}", "pageTitle")
        self.intro = label(self.explanation or spec.purpose)
        self.skip_banner = label("", "skipReason")
        self.skip_banner.setAccessibleName("Why this step is not needed")
        self.skip_banner.hide()
        self.body = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addWidget(self.skip_banner)
        layout.addLayout(self.body, 1)

    def skip_reason(self) -> str | None:
        summary = self.context.summary
        return None if summary is None else self.spec.not_needed(summary)

    def initialize_page(self) -> None:
        reason = self.skip_reason()
        self.skip_banner.setText(f"Not needed for your account. {reason}" if reason else "")
        self.skip_banner.setVisible(bool(reason))

    def leave_page(self) -> None:
        """Called when the user moves on (pages may release resources)."""

    def release(self) -> None:
        """Called once when the window closes: free files, threads and connections now."""

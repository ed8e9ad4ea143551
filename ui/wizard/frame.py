"""The wizard frame: the step list, the current page, Back and Next; the place is saved.

Pages come in `STEPS` order (`connect_desktop.yearend.steps`). "Next" skips steps that
do not apply to this account; the step list still shows them (with "not needed") and
they can be opened to read why.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.yearend.steps import STEPS, StepSpec, caption, neighbour
from ui.dashboard.summary import Summary
from ui.settings import UiSettings
from ui.wizard.classrooms import ArchiveClassroomsPage
from ui.wizard.done import DonePage
from ui.wizard.merge_duplicates import MergeDuplicatesPage
from ui.wizard.page import StepPage, WizardContext
from ui.wizard.placeholder import PlaceholderPage
from ui.wizard.reports import ReportsPage
from ui.wizard.review import ReviewPage
from ui.wizard.staff import InactiveStaffPage
from ui.wizard.students import NonReturningStudentsPage
from ui.wizard.sync_rollover import SyncRolloverPage
from ui.wizard.welcome import WelcomePage

BUILT_IN: dict[str, type[StepPage]] = {
    "welcome": WelcomePage,
    "reports": ReportsPage,
    "sync_rollover": SyncRolloverPage,
    "inactive_staff": InactiveStaffPage,
    "archive_classrooms": ArchiveClassroomsPage,
    "non_returning_students": NonReturningStudentsPage,
    "merge_duplicates": MergeDuplicatesPage,
    "review": ReviewPage,
    "done": DonePage,
}


def build_page(spec: StepSpec, context: WizardContext) -> StepPage:
    """The step's page; a step without tools yet shows the placeholder."""
    return BUILT_IN.get(spec.step_id, PlaceholderPage)(spec, context)


class WizardFrame(QWidget):
    """Emits `page_changed(step_id)` whenever another page is shown."""

    page_changed = Signal(str)

    def __init__(self, context: WizardContext, settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wizard")
        self.context = context
        context.go_to = self.go_to
        self._settings = settings
        self.steps = QListWidget()
        self.steps.setObjectName("stepList")
        self.steps.setAccessibleName("Year-end steps")
        self.steps.setMinimumWidth(220)  # long step names wrap
        self.steps.setMaximumWidth(340)
        self.steps.setWordWrap(True)
        # lay the items out again when the list narrows, or a wrapped "(6 staged)" is cut to "(6 …"
        self.steps.setResizeMode(QListView.ResizeMode.Adjust)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.pages: list[StepPage] = []
        for spec in STEPS:
            page = build_page(spec, context)
            self.pages.append(page)
            self.stack.addWidget(_scrolling(page))
            item = QListWidgetItem(self._item_text(spec, None))
            item.setData(Qt.ItemDataRole.UserRole, spec.step_id)
            self.steps.addItem(item)
        self.back = QPushButton("< &Back")
        self.back.setAccessibleName("Back")
        self.next = QPushButton("&Next >")
        self.next.setAccessibleName("Next")
        self.next.setObjectName("primary")
        self.back.clicked.connect(self.go_back)
        self.next.clicked.connect(self.go_next)
        self.steps.currentRowChanged.connect(self._show_row)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        right = QVBoxLayout()
        right.addWidget(self.stack, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.steps)
        layout.addLayout(right, 1)
        self.setTabOrder(self.steps, self.stack)
        self.setTabOrder(self.back, self.next)

    # -- state -------------------------------------------------------------------------
    @property
    def current_step(self) -> str:
        return STEPS[self.stack.currentIndex()].step_id

    def page(self, step_id: str) -> StepPage:
        return self.pages[self._index(step_id)]

    def release(self) -> None:
        """Let every page free what it holds (the window is closing)."""
        for page in self.pages:
            page.release()

    def _index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(STEPS) if s.step_id == step_id)

    def _item_text(self, spec: StepSpec, summary: Summary | None) -> str:
        # The note on a line of its own: Qt wraps a styled item's text a few pixels too wide
        # for its padding, so "(6 staged)" was cut to "(6 …" instead of wrapping.
        return caption(spec, summary).replace("  (", "\n(")

    def update_summary(self, summary: Summary) -> None:
        """New numbers arrived: refresh the step list (and the page on screen)."""
        self.context.summary = summary
        for row, spec in enumerate(STEPS):
            item = self.steps.item(row)
            item.setText(self._item_text(spec, summary))
            needed = spec.not_needed(summary) is None
            item.setForeground(self.palette().text() if needed else self.palette().placeholderText())
            item.setToolTip(spec.not_needed(summary) or spec.purpose)

    def restore(self) -> None:
        """Open the page the user was on last time (Welcome the first time)."""
        saved = self._settings.wizard_page(self.context.service.server_url, self.context.service.user_id)
        self.go_to(saved if saved in {s.step_id for s in STEPS} else STEPS[0].step_id)

    # -- navigation --------------------------------------------------------------------
    def go_to(self, step_id: str) -> None:
        self.steps.setCurrentRow(self._index(step_id))
        if self.stack.currentIndex() != self._index(step_id):
            self._show_row(self._index(step_id))

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        previous = self.pages[self.stack.currentIndex()] if self.stack.count() else None
        if isinstance(previous, StepPage) and previous is not self.pages[row]:
            previous.leave_page()
        self.stack.setCurrentIndex(row)
        if self.steps.currentRow() != row:
            self.steps.setCurrentRow(row)
        page = self.pages[row]
        page.initialize_page()
        self.back.setEnabled(row > 0)
        self.next.setEnabled(row < len(STEPS) - 1)
        step_id = STEPS[row].step_id
        self._settings.set_wizard_page(self.context.service.server_url, self.context.service.user_id, step_id)
        self.page_changed.emit(step_id)

    def _neighbour(self, direction: int) -> int:
        return neighbour(self.stack.currentIndex(), direction, self.context.summary)

    def go_next(self) -> None:
        self._show_row(self._neighbour(+1))

    def go_back(self) -> None:
        self._show_row(self._neighbour(-1))


def _scrolling(page: QWidget) -> QScrollArea:
    """The page in a scroll area: where the screen is smaller than the page needs (1024×768,
    or 150 % scaling), the page scrolls instead of pushing the window past the screen."""
    area = QScrollArea()
    area.setObjectName("stepScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area

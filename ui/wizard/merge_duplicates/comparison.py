"""Both records of a pair side by side: every field, the family contacts and the classrooms.

Columns stay in the pair's order whichever record is kept; each row says in words whether
the two differ (bold values and a "Differs" note, never colour alone). Where both have
a different value (`MergePreview.field_choices`) the values are radio buttons: the kept
record's value is chosen until the user picks the other one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from connect_desktop.domain.changes import STUDENT_FIELDS
from connect_desktop.rollover.merge import FIELD_WORDS, MergePreview, StudentSide

NOTHING = "—"
"""Shown for an empty value (and read out as "none")."""


def _shown(value: Any) -> str:
    if value is None or str(value).strip() == "":
        return NOTHING
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _spoken(text: str) -> str:
    return "none" if text == NOTHING else text


def _cell(text: str, *, strong: bool = False, name: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    widget.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    if strong:
        font = widget.font()
        font.setBold(True)
        widget.setFont(font)
    if name:
        widget.setAccessibleName(name)
    return widget


def _contacts(side: StudentSide) -> str:
    if not side.contacts:
        return "No family contacts"
    return "\n".join(f"{c.name} ({c.relationship})" if c.relationship else c.name for c in side.contacts)


def _classrooms(side: StudentSide) -> str:
    if not side.classrooms:
        return "No classrooms"
    lines = []
    for seat in side.classrooms:
        details = ", ".join(part for part in (seat.teacher, seat.term) if part)
        lines.append(f"{seat.name} ({details})" if details else seat.name)
    return "\n".join(lines)


def _status(side: StudentSide) -> str:
    status = side.status.capitalize()
    withdrawn = side.fields.get("withdrawn_on")
    return f"{status}, withdrawn on {_shown(withdrawn)}" if withdrawn else status


class ComparisonView(QScrollArea):
    """Shows one `MergePreview`; emits `choices_changed` when a per-field choice changes."""

    choices_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparison")
        self.setAccessibleName("Both records side by side")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.preview: MergePreview | None = None
        self.order: tuple[str, str] = ("", "")
        """The pair's ids in the list's order: the left and the right column."""
        self.chosen: dict[str, str] = {}
        """Field → id of the record whose value the user chose (kept across a change of survivor)."""
        self.field_buttons: dict[str, dict[str, QRadioButton]] = {}
        """Field → record id → the radio button choosing that record's value."""
        self._groups: list[QButtonGroup] = []
        self.placeholder = QLabel("Select a pair in the list to compare both records.")
        self.placeholder.setObjectName("hint")
        self.placeholder.setWordWrap(True)
        self.setWidget(self.placeholder)

    # -- what is shown --------------------------------------------------------------------
    def clear(self, text: str = "Select a pair in the list to compare both records.") -> None:
        self.preview = None
        self.field_buttons = {}
        self._groups = []
        self.placeholder = QLabel(text)
        self.placeholder.setObjectName("hint")
        self.placeholder.setWordWrap(True)
        self.setWidget(self.placeholder)

    def new_pair(self, a: str, b: str) -> None:
        """Another pair: forget the per-field choices of the last one."""
        self.order = (a, b)
        self.chosen = {}

    def show_preview(self, preview: MergePreview) -> None:
        """Lay out both records of `preview` (its survivor and merged, in the pair's order)."""
        self.preview = preview
        sides = {preview.survivor.id: preview.survivor, preview.merged.id: preview.merged}
        if set(self.order) != set(sides):
            self.order = (preview.survivor.id, preview.merged.id)
        left, right = sides[self.order[0]], sides[self.order[1]]
        self.order = (left.id, right.id)
        body = QWidget()
        body.setObjectName("comparisonBody")
        grid = QGridLayout(body)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setHorizontalSpacing(16)
        self.field_buttons = {}
        self._groups = []
        row = 0
        grid.addWidget(_cell("", name="Field"), row, 0)
        for column, side in ((1, left), (2, right)):
            kept = side.id == preview.survivor.id
            name = preview.name_of(side.id)
            what = "kept" if kept else "merged into the other and removed"
            head = QWidget()
            head_layout = QVBoxLayout(head)
            head_layout.setContentsMargins(0, 0, 0, 0)
            heading = _cell(name, strong=True)
            heading.setObjectName("sectionTitle")
            head_layout.addWidget(heading)
            head_layout.addWidget(_cell(f"This record is {what}.", name=f"{name}: {what}"))
            grid.addWidget(head, row, column)
        grid.addWidget(_cell("", name="Difference"), row, 3)
        for field in STUDENT_FIELDS:
            row += 1
            self._field_row(grid, row, field, left, right)
        rows = (
            ("School", left.school or NOTHING, right.school or NOTHING, ""),
            ("Status", _status(left), _status(right), ""),
            ("Where it comes from", left.origin_text, right.origin_text, ""),
            ("Family contacts", _contacts(left), _contacts(right), _shared(preview.contacts_dropped)),
            ("Classrooms", _classrooms(left), _classrooms(right), _shared(preview.classrooms_dropped)),
        )
        for title, left_text, right_text, note in rows:
            row += 1
            differs = left_text != right_text
            grid.addWidget(_cell(title), row, 0)
            grid.addWidget(_cell(left_text, strong=differs, name=f"{title}: {left_text}"), row, 1)
            grid.addWidget(_cell(right_text, strong=differs, name=f"{title}: {right_text}"), row, 2)
            grid.addWidget(_cell(note or ("Differs" if differs else "Same")), row, 3)
        grid.setRowStretch(row + 1, 1)
        self.setWidget(body)

    def _field_row(
        self, grid: QGridLayout, row: int, field: str, left: StudentSide, right: StudentSide
    ) -> None:
        preview = self.preview
        assert preview is not None
        words = FIELD_WORDS.get(field, field.replace("_", " ")).capitalize()
        values = {side.id: _shown(side.fields.get(field)) for side in (left, right)}
        differs = values[left.id] != values[right.id]
        grid.addWidget(_cell(words), row, 0)
        if field in preview.field_choices:
            group = QButtonGroup(self)
            group.setExclusive(True)
            buttons: dict[str, QRadioButton] = {}
            chosen = self.chosen.get(field, preview.survivor.id)
            for column, side in ((1, left), (2, right)):
                button = QRadioButton(values[side.id])
                button.setAccessibleName(f"{words}: use {_spoken(values[side.id])}")
                button.setAccessibleDescription(f"The value of {self._name(side)}")
                button.setChecked(side.id == chosen)
                button.setEnabled(preview.blocked is None)
                font = button.font()
                font.setBold(True)
                button.setFont(font)
                group.addButton(button)
                buttons[side.id] = button
                grid.addWidget(button, row, column)
                button.toggled.connect(lambda on, f=field, i=side.id: self._picked(f, i, on))
            self._groups.append(group)
            self.field_buttons[field] = buttons
            note = "Differs: pick one"
        else:
            for column, side in ((1, left), (2, right)):
                text = values[side.id]
                grid.addWidget(_cell(text, strong=differs, name=f"{words}: {_spoken(text)}"), row, column)
            note = "Differs" if differs else "Same"
            if field in preview.filled:
                note = f"Only {preview.merged_name} has one: it is kept"
        grid.addWidget(_cell(note), row, 3)

    def _name(self, side: StudentSide) -> str:
        preview = self.preview
        assert preview is not None
        return preview.name_of(side.id)

    def _picked(self, field: str, record_id: str, on: bool) -> None:
        if on:
            self.chosen[field] = record_id
            self.choices_changed.emit()

    # -- what the user chose --------------------------------------------------------------
    def take(self) -> list[str]:
        """The fields whose value comes from the merged record (`Account.stage_merge`'s take)."""
        preview = self.preview
        if preview is None:
            return []
        return [f for f in preview.field_choices if self.chosen.get(f) == preview.merged.id]

    def choose(self, field: str, record_id: str) -> None:
        """Pick `record_id`'s value of `field` (what clicking its radio button does)."""
        self.field_buttons[field][record_id].setChecked(True)


def _shared(count: int) -> str:
    if not count:
        return "None shared"
    return f"{count} shared (kept once)"


class SurvivorChoice(QFrame):
    """Two radio buttons naming both records: which one is kept. Emits `chosen(record_id)`."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Record to keep")
        self.group = QButtonGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Keep:")
        layout.addWidget(self.caption)
        self.buttons: dict[str, QRadioButton] = {}
        self.first = QRadioButton()
        self.second = QRadioButton()
        for button in (self.first, self.second):
            self.group.addButton(button)
            layout.addWidget(button, 1)
            button.toggled.connect(lambda on, b=button: self._toggled(b, on))
        self.setEnabled(False)

    def show_pair(self, preview: MergePreview, order: tuple[str, str]) -> None:
        """Name both records (in the pair's order) and check the survivor."""
        sides = {preview.survivor.id: preview.survivor, preview.merged.id: preview.merged}
        self.buttons = {}
        for button, record_id in zip((self.first, self.second), order, strict=True):
            name, details = preview.name_of(record_id), preview.details_of(record_id)
            button.blockSignals(True)
            button.setText(f"{sides[record_id].name} ({details})")
            button.setAccessibleName(f"Keep {name}")
            button.setAccessibleDescription(details)
            button.setChecked(record_id == preview.survivor.id)
            button.blockSignals(False)
            button.setProperty("record_id", record_id)
            self.buttons[record_id] = button
        self.setEnabled(True)

    def clear(self) -> None:
        self.buttons = {}
        for button in (self.first, self.second):
            button.setText("")
        self.setEnabled(False)

    def _toggled(self, button: QRadioButton, on: bool) -> None:
        if on and button.property("record_id"):
            self.chosen.emit(str(button.property("record_id")))

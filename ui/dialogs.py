"""Asking before something that matters: one confirm box for every flow that needs one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget


def confirm(
    parent: QWidget,
    *,
    title: str,
    text: str,
    details: str,
    action: str,
    on_confirm: Callable[[], None],
    on_close: Callable[[], None] | None = None,
    action_name: str = "",
    destructive: bool = False,
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
    understood: str | None = None,
) -> QMessageBox:
    """Open a window-modal question with `action` (a button text with its mnemonic) and Cancel.

    Cancel is the default button, so Enter never confirms by accident. The box is opened,
    not `exec()`-ed (no nested event loop). `on_close` runs once the box is answered either
    way, then `on_confirm` when the action was chosen; the box deletes itself afterwards.
    With `understood` (e.g. "I understand this cannot be undone"), the action stays disabled
    until that check box is ticked: a deliberate choice, never a reflex.
    """
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(details)
    role = QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    go = box.addButton(action, role)
    if action_name:
        go.setAccessibleName(action_name)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    if understood is not None:
        check = QCheckBox(understood, box)  # parented: the box owns it, not this function's frame
        check.setAccessibleName(understood.replace("&", ""))
        box.setCheckBox(check)
        go.setEnabled(False)
        check.toggled.connect(go.setEnabled)

    def answered(_result: int) -> None:
        chosen = box.clickedButton() is go
        if on_close is not None:
            on_close()
        if chosen:
            on_confirm()
        box.deleteLater()

    box.finished.connect(answered)
    box.open()
    return box

"""`ui/` holds widgets, table models, dialogs and the task runner; rules live in the core.

A module under `ui/` passes when it needs Qt: it imports PySide6, or it defines a Qt class
(a page that inherits its widgets from a `ui` base). Anything else is application logic
the command line cannot reach and only whole-app tests would check, so it belongs in
`connect_desktop`, unless it is listed below with the reason it must stay.
"""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

UI = Path(__file__).resolve().parents[2] / "ui"

ALLOWED: dict[str, str] = {
    "ui/launcher.py": "chooses between the command line and the app before Qt may be imported",
    "ui/demo.py": "runs the demo server in a process of its own; the core must not import the server",
    "ui/dialog_dirs.py": "where file dialogs start (never among open databases); asked by dialogs only",
    "ui/sources.py": "the lazy table models' page sources: the core's rows shaped into table tuples",
    "ui/dashboard/summary.py": "names the core's Overview for the widgets (a type alias, no code)",
}
"""Qt-free modules that stay in `ui/`, each with why (keep this short)."""


def _modules() -> list[Path]:
    return sorted(path for path in UI.rglob("*.py") if "__pycache__" not in path.parts)


def _name(path: Path) -> str:
    return path.relative_to(UI.parent).as_posix()


def _is_empty(tree: ast.Module) -> bool:
    """Only a docstring, imports and `__all__`: a package marker or its re-exports."""
    return all(
        (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        or isinstance(node, ast.Import | ast.ImportFrom)
        or (isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"])
        for node in tree.body
    )


def _imports_qt(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "PySide6" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "PySide6":
            return True
    return False


def _defines_qt_class(path: Path) -> bool:
    from PySide6.QtCore import QObject

    module = importlib.import_module(_name(path).removesuffix(".py").replace("/", "."))
    return any(
        isinstance(value, type) and issubclass(value, QObject) and value.__module__ == module.__name__
        for value in vars(module).values()
    )


def needs_qt(path: Path) -> bool:
    """Whether the module at `path` has a reason to be in `ui/`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return _is_empty(tree) or _imports_qt(tree) or _defines_qt_class(path)


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_every_ui_module_needs_qt_or_says_why_not(path: Path) -> None:
    name = _name(path)
    if name in ALLOWED:
        assert not needs_qt(path), f"{name} needs Qt now: take it off ALLOWED"
        return
    assert needs_qt(path), (
        f"{name} holds no Qt code: move its logic into connect_desktop (where the command line and "
        "unit tests reach it), or add it to ALLOWED with the reason it must stay in ui/"
    )


def test_allowed_modules_exist() -> None:
    missing = [name for name in ALLOWED if not (UI.parent / name).is_file()]
    assert not missing, f"no longer in ui/, drop from ALLOWED: {missing}"


def test_ui_opens_no_cache_connections() -> None:
    """Reads and writes go through `connect_desktop.account.Account`, never `cache.engine`,
    `cache.sessions` or `cache.raw` from a widget."""
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"engine", "sessions", "raw"}
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "cache"
            ):
                found.append(f"{_name(path)}:{node.lineno}")
    assert not found, f"ui/ opens the cache directly: {found}"


def test_the_guard_notices_a_qt_free_module(tmp_path: Path) -> None:
    """The check itself: plain logic fails it, a widget passes."""
    logic = tmp_path / "logic.py"
    logic.write_text("def rule(x: int) -> bool:\n    return x > 5\n", encoding="utf-8")
    widget = tmp_path / "widget.py"
    widget.write_text("from PySide6.QtWidgets import QLabel\n", encoding="utf-8")
    assert not _imports_qt(ast.parse(logic.read_text())) and not _is_empty(ast.parse(logic.read_text()))
    assert _imports_qt(ast.parse(widget.read_text()))

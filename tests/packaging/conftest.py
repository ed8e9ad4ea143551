"""Packaging tests: the bundle's declarations, the version, and the self-test run as a program."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported (the About box test)

ROOT = Path(__file__).resolve().parents[2]


def load_installer_module(name: str) -> ModuleType:
    """installer/ is not a package: load one of its modules by path (as the spec does)."""
    installer = str(ROOT / "installer")
    if installer not in sys.path:
        sys.path.insert(0, installer)
    spec = importlib.util.spec_from_file_location(name, ROOT / "installer" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundle() -> ModuleType:
    return load_installer_module("bundle")

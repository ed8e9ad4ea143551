"""Starting without what the window needs: on Linux, a missing or broken library of Qt's
X11 support is named with its package, instead of a silent exit (Qt aborts, code 250)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.display import missing_library_message, uses_x11, x11_problem

ROOT = Path(__file__).resolve().parents[2]


def test_x11_is_used_on_linux_with_an_x_session_unless_another_platform_is_chosen() -> None:
    assert uses_x11({"DISPLAY": ":0"}, "linux")
    assert not uses_x11({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_x11({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert uses_x11({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_x11({"DISPLAY": ":0"}, "win32") and not uses_x11({}, "linux")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's X11 plugin exists on Linux only")
def test_with_every_library_there_nothing_is_said() -> None:
    assert x11_problem() is None


def test_the_loaders_words_become_the_library_and_its_package() -> None:
    said = missing_library_message(
        "libxcb-cursor.so.0: cannot open shared object file: No such file or directory"
    )
    assert "the system library libxcb-cursor.so.0" in said and "sudo apt install libxcb-cursor0." in said
    unknown = missing_library_message("/opt/x/libfoo.so.3: file too short")
    assert "libfoo.so.3" in unknown and "apt install" not in unknown


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the dynamic loader's search path is Linux's"
)
def test_the_app_started_where_a_library_is_broken_says_which_and_exits_cleanly(tmp_path: Path) -> None:
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"not a library")  # found first, cannot be loaded
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env |= {
        "DISPLAY": ":99",
        "LD_LIBRARY_PATH": str(tmp_path),
        "CONNECT_DESKTOP_HOME": str(tmp_path / "home"),
    }
    started = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 3
    assert "the system library libxcb-cursor.so.0" in started.stderr
    assert "sudo apt install libxcb-cursor0" in started.stderr
    assert "Traceback" not in started.stderr

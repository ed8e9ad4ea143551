"""Is there a screen to draw on? Answered before Qt is asked (Qt would abort instead)."""

from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

NO_DISPLAY_MESSAGE = (
    "Connect Desktop needs a display. No graphical session was found "
    "(DISPLAY and WAYLAND_DISPLAY are not set). Run it from a desktop session, "
    "use the headless commands (connect-desktop --help), or set QT_QPA_PLATFORM=offscreen "
    "for automated use."
)


XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
"""Libraries Qt's X11 plugin needs that a minimal Linux may lack, with their Debian/Ubuntu package."""

_LIBRARY = re.compile(r"(lib[\w.+-]+\.so(?:\.\d+)*)")


def uses_x11(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will open its window through X11 (xcb): Linux/BSD with an X session."""
    env = os.environ if environ is None else environ
    if (platform or sys.platform) in ("win32", "darwin"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def x11_problem(plugin: Path | None = None) -> str | None:
    """Why Qt's X11 plugin cannot load (a library is missing or broken), in words; None when it can.

    Qt itself would print a short line into its log and abort; loading the plugin first,
    as Qt would, names the library and the package that brings it.
    """
    if plugin is None:
        from PySide6.QtCore import QLibraryInfo

        plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None  # a build without the X11 plugin: Qt says so itself
    try:
        ctypes.CDLL(str(plugin))
    except OSError as problem:
        return missing_library_message(str(problem))
    return None


def missing_library_message(loader_error: str) -> str:
    """The loader's error ("libxcb-cursor.so.0: cannot open shared object file") as advice."""
    names = [Path(name).name for name in _LIBRARY.findall(loader_error) if "libqxcb" not in name]
    library = names[0] if names else None
    if library is None:
        return f"Connect Desktop cannot open its window: Qt's X11 support does not load ({loader_error})."
    package = XCB_PACKAGES.get(library)
    install = f" On Debian or Ubuntu: sudo apt install {package}." if package else ""
    return (
        f"Connect Desktop cannot open its window: the system library {library}, which Qt needs to "
        f"draw on X11, is missing or damaged.{install} Or ask your IT department to install it."
    )


def has_display(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """False only on Linux/BSD with no X11 or Wayland session and no platform chosen."""
    env = os.environ if environ is None else environ
    if (platform or sys.platform) in ("win32", "darwin"):
        return True
    if env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))

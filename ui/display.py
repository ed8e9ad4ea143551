"""Is there a screen to draw on? Answered before Qt is asked (Qt would abort instead)."""

from __future__ import annotations

import os
import sys

NO_DISPLAY_MESSAGE = (
    "Connect Desktop needs a display. No graphical session was found "
    "(DISPLAY and WAYLAND_DISPLAY are not set). Run it from a desktop session, "
    "use the headless commands (connect-desktop --help), or set QT_QPA_PLATFORM=offscreen "
    "for automated use."
)


def has_display(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """False only on Linux/BSD with no X11 or Wayland session and no platform chosen."""
    env = os.environ if environ is None else environ
    if (platform or sys.platform) in ("win32", "darwin"):
        return True
    if env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))

"""dmgbuild settings: the .app and a link to /Applications, side by side.

    dmgbuild -s installer/dmg_settings.py -D app="dist/Connect Desktop.app" \
        "Connect Desktop X.Y.Z" dist/ConnectDesktop-X.Y.Z-macos-arm64.dmg

(`python3 dev.py package --installer` runs exactly this on macOS.)
"""

from __future__ import annotations

from pathlib import Path

# `defines` is provided by dmgbuild (the -D options)
app = defines.get("app", "dist/Connect Desktop.app")  # type: ignore[name-defined]  # noqa: F821
app_name = Path(app).name

format = "UDZO"  # compressed, read-only
filesystem = "HFS+"
files = [app]
symlinks = {"Applications": "/Applications"}
icon_locations = {app_name: (140, 120), "Applications": (500, 120)}
window_rect = ((200, 200), (640, 300))
default_view = "icon-view"
show_icon_preview = False
icon_size = 96
text_size = 13

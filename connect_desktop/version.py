"""The one version of Connect Desktop: pyproject.toml's, read from the installed package.

A frozen bundle has no package metadata of its own unless it was copied in, so the
build bakes the version into `_build_version.txt` beside this module (see installer/).
"""

from __future__ import annotations

import functools
import sys
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "connect-desktop"
BAKED_FILE = Path(__file__).with_name("_build_version.txt")
UNKNOWN = "0+unknown"


@functools.cache
def app_version() -> str:
    """`1.2.3`: the baked version in a frozen bundle, else the installed package's, else `0+unknown`."""
    if getattr(sys, "frozen", False):
        try:
            baked = BAKED_FILE.read_text(encoding="utf-8").strip()
        except OSError:
            baked = ""
        if baked:
            return baked
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def user_agent() -> str:
    """The HTTP User-Agent the desktop sends: `ConnectDesktop/1.2.3 (Python 3.11; linux)`."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"ConnectDesktop/{app_version()} (Python {python}; {sys.platform})"

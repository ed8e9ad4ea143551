"""`connect-desktop`: a headless command when one is named, otherwise the desktop app."""

from __future__ import annotations

import sys

from connect_desktop import __version__, cli
from ui.demo import SERVER_FLAG


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the headless CLI or open the GUI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"Connect Desktop {__version__}")
        return 0
    if args and args[0] in cli.COMMANDS | {"-h", "--help"}:
        return cli.main(args)
    if args[:1] == [SERVER_FLAG]:  # the demo's server process, started by the app (see ui.demo)
        from ui.demo import serve

        return serve(args[1:])
    from ui.app import run_gui  # Qt is only imported when the GUI is wanted

    return run_gui(args)

"""`connect-desktop <command>`: the core services, headless (for IT staff and tests)."""

from __future__ import annotations

import sys

COMMANDS: frozenset[str] = frozenset()


def main(argv: list[str] | None = None) -> int:
    """Run one headless command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    print("usage: connect-desktop COMMAND ...", file=sys.stderr)
    return 2 if args else 0


if __name__ == "__main__":
    sys.exit(main())

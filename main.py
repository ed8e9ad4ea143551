"""Start Connect Desktop (the same as the `connect-desktop` command)."""

import sys

from ui.launcher import main

if __name__ == "__main__":
    sys.exit(main())

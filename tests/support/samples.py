"""Where the shared sample exports are: `../shared/samples/` beside the repository.

`CONNECT_SAMPLES_DIR` overrides it. The samples are used as they are, never copied.
"""

from __future__ import annotations

import os
from pathlib import Path

SAMPLES = Path(
    os.environ.get("CONNECT_SAMPLES_DIR", Path(__file__).resolve().parents[3] / "shared" / "samples")
)
ONEROSTER = SAMPLES / "oneroster"
"""The four OneRoster packages of other projects."""
REALWORLD = SAMPLES / "realworld"
"""Ten real roster exports (README.md there says where each comes from)."""

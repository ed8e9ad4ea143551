"""GUI responsiveness while a full pull runs in the background (not part of pytest).

    .venv/bin/python tests/benchmarks/gui_responsiveness.py [--students 20000]

Seeds a demo district, serves it on a loopback port, signs in, then pulls the whole
account through `ui.tasks` while a 20 ms QTimer heartbeat runs on the GUI thread.
Prints JSON with the largest and 99th-percentile gap between heartbeats, in ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="connect-bench-"))
    os.environ["CONNECT_DESKTOP_HOME"] = str(folder / "home")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.backend import AccountService
    from ui.demo import start_demo
    from ui.tasks import TaskRunner

    app = QApplication([])
    started = time.perf_counter()
    district = start_demo(folder, options.students)
    seeded_s = time.perf_counter() - started
    service = AccountService.sign_in(district.url, district.email, district.password)
    runner = TaskRunner()
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    result: dict[str, object] = {}

    def done(pulled: object) -> None:
        result["received"] = getattr(pulled, "received", None)
        result["pull_s"] = round(getattr(pulled, "seconds", 0.0), 2)
        app.quit()

    def failed(exc: BaseException) -> None:
        result["error"] = repr(exc)
        app.quit()

    heartbeat.start()
    runner.run(
        lambda ctx: service.pull(progress=ctx.progress, cancel=ctx.token),
        on_success=done,
        on_failure=failed,
        on_progress=lambda _p: None,
    )
    app.exec()
    heartbeat.stop()
    runner.shutdown()
    service.close()
    district.stop()
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(beats))
    p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))] if gaps else None
    print(
        json.dumps(
            {
                "students": options.students,
                "seed_s": round(seeded_s, 2),
                **result,
                "heartbeats": len(beats),
                "max_gap_ms": round(gaps[-1], 1) if gaps else None,
                "p99_gap_ms": round(p99, 1) if p99 is not None else None,
            }
        )
    )
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())

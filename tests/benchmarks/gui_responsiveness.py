"""GUI responsiveness while the first download runs in the background (not part of pytest).

    .venv/bin/python tests/benchmarks/gui_responsiveness.py [--students 20000] [--page-size N]

Seeds a demo district (once per size, kept in the temp folder), serves it with
`connect-server serve --port 0` in a SUBPROCESS (so the server does not share the GIL
with the GUI), signs in, then runs the first download through the app's own path
(`ui.download.DownloadDialog` → `ui.tasks.TaskRunner` → `Account.pull`, with the
dialog's progress bar updating) while a 20 ms QTimer heartbeat runs on the GUI thread.
Prints JSON: {max_gap_ms, p99_gap_ms, p50_gap_ms, records, pull_s, ...}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
AS_OF = "2026-06-20"


def seeded_database(students: int) -> tuple[str, float]:
    """A seeded server database for `students` (reused between runs) and the seconds seeding took."""
    path = Path(tempfile.gettempdir()) / f"connect-bench-{students}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url, 0.0
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    subprocess.run(
        [
            str(BIN / "connect-server"),
            "seed",
            "--db",
            f"sqlite:///{partial}",
            "--students",
            str(students),
            "--as-of",
            AS_OF,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    partial.rename(path)
    return url, time.perf_counter() - started


def start_server(db_url: str) -> tuple[subprocess.Popen[str], str]:
    """`connect-server serve --port 0` in a subprocess; returns it and its base URL."""
    server = subprocess.Popen(
        [str(BIN / "connect-server"), "serve", "--db", db_url, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()  # "Connect server listening on http://127.0.0.1:PORT/api/v1"
    if "http" not in line:
        server.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    url = line.strip().split()[-1]
    return server, url.removesuffix("/api/v1")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=None, help="override the GUI pull's page size")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="connect-bench-"))
    os.environ["CONNECT_DESKTOP_HOME"] = str(folder / "home")
    if options.page_size:
        os.environ["CONNECT_DESKTOP_PAGE_SIZE"] = str(options.page_size)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from connect_desktop.account import Account
    from connect_server.seed import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
    from ui.download import DownloadDialog
    from ui.errors import ErrorReporter
    from ui.tasks import TaskRunner

    db_url, seeded_s = seeded_database(options.students)
    server, url = start_server(db_url)
    result: dict[str, object] = {}
    try:
        app = QApplication([])
        service = Account.sign_in(url, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
        runner = TaskRunner()
        reporter = ErrorReporter()
        reporter.modal = False
        failures: list[BaseException] = []
        reporter.report = failures.append  # type: ignore[method-assign]
        dialog = DownloadDialog(service, runner, reporter)
        beats: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(20)
        heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))

        def done(pulled: object) -> None:
            result["records"] = getattr(pulled, "received", None)
            result["pull_s"] = round(getattr(pulled, "seconds", 0.0), 2)

        dialog.finished_ok.connect(done)
        dialog.finished.connect(lambda _code: app.quit())
        dialog.show()
        heartbeat.start()
        QTimer.singleShot(200, dialog.start)  # a few calm beats first
        app.exec()
        heartbeat.stop()
        runner.shutdown()
        service.close()
        if failures:
            result["error"] = repr(failures[0])
    finally:
        server.terminate()
        server.wait(10)
    gaps = sorted((b - a) * 1000 for a, b in itertools.pairwise(beats))

    def pct(q: float) -> float | None:
        return round(gaps[min(len(gaps) - 1, int(len(gaps) * q))], 1) if gaps else None

    print(
        json.dumps(
            {
                "students": options.students,
                "page_size": int(os.environ.get("CONNECT_DESKTOP_PAGE_SIZE", 0)) or "default",
                "seed_s": round(seeded_s, 2),
                **result,
                "heartbeats": len(beats),
                "max_gap_ms": round(gaps[-1], 1) if gaps else None,
                "p99_gap_ms": pct(0.99),
                "p50_gap_ms": pct(0.50),
            }
        )
    )
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())

"""`--self-test` run as a program (unfrozen), and the headless modes failing fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.packaging.conftest import ROOT


def _run(*args: str, home: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONNECT_DESKTOP_HOME=str(home))
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_the_self_test_passes_on_a_working_installation(tmp_path: Path) -> None:
    result = _run("--self-test", "--demo-dir", str(tmp_path / "run"), home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("self-test: passed:")
    for step in ("sign in", "pull the account", "render the dashboard", "wizard page 'Review and send'",
                 "read it back with openpyxl", "migrate a cache", "Help → About"):  # fmt: skip
        assert any(step in line and "ok" in line for line in lines), step


def test_an_unexpected_error_ends_the_self_test_at_once_with_a_clear_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "server").mkdir(parents=True)
    (run / "server" / "demo-server.db").write_bytes(b"this is not a database" * 100)
    started = time.monotonic()
    result = _run("--self-test", "--demo-dir", str(run), home=tmp_path / "home", timeout=120)
    assert result.returncode != 0
    assert time.monotonic() - started < 60  # not the 90 s step timeout: the error ended it
    failed = [line for line in result.stderr.splitlines() if line.startswith("self-test FAILED: ")]
    assert failed and "start the demo server" in failed[0], result.stderr
    assert "passed" not in result.stdout


def test_the_startup_probe_reports_the_first_window(tmp_path: Path) -> None:
    result = _run("--startup-probe", home=tmp_path / "home", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "first window shown after" in result.stdout

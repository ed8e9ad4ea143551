#!/usr/bin/env python3
"""Set-up and entry point for developers: `python3 dev.py demo` or `python3 dev.py test`.

`python3 dev.py package [--self-test] [--prove-broken] [--installer]` builds the frozen
app into dist/ConnectDesktop/ (see installer/package.py).
`python3 dev.py faults [--rounds N] [--seed S]` runs the fault-injection suite (tests/faults/).
`python3 dev.py shots DIR [--size 1280x800] [--scale 1.5]` walks every screen of the demo in
a real X display with a window manager (Xvfb and openbox, Linux) and saves what the screen
shows, title bars included.

Creates `.venv` on first use (and again whenever pyproject.toml changes), installs the
project with its test tools, then runs the demo or the test suite inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-pyproject"


def venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> Path:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if not python.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Connect Desktop and its test tools ...", flush=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint", "run", "package", "faults", "shots"}:
        print(__doc__)
        print(
            "commands: demo [ARGS], test [PYTEST ARGS], lint, run CONNECT-DESKTOP-ARGS, package [OPTIONS], "
            "faults [--rounds N] [--seed S], shots DIR [--size WxH] [--scale S]"
        )
        return 2
    python = ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return subprocess.call([python, ROOT / "main.py", "--demo", *rest])
    if command == "run":
        return subprocess.call([python, ROOT / "main.py", *rest])
    if command == "package":
        return subprocess.call([python, ROOT / "installer" / "package.py", *rest])
    if command == "shots":
        return live_screenshots(python, rest)
    if command == "faults":  # the fault-injection suite (tests/faults/README.md), not part of `test`
        return subprocess.call([python, "-m", "tests.faults", *rest], cwd=ROOT)
    status = static_checks(python)
    if command == "lint" or status:
        return status
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.call([python, "-m", "pytest", *_spread(rest), *rest], cwd=ROOT, env=env)


def live_screenshots(python: Path, args: list[str]) -> int:
    """`shots DIR [--size WxH] [--scale S]`: the demo's screens in Xvfb + openbox, as shown."""
    import argparse
    import shutil
    import tempfile
    import time

    parser = argparse.ArgumentParser(prog="dev.py shots")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", default="1280x800", help="the screen, WIDTHxHEIGHT")
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR (1.5: a 150%% display)")
    options = parser.parse_args(args)
    missing = [tool for tool in ("Xvfb", "openbox") if shutil.which(tool) is None]
    if missing:
        print(f"shots needs {' and '.join(missing)} (Debian: apt-get install xvfb openbox)", file=sys.stderr)
        return 2
    display = f":{os.getpid() % 400 + 100}"
    # US English, as the product's users mostly read it (dates as 6/20/2026)
    env = dict(os.environ, DISPLAY=display, QT_SCALE_FACTOR=options.scale, LANG="en_US.UTF-8")
    env.pop("LC_ALL", None)
    env.pop("QT_QPA_PLATFORM", None)
    home = Path(tempfile.mkdtemp(prefix="connect-shots-"))
    env["HOME"] = str(home)  # openbox's own settings, none of the user's
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{options.size}x24", "-nolisten", "tcp"])
    openbox = None
    try:
        time.sleep(1.0)
        openbox = subprocess.Popen(["openbox"], env=env, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        command = [python, ROOT / "main.py", "--demo", "--screenshots", options.folder, "--live"]
        return subprocess.call(command, env=env)
    finally:
        for process in (openbox, xvfb):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def _spread(pytest_args: list[str]) -> list[str]:
    """One test process per core, each test file kept in one process (its module fixtures,
    such as a seeded district, are then built once); none when the caller chose otherwise."""
    chosen = ("-n", "--numprocesses", "no:xdist")
    if any(arg.startswith(chosen) for arg in pytest_args):
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def static_checks(python: Path) -> int:
    """Run ruff, the import-linter layer contracts and mypy in turn; stop at the first that fails."""
    bindir = python.parent
    checks = [
        ("ruff", [bindir / "ruff", "check", ROOT]),
        ("lint-imports (the layer contracts in pyproject.toml)", [bindir / "lint-imports"]),
        ("mypy (connect_desktop and ui, configured in pyproject.toml)", [python, "-m", "mypy"]),
    ]
    for name, args in checks:
        status = subprocess.call(args, cwd=ROOT)
        if status:
            print(f"dev.py: {name} failed (exit {status}); see its output above.", flush=True)
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python3 dev.py package [--self-test] [--prove-broken] [--installer]`: the frozen app.

Builds dist/ConnectDesktop/ (and on macOS dist/Connect Desktop.app) for this machine
with PyInstaller, then checks it (installer/check_bundle.py files). Options:
  --self-test     run the built program's --self-test (offscreen)
  --prove-broken  show that a broken copy of the bundle fails its self-test
  --installer     make this platform's installer in dist/: a .tar.gz (Linux), a setup
                  .exe (Windows, needs Inno Setup's iscc), a .dmg (macOS, dmgbuild)
Run it with the project's venv Python (dev.py does); it installs the `package` extra.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle
import check_bundle

INSTALLER = bundle.ROOT / "installer"
DIST = bundle.ROOT / "dist"
WORK = bundle.ROOT / "build" / "pyinstaller"
SPEC = INSTALLER / "connect-desktop.spec"
SELF_TEST_TIMEOUT_S = 600


class PackageError(Exception):
    """A packaging step failed; the message says which."""


def say(text: str) -> None:
    print(f"package: {text}", flush=True)


def run(command: list[str], what: str, **kwargs: object) -> None:
    if subprocess.call(command, **kwargs) != 0:  # type: ignore[call-overload]
        raise PackageError(what)


def ensure_tools() -> None:
    """Install the `package` extra's tools (pip skips what is already there)."""
    with (bundle.ROOT / "pyproject.toml").open("rb") as handle:
        wanted = tomllib.load(handle)["project"]["optional-dependencies"]["package"]
    run([sys.executable, "-m", "pip", "install", "-q", *wanted], "installing PyInstaller failed")


def build() -> float:
    """Run PyInstaller on the spec; returns the seconds it took."""
    shutil.rmtree(DIST / bundle.APP_NAME, ignore_errors=True)
    shutil.rmtree(DIST / f"{bundle.DISPLAY_NAME}.app", ignore_errors=True)
    started = time.monotonic()
    run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)],
        "PyInstaller failed (see above)",
    )  # fmt: skip
    return time.monotonic() - started


def program() -> Path:
    """What ships: the program inside the .app on macOS, the one-folder bundle's elsewhere."""
    if sys.platform == "darwin":
        return DIST / f"{bundle.DISPLAY_NAME}.app" / "Contents" / "MacOS" / bundle.APP_NAME
    return check_bundle.executable(DIST / bundle.APP_NAME)


def self_test(binary: Path) -> None:
    say(f"self-test of {binary.relative_to(bundle.ROOT).as_posix()}")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        code = subprocess.call([str(binary), "--self-test"], env=env, timeout=SELF_TEST_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise PackageError(f"the frozen self-test did not finish in {SELF_TEST_TIMEOUT_S} s") from None
    if code != 0:
        raise PackageError(f"the frozen self-test failed (exit {code}; its FAILED line is above)")


def machine() -> str:
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(arch, arch)


def linux_tarball(version: str) -> Path:
    """dist/ConnectDesktop-<version>-linux-<arch>.tar.gz: the bundle, a .desktop file, its installer."""
    target = DIST / f"{bundle.APP_NAME}-{version}-linux-{machine()}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(DIST / bundle.APP_NAME, arcname=bundle.APP_NAME)
        for name in ("connect-desktop.desktop", "install-desktop-entry.sh"):
            tar.add(INSTALLER / "linux" / name, arcname=f"{bundle.APP_NAME}/{name}")
    return target


def windows_installer(version: str) -> Path:
    """dist/ConnectDesktop-<version>-windows-setup.exe, made by Inno Setup from dist/ConnectDesktop."""
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    if not Path(iscc).exists() and shutil.which(iscc) is None:
        raise PackageError("Inno Setup's iscc was not found (install Inno Setup 6)")
    run([iscc, "/Q", f"/DAppVersion={version}", str(INSTALLER / "windows.iss")], "Inno Setup failed")
    return DIST / f"{bundle.APP_NAME}-{version}-windows-setup.exe"


def macos_dmg(version: str) -> Path:
    """dist/ConnectDesktop-<version>-macos-<arch>.dmg with the .app and an Applications link."""
    target = DIST / f"{bundle.APP_NAME}-{version}-macos-{machine()}.dmg"
    app = DIST / f"{bundle.DISPLAY_NAME}.app"
    run(
        [sys.executable, "-m", "dmgbuild", "-s", str(INSTALLER / "dmg_settings.py"), "-D", f"app={app}",
         f"{bundle.DISPLAY_NAME} {version}", str(target)],
        "dmgbuild failed",
    )  # fmt: skip
    return target


def make_installer(version: str) -> Path:
    if sys.platform == "win32":
        return windows_installer(version)
    if sys.platform == "darwin":
        return macos_dmg(version)
    return linux_tarball(version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py package", description=__doc__.splitlines()[0])
    parser.add_argument("--self-test", action="store_true", help="run the frozen app's --self-test")
    parser.add_argument("--prove-broken", action="store_true", help="a broken copy must fail its self-test")
    parser.add_argument("--installer", action="store_true", help="make this platform's installer")
    options = parser.parse_args(argv)
    version = bundle.project_version()
    try:
        ensure_tools()
        seconds = build()
        dist = DIST / bundle.APP_NAME
        say(f"built {dist.relative_to(bundle.ROOT).as_posix()} (version {version}) in {seconds:.0f} s")
        if check_bundle.main(["files", "--dist", str(dist)]) != 0:
            raise PackageError("the bundle check found problems (the lines above)")
        if options.self_test:
            self_test(program())
        if options.prove_broken and check_bundle.main(["broken", "--dist", str(dist)]) != 0:
            raise PackageError("a broken bundle was not caught by its self-test (the lines above)")
        if options.installer:
            say(f"installer: {make_installer(version).relative_to(bundle.ROOT).as_posix()}")
    except PackageError as exc:
        print(f"package FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check a built bundle: `python installer/check_bundle.py files|broken [--dist DIR]`.

`files`  — the bundle carries what the app loads from disk at run time (both sets of
           Alembic migrations with their .py files, resources, the baked version, the Qt
           platform plugins), none of what it must not (tests, unused Qt modules), every
           shared library it links resolves (Linux), and it is at most MAX_BUNDLE_MB.
`broken` — proves the self-test catches a broken bundle: on hard-linked copies, removes a
           migration script or the Qt offscreen plugin and expects `--self-test` to fail.
Each problem is one line starting `bundle check:`; the exit code is 1 if there is any.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle

SELF_TEST_TIMEOUT_S = 180


def content_dir(dist: Path) -> Path:
    """Where PyInstaller put the modules and data (`_internal` since PyInstaller 6)."""
    inner = dist / "_internal"
    return inner if inner.is_dir() else dist


def executable(dist: Path, console: bool = True) -> Path:
    """The program to run: on Windows the console twin prints, so checks use it."""
    if sys.platform == "win32":
        return dist / f"{bundle.CONSOLE_NAME if console else bundle.APP_NAME}.exe"
    return dist / bundle.APP_NAME


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1_000_000


def file_problems(dist: Path) -> Iterator[str]:
    inside = content_dir(dist)
    if not executable(dist).is_file():
        yield f"the program {executable(dist).name} is missing"
    for source in [*bundle.migration_files(), *bundle.resource_files()]:
        relative = source.relative_to(bundle.ROOT)
        if not (inside / relative).is_file():
            yield f"missing data file {relative.as_posix()}"
    baked = inside / "connect_desktop" / bundle.BAKED_VERSION
    if not baked.is_file():
        yield "the baked version file is missing"
    elif baked.read_text(encoding="utf-8").strip() != bundle.project_version():
        yield f"the baked version {baked.read_text(encoding='utf-8').strip()} is not pyproject's"
    plugins = {p.name for p in inside.rglob("*") if p.parent.name == "platforms"}
    for plugin in bundle.QT_PLATFORM_PLUGINS.get(bundle.platform_key(), ()):
        if not any(name.startswith(plugin + ".") for name in plugins):
            yield f"missing Qt platform plugin {plugin}"
    for path in inside.rglob("*"):
        text = path.relative_to(inside).as_posix() + ("/" if path.is_dir() else "")
        hit = next((part for part in bundle.FORBIDDEN_IN_BUNDLE if part in text), None)
        if hit is not None:
            yield f"should not be in the bundle: {text} ({hit})"
    megabytes = size_mb(dist)
    if megabytes > bundle.MAX_BUNDLE_MB:
        yield f"the bundle is {megabytes:.0f} MB, more than {bundle.MAX_BUNDLE_MB} MB"
    if sys.platform.startswith("linux"):
        yield from unresolved_libraries(inside)


def unresolved_libraries(inside: Path) -> Iterator[str]:
    """Shared libraries in the bundle whose links do not resolve (bundle first, then the system)."""
    search = os.pathsep.join(str(p) for p in (inside, inside / "PySide6" / "Qt" / "lib"))
    env = dict(os.environ, LD_LIBRARY_PATH=search)
    seen: set[str] = set()
    for path in sorted(inside.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, check=False)
        for line in result.stdout.splitlines():
            if "not found" in line:
                library = line.split("=>")[0].strip()
                if library not in seen:
                    seen.add(library)
                    where = path.relative_to(inside).as_posix()
                    yield f"{where} links {library}, found neither in the bundle nor on this system"


Breakage = tuple[str, Callable[[Path], list[Path]]]


def _remove(pattern: str) -> Callable[[Path], list[Path]]:
    def remove(inside: Path) -> list[Path]:
        hits = sorted(inside.glob(pattern))
        for hit in hits:
            hit.unlink()
        return hits

    return remove


BREAKAGES: tuple[Breakage, ...] = (
    ("the server's Alembic env.py", _remove("connect_server/migrations/env.py")),
    ("the cache's first migration script", _remove("connect_desktop/store/migrations/versions/0001_*.py")),
    ("the Qt offscreen platform plugin", _remove("**/platforms/*qoffscreen*")),
)


def linked_copy(dist: Path, target: Path) -> None:
    """A copy made of hard links (fast, no space); falls back to copying."""

    def link(source: str, destination: str) -> None:
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)

    shutil.copytree(dist, target, symlinks=True, copy_function=link)


def broken_problems(dist: Path) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="connect-broken-bundle-") as temporary:
        for number, (what, breaker) in enumerate(BREAKAGES):
            copy = Path(temporary) / f"copy{number}" / dist.name
            linked_copy(dist, copy)
            if not breaker(content_dir(copy)):
                yield f"could not remove {what}: nothing matched in the bundle"
                continue
            try:
                result = subprocess.run(
                    [str(executable(copy)), "--self-test", "--demo-dir", str(copy.parent / "run")],
                    capture_output=True,
                    text=True,
                    timeout=SELF_TEST_TIMEOUT_S,
                    env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                yield f"without {what}, the self-test hung for {SELF_TEST_TIMEOUT_S} s instead of failing"
                continue
            output = result.stdout + result.stderr
            failed = next((line for line in output.splitlines() if "FAILED" in line), "")
            if result.returncode == 0:
                yield f"without {what}, the self-test still passed"
            elif not failed:
                yield f"without {what}, the self-test exited {result.returncode} without a FAILED line"
            else:
                print(f"bundle check: without {what}, the self-test fails as it should: {failed.strip()}")
            shutil.rmtree(copy.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=("files", "broken"))
    parser.add_argument("--dist", type=Path, default=bundle.ROOT / "dist" / bundle.APP_NAME)
    options = parser.parse_args(argv)
    if not options.dist.is_dir():
        print(f"bundle check: no bundle at {options.dist} (run `python3 dev.py package` first)")
        return 1
    checks = file_problems if options.check == "files" else broken_problems
    problems = list(checks(options.dist))
    for problem in problems:
        print(f"bundle check: {problem}")
    if not problems and options.check == "files":
        print(f"bundle check: {options.dist.name} has everything it needs ({size_mb(options.dist):.0f} MB)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""What goes into the frozen Connect Desktop bundle, and what stays out.

Shared by the PyInstaller spec (to build) and `check_bundle.py` (to check what was
built), so the two cannot disagree. No PyInstaller import here: plain Python.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "ConnectDesktop"
"""The one-folder bundle is dist/ConnectDesktop; its program ConnectDesktop(.exe)."""
CONSOLE_NAME = "connect-desktop"
"""Windows only: a console twin of the program, for the headless commands and --self-test."""
DISPLAY_NAME = "Connect Desktop"
BUNDLE_ID = "com.connect.desktop"
MAX_BUNDLE_MB = 210
"""Was 150; the duplicate finder made rapidfuzz (a declared dependency) part of the app: +12 MB,
then NumPy, which it blocks and compares with: +39 MB (26 MB of it the OpenBLAS that NumPy's
core links; 199 MB in all on Linux)."""
BAKED_VERSION = "_build_version.txt"
"""Written at build time into the bundle's connect_desktop/ folder (see connect_desktop.version)."""

OUR_PACKAGES = ("connect_desktop", "connect_server", "ui")
MIGRATION_DIRS = ("connect_desktop/store/migrations", "connect_server/migrations")
"""Alembic reads env.py and versions/*.py from disk: they must be files in the bundle."""
RESOURCE_DIR = "resources"

DYNAMIC_IMPORTS = (
    # uvicorn picks its loop, protocol and lifespan implementations by name
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.off",
    "uvicorn.lifespan.on",
    # SQLAlchemy loads its dialect from the URL; Alembic its DDL implementation
    "sqlalchemy.dialects.sqlite.pysqlite",
    "alembic.ddl.sqlite",
    "alembic.runtime.environment",
    # openpyxl reads workbooks back (self-test, importing)
    "openpyxl.reader.excel",
    # the keyring finds its backend through entry points at run time
    "keyring.backends.fail",
    "keyring.backends.chainer",
)
"""Modules the app imports by name at run time, where PyInstaller's analysis cannot see it."""

PLATFORM_KEYRING = {
    "win32": ("keyring.backends.Windows",),
    "darwin": ("keyring.backends.macOS",),
    "linux": ("keyring.backends.SecretService",),
}

EXCLUDED_MODULES = (
    "tkinter",
    "_tkinter",
    "tests",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "IPython",
    "pandas",
    # pretty printing that newer server libraries pull in for their own command lines
    "rich",
    "pygments",
    "markdown_it",
    "matplotlib",
    "PIL",
    "psycopg",  # the desktop and its demo use SQLite; PostgreSQL is for a self-hosted server
    "psycopg_binary",
    "psycopg2",
    "setuptools",
    "pip",
    "PyInstaller",
    "mypy",  # the type checker (a dev tool); pydantic's optional mypy plugin would pull it in
    "mypyc",
    "mypy_extensions",
    "ast_serialize",
    "pydantic.mypy",
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtDBus",
    "PySide6.QtConcurrent",
    "PySide6.QtPrintSupport",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.Qt3DCore",
    "PySide6.QtMultimedia",
    "PySide6.QtCharts",
    "PySide6.QtLabsStyleKit",
)
"""Python modules kept out of the analysis: unused Qt modules, test and build tools."""

QT_USED = ("QtCore", "QtGui", "QtWidgets")
"""The only Qt modules the app imports (a test checks the source against this)."""

EXCLUDED_FILE_PARTS = (
    "/translations/",  # Qt's own .qm files: the app installs no QTranslator
    "/qml/",
    "/plugins/imageformats/",  # the app shows no images (icons come from the style)
    "/plugins/iconengines/",
    "/plugins/tls/",
    "/plugins/networkinformation/",
    "/plugins/sqldrivers/",
    "/plugins/printsupport/",
    "/plugins/platforms/libqminimal",
    "/plugins/platforms/libqvnc",
    "/plugins/platforms/libqlinuxfb",
    "/plugins/platforms/libqeglfs",
    "/plugins/platforms/libqvkkhrdisplay",
    "/plugins/platforms/libqminimalegl",
    "/plugins/platforms/qminimal",
    "/plugins/platforms/qdirect2d",
    "/plugins/egldeviceintegrations/",
    "/plugins/wayland-",
    "/plugins/platforms/libqwayland",
    "/plugins/generic/",
    "/plugins/platformthemes/libqgtk3",
    "/plugins/platformthemes/libqxdgdesktopportal",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "Qt6Svg",
    "Qt6Network",
    "Qt6OpenGL.",
    "Qt6OpenGLWidgets",
    "Qt6WaylandClient",
    "Qt6WaylandEgl",
    "Qt6WlShell",
    "Qt6VirtualKeyboard",
    "Qt6Xml",
    "Qt6Sql",
    "Qt6Test",
    "opengl32sw.dll",  # Windows: software OpenGL, for Qt Quick; the widgets do not use it
    "d3dcompiler_47.dll",
    "QtQuick.framework",  # macOS names
    "QtQml.framework",
    "QtQmlModels.framework",
    "QtPdf.framework",
    "QtVirtualKeyboard.framework",
)
"""Files (binaries and data, matched on their path with `/`) dropped after the analysis."""

QT_PLATFORM_PLUGINS = {
    "linux": ("libqoffscreen", "libqxcb"),
    "win32": ("qoffscreen", "qwindows"),
    "darwin": ("libqoffscreen", "libqcocoa"),
}
"""Qt platform plugins the bundle must carry: offscreen (self-test) and the desktop's own."""

FORBIDDEN_IN_BUNDLE = (
    "tests/",
    "_pytest",
    "hypothesis",
    "QtWebEngine",
    "Qt3D",
    "QtMultimedia",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "QtQuick.framework",
    "QtPdf.framework",
    "opengl32sw",
    "psycopg",
)
"""Parts of a path that must not appear anywhere in the built bundle."""


NOT_ON_LINUX = ("cryptography",)
"""Linux needs cryptography for the keyring (SecretService); Windows and macOS do not."""


def excluded_modules() -> list[str]:
    extra = () if platform_key() == "linux" else NOT_ON_LINUX
    return [*EXCLUDED_MODULES, "urllib3.contrib.pyopenssl", *extra]


def project_version() -> str:
    """The version in pyproject.toml (the one source of the version)."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def migration_files() -> list[Path]:
    """Every file Alembic may read from the migration folders (sources, not caches)."""
    files: list[Path] = []
    for folder in MIGRATION_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".mako"):
                files.append(path)
    return files


def resource_files() -> list[Path]:
    folder = ROOT / RESOURCE_DIR
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def data_files() -> list[tuple[str, str]]:
    """PyInstaller `datas`: (source file, destination folder inside the bundle)."""
    return [(str(p), str(p.parent.relative_to(ROOT))) for p in [*migration_files(), *resource_files()]]


def our_modules() -> list[str]:
    """Every module of the three packages (all are bundled, imported statically or not)."""
    names: list[str] = []
    for package in OUR_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts or "__pycache__" in relative.parts:
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            names.append(".".join(parts))
    return names


def hidden_imports() -> list[str]:
    return [*our_modules(), *DYNAMIC_IMPORTS, *PLATFORM_KEYRING.get(platform_key(), ())]


def imports_of(path: Path) -> Iterator[str]:
    """Absolute modules a source file imports (`from a import b` yields `a`, and `a.b` if a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "__future__":
                continue
            yield node.module
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if _is_module(candidate):
                    yield candidate


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def required_modules() -> set[str]:
    """Modules that must be importable in the bundle: ours, the dynamic ones, the migrations' imports."""
    required = set(hidden_imports())
    for path in migration_files():
        if path.suffix == ".py":
            required.update(imports_of(path))
    return required


def missing_modules(bundled: Iterable[str], required: Iterable[str] | None = None) -> list[str]:
    """Required modules that the analysis did not put into the bundle (builtins count as present)."""
    present = set(bundled) | set(sys.builtin_module_names)
    return sorted(name for name in (required or required_modules()) if name not in present)


UNSTRIPPABLE_PARTS = ("numpy.libs/",)
"""Libraries `strip` breaks: the OpenBLAS of NumPy's wheels then fails to load ("ELF load
command address/offset not page-aligned"), so they ship as the wheel has them."""


def restore_unstrippable(binaries: Iterable[tuple[str, str, str]], collected: Path) -> None:
    """Copy the libraries of UNSTRIPPABLE_PARTS over their stripped copies in `collected`."""
    for dest, source, _kind in binaries:
        if any(part in "/" + dest.replace("\\", "/") for part in UNSTRIPPABLE_PARTS):
            for target in collected.rglob(Path(dest).name):
                shutil.copy2(source, target)


def excluded_file(dest: str) -> bool:
    """True for a file the bundle should not carry (see EXCLUDED_FILE_PARTS)."""
    path = "/" + dest.replace("\\", "/")
    return any(part in path for part in EXCLUDED_FILE_PARTS)


def unreferenced_libraries(
    binaries: list[tuple[str, str, str]], imports: Callable[[str], Iterable[str]]
) -> set[str]:
    """Shared libraries (by destination) that no kept extension, Qt plugin or Python needs.

    After plugins are dropped, the libraries only they linked (GTK, cairo, EGL device
    integrations…) are still in the list; this walks the link graph from what is kept.
    `imports(source)` gives the library names a binary links against.
    """
    by_name = {Path(dest).name: (dest, source) for dest, source, _kind in binaries}
    roots = [
        (dest, source)
        for dest, source, kind in binaries
        if kind == "EXTENSION" or "/plugins/" in "/" + dest.replace("\\", "/") or "libpython" in dest
    ]
    reached: set[str] = set()
    todo = list(roots)
    while todo:
        dest, source = todo.pop()
        if dest in reached:
            continue
        reached.add(dest)
        for name in imports(source):
            found = by_name.get(Path(name).name)
            if found is not None and found[0] not in reached:
                todo.append(found)
    return {dest for dest, _source, _kind in binaries if dest not in reached}

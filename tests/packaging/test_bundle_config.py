"""What the PyInstaller spec puts in the bundle matches what the app loads at run time."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

from tests.packaging.conftest import ROOT


def _qt_modules_imported() -> set[str]:
    used: set[str] = set()
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            used.update(name.split(".")[1] for name in names if name.startswith("PySide6.Qt"))
    return used


def test_the_qt_modules_the_app_imports_are_declared_and_not_excluded(bundle: ModuleType) -> None:
    used = _qt_modules_imported()
    assert used <= set(bundle.QT_USED), (
        f"add to QT_USED (and check EXCLUDED_MODULES): {used - set(bundle.QT_USED)}"
    )
    excluded = {name.removeprefix("PySide6.") for name in bundle.EXCLUDED_MODULES}
    assert not used & excluded


def test_both_migration_folders_ship_their_python_files(bundle: ModuleType) -> None:
    files = {path.relative_to(ROOT).as_posix() for path in bundle.migration_files()}
    for folder in ("connect_desktop/store/migrations", "connect_server/migrations"):
        assert f"{folder}/env.py" in files
        versions = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder / "versions").glob("*.py")}
        assert versions and versions <= files
    assert not any("__pycache__" in name for name in files)
    destinations = {dest for _source, dest in bundle.data_files()}
    assert "connect_server/migrations/versions" in {d.replace("\\", "/") for d in destinations}


def test_the_migrations_imports_are_required_in_the_bundle(bundle: ModuleType) -> None:
    required = bundle.required_modules()
    assert {
        "alembic",
        "alembic.op",
        "sqlalchemy",
        "connect_server.models",
        "connect_desktop.store.models",
    } <= required
    assert "ui.selftest" in required and "uvicorn.protocols.http.h11_impl" in required
    assert bundle.missing_modules(["alembic"], required=["alembic", "alembic.op", "sys"]) == ["alembic.op"]


def test_unused_qt_parts_and_test_tools_are_left_out(bundle: ModuleType) -> None:
    assert bundle.excluded_file("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle.excluded_file("PySide6/Qt/lib/libQt6Quick.so.6")
    assert bundle.excluded_file("PySide6\\plugins\\imageformats\\qjpeg.dll")
    assert not bundle.excluded_file("PySide6/Qt/plugins/platforms/libqoffscreen.so")
    assert not bundle.excluded_file("PySide6/Qt/lib/libQt6Widgets.so.6")
    for name in ("tests", "pytest", "hypothesis", "PySide6.QtQml", "PySide6.QtWebEngineCore"):
        assert name in bundle.excluded_modules()


def test_libraries_only_dropped_plugins_needed_are_pruned(bundle: ModuleType) -> None:
    binaries = [
        ("PySide6/QtWidgets.abi3.so", "src/QtWidgets", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "src/libQt6Widgets", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "src/libqxcb", "BINARY"),
        ("libxcb-icccm.so.4", "src/icccm", "BINARY"),
        ("libgtk-3.so.0", "src/gtk", "BINARY"),
        ("libcairo.so.2", "src/cairo", "BINARY"),
    ]
    links = {
        "src/QtWidgets": ["libQt6Widgets.so.6"],
        "src/libqxcb": ["/usr/lib/libxcb-icccm.so.4"],
        "src/gtk": ["libcairo.so.2"],
    }
    unused = bundle.unreferenced_libraries(binaries, lambda source: links.get(source, []))
    assert unused == {"libgtk-3.so.0", "libcairo.so.2"}


def test_the_version_comes_from_pyproject(bundle: ModuleType) -> None:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as handle:
        assert bundle.project_version() == tomllib.load(handle)["project"]["version"]


def test_the_scripts_name_the_bundle_the_spec_builds(bundle: ModuleType) -> None:
    iss = (ROOT / "installer" / "windows.iss").read_text(encoding="utf-8")
    assert f'#define BundleDir "..\\dist\\{bundle.APP_NAME}"' in iss
    assert f'#define AppExe "{bundle.APP_NAME}.exe"' in iss
    assert f'#define ConsoleExe "{bundle.CONSOLE_NAME}.exe"' in iss
    assert "PrivilegesRequired=lowest" in iss
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert f"dist/{bundle.APP_NAME}-" in workflow
    desktop = (ROOT / "installer" / "linux" / "connect-desktop.desktop").read_text(encoding="utf-8")
    assert f'Exec="@BUNDLE@/{bundle.APP_NAME}"' in desktop
    assert Path(ROOT / "installer" / "dmg_settings.py").exists()


def _fake_bundle(bundle: ModuleType, folder: Path) -> Path:
    """A bundle-shaped folder with every data file and plugin, no real binaries."""
    import shutil
    import sys

    dist = folder / bundle.APP_NAME
    inside = dist / "_internal"
    for source in [*bundle.migration_files(), *bundle.resource_files()]:
        target = inside / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (inside / "connect_desktop" / bundle.BAKED_VERSION).write_text(bundle.project_version(), encoding="utf-8")
    platforms = inside / "PySide6" / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    for plugin in bundle.QT_PLATFORM_PLUGINS[bundle.platform_key()]:
        (platforms / f"{plugin}.plugin").write_bytes(b"")
    name = f"{bundle.CONSOLE_NAME}.exe" if sys.platform == "win32" else bundle.APP_NAME
    (dist / name).write_bytes(b"")
    return dist


def test_the_file_check_names_what_is_missing_or_should_not_be_there(
    bundle: ModuleType, tmp_path: Path
) -> None:
    from tests.packaging.conftest import load_installer_module

    check = load_installer_module("check_bundle")
    dist = _fake_bundle(bundle, tmp_path)
    assert list(check.file_problems(dist)) == []
    (dist / "_internal" / "connect_server" / "migrations" / "env.py").unlink()
    next(p for p in (dist / "_internal").rglob("*qoffscreen*")).unlink()
    (dist / "_internal" / "tests").mkdir()
    problems = list(check.file_problems(dist))
    assert "missing data file connect_server/migrations/env.py" in problems
    assert any("missing Qt platform plugin" in p and "qoffscreen" in p for p in problems)
    assert any(p.startswith("should not be in the bundle: tests/") for p in problems)

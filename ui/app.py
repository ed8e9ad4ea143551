"""`connect-desktop` without a command: set up Qt, logging and error handling, open the app."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ui.display import NO_DISPLAY_MESSAGE, has_display, uses_x11, x11_problem

if TYPE_CHECKING:
    from ui.errors import ErrorReporter
    from ui.headless import HeadlessGuard
    from ui.messages import MessageBridge
    from ui.settings import UiSettings
    from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

STYLE_SHEET = Path(__file__).resolve().parent.parent / "resources" / "style.qss"


@dataclass(frozen=True)
class AppServices:
    """What every window of the app shares, built once by `run_gui` (or a test)."""

    runner: TaskRunner
    """Runs all background work."""
    reporter: ErrorReporter
    """Shows what went wrong (a plain message, or a bug report)."""
    settings: UiSettings
    """The window's own settings (geometry, wizard place)."""
    bridge: MessageBridge
    """Status-bar messages from anywhere."""


def parse_args(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="connect-desktop", description="The Connect year-end assistant.")
    parser.add_argument("--demo", action="store_true", help="open the app on an embedded demo district")
    parser.add_argument(
        "--demo-dir", type=Path, help="keep the demo's files here (default: a temporary folder)"
    )
    parser.add_argument("--demo-students", type=int, default=2_000, help="students in the demo district")
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="with --demo: walk every screen offscreen, save PNGs into DIR, exit",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="with --screenshots: show the windows on this display and save what the screen shows "
        "(title bar and frame included; needs a window manager)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offscreen on a small demo district; exit 0 when all is well",
    )
    parser.add_argument(
        "--startup-probe",
        action="store_true",
        help="print how long the first window (with --demo: the main window) took to appear, then exit",
    )
    return parser.parse_args(args)


def load_style_sheet() -> str:
    try:
        return STYLE_SHEET.read_text(encoding="utf-8")
    except OSError:
        return ""


def run_gui(args: list[str]) -> int:
    """Open the desktop app; returns the exit code."""
    options = parse_args(args)
    if options.screenshots is not None:
        options.demo = True
        if not options.live:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if options.self_test:
        options.demo = True
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if not has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 3
    problem = x11_problem() if uses_x11() else None
    if problem is not None:
        print(problem, file=sys.stderr)
        return 3
    demo_dir: Path | None = None
    if options.demo:
        prefix = "connect-self-test-" if options.self_test else "connect-demo-"
        demo_dir = options.demo_dir or Path(tempfile.mkdtemp(prefix=prefix))
        os.environ["CONNECT_DESKTOP_HOME"] = str(demo_dir / "home")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.controller import AppController
    from ui.errors import ErrorReporter
    from ui.logs import setup_logging
    from ui.messages import MessageBridge
    from ui.settings import UiSettings
    from ui.tasks import TaskRunner

    log_file = setup_logging()
    guard = headless_guard(options)
    log.info("starting Connect Desktop (demo=%s)", options.demo)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("Connect Desktop")
    app.setOrganizationName("Connect")
    app.setStyleSheet(load_style_sheet())
    reporter = ErrorReporter(lambda: app.activeWindow()) if guard is None else guard.reporter()
    runner = TaskRunner(on_unhandled=reporter.report)
    if guard is None:
        sys.excepthook = reporter.excepthook
    settings = UiSettings(
        QSettings(str(demo_dir / "ui-settings.ini"), QSettings.Format.IniFormat) if demo_dir else None
    )
    controller = AppController(AppServices(runner, reporter, settings, MessageBridge()))
    controller.quit_requested.connect(app.quit)
    if options.startup_probe:
        from ui.startup import StartupProbe

        probe = StartupProbe(app, wait_for_main=options.demo)
        controller.main_shown.connect(lambda window: window.summary_loaded.connect(probe.main_ready))
    if options.self_test:
        from PySide6.QtCore import QTimer

        from ui.selftest import SelfTest

        assert demo_dir is not None and guard is not None
        self_test = SelfTest(controller, demo_dir, guard)
        self_test.finished.connect(app.exit)
        QTimer.singleShot(0, self_test.start)
    elif options.screenshots is not None:
        from ui.screenshots import ScreenshotWalker

        assert demo_dir is not None
        reporter.modal = False
        walker = ScreenshotWalker(controller, options.screenshots, live=options.live)
        walker.finished.connect(app.exit)
        controller.start_demo(demo_dir, options.demo_students, auto_sign_in=False)
    elif demo_dir is not None:
        controller.start_demo(demo_dir, options.demo_students, temporary=options.demo_dir is None)
    else:
        controller.show_sign_in()
    app.setQuitOnLastWindowClosed(False)
    code = app.exec()
    controller.shutdown()
    log.info("exit %d (log: %s)", code, log_file.name)
    if demo_dir is not None and options.demo_dir is None:  # a temporary folder: never left behind
        if code == 0 or not options.self_test:
            logging.shutdown()
            shutil.rmtree(demo_dir, ignore_errors=True)
        else:
            print(f"self-test: its files and log are kept in {demo_dir}", file=sys.stderr)
    return code


def headless_guard(options: argparse.Namespace) -> HeadlessGuard | None:
    """In --self-test and --screenshots, unexpected errors end the run at once (see ui.headless)."""
    if not options.self_test and options.screenshots is None:
        return None
    from ui.headless import HeadlessGuard

    guard = HeadlessGuard(
        "self-test" if options.self_test else "screenshots", problems_fail=options.self_test
    )
    guard.install()
    return guard

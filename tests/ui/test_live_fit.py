"""Every screen fits common displays in a real window: Xvfb with a window manager (openbox).

`python3 dev.py shots` walks the demo's screens at a screen size and scale, in a real X
display where the window manager adds its title bar and frame. The walk checks each
shown window (`ui.screenshots.fit_problems`: the whole frame on the screen's free area,
the wizard's Back and Next unclipped) and ends with exit 1 when one does not fit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Xvfb and openbox are Linux tools")


@pytest.mark.parametrize(
    ("size", "scale"),
    [("1024x768", "1"), ("1280x800", "1"), ("1920x1080", "1.5")],
    ids=["1024x768", "1280x800", "1920x1080-at-150%"],
)
def test_every_screen_fits_a_real_window_on_common_displays(tmp_path: Path, size: str, scale: str) -> None:
    assert shutil.which("Xvfb") and shutil.which("openbox"), "CI installs xvfb and openbox (.ci/run)"
    folder = tmp_path / "shots"
    done = subprocess.run(
        [sys.executable, ROOT / "dev.py", "shots", folder, "--size", size, "--scale", scale],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    unfit = [line for line in done.stdout.splitlines() if line.startswith("does not fit")]
    assert unfit == [] and done.returncode == 0, (unfit, done.stderr[-2000:])
    shots = sorted(folder.glob("*.png"))
    assert len(shots) >= 30  # every step, its dialogs and the error windows
    width, height = (int(n) for n in size.split("x"))
    for shot in shots:  # what the screen showed: never larger than the screen
        image = QImage(str(shot))
        assert 0 < image.width() <= width and 0 < image.height() <= height, shot.name

"""Hypothesis keeps its files in a temporary folder: nothing is written into the repository."""

from __future__ import annotations

import atexit
import shutil
import tempfile

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

_home = tempfile.mkdtemp(prefix="hypothesis-rostering-")
atexit.register(shutil.rmtree, _home, True)
set_hypothesis_home_dir(_home)
settings.register_profile("rostering", database=None)
settings.load_profile("rostering")

"""`connect-desktop rescue --restore FILE` refuses a file it cannot use with a plain reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from connect_desktop.store.rescue import RescueFileError, read_export


def test_a_file_that_is_not_text_is_refused_plainly(tmp_path: Path) -> None:
    binary = tmp_path / "photo.json"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not utf-8 \x80\x81")
    with pytest.raises(RescueFileError, match=r"cannot be read \(not text\)"):
        read_export(binary)


def test_a_folder_given_as_the_file_is_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(RescueFileError, match="cannot be read"):
        read_export(tmp_path)

"""Broken and hostile packages: each fault is a plain finding naming the file, never a traceback.

Every package is made here, with zipfile and by patching its bytes, and given to the real
commands in-process: `connect-desktop validate` (`connect_desktop.cli.main`), `preview-rollover`
(`run_rostering_command` over an empty cache, as in test_cli.py), and `connect-server sync
preview` / `sync run` (`connect_server.cli.main`).
"""

from __future__ import annotations

import errno
import functools
import io
import json
import struct
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connect_desktop import cli as desktop_cli
from connect_desktop.rostering.validate import validate_source
from connect_desktop.store.paths import HOME_ENV
from connect_server.cli import main as server_main
from tests.rostering.district import write_folder, write_zip
from tests.rostering.test_cli import cli as rostering_cli
from tests.rostering.test_cli import empty_cache
from tests.server_sync.package import District

CHUNK = 1 << 16
"""How much of a file the reader takes at a time: recognising an export reads only this much."""


@functools.cache
def _district() -> dict[str, str]:
    return District(students=range(1500)).files()


def files() -> dict[str, str | bytes]:
    """A valid package whose users.csv (230 KB) is read in several chunks."""
    return dict(_district())


# -- making broken zips ---------------------------------------------------------------
def stored_zip(path: Path, content: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, text in content.items():
            archive.writestr(name, text)
    return path


def offsets(path: Path, name: str) -> tuple[int, int, int, int]:
    """`name`'s local header, its data, its central directory record, and its compressed size."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info, at = archive.getinfo(name), archive.start_dir
    n, m = struct.unpack_from("<HH", data, info.header_offset + 26)
    while data[at + 46 : at + 46 + len(name)] != name.encode():
        assert data[at : at + 4] == b"PK\x01\x02"
        at += 46 + sum(struct.unpack_from("<HHH", data, at + 28))
    return info.header_offset, info.header_offset + 30 + n + m, at, info.compress_size


def patch(path: Path, *edits: tuple[int, bytes]) -> Path:
    data = bytearray(path.read_bytes())
    for at, new in edits:
        data[at : at + len(new)] = new
    path.write_bytes(bytes(data))
    return path


def flip_byte(path: Path, name: str) -> Path:
    """One byte in the middle of `name`'s data changed, as a bad disk or download does."""
    _, start, _, size = offsets(path, name)
    at = start + size // 2
    return patch(path, (at, bytes([path.read_bytes()[at] ^ 0x01])))


def set_method(path: Path, name: str, method: int) -> Path:
    local, _, central, _ = offsets(path, name)
    new = struct.pack("<H", method)
    return patch(path, (local + 8, new), (central + 10, new))


def set_encrypted(path: Path, name: str) -> Path:
    local, _, central, _ = offsets(path, name)
    return patch(path, (local + 6, struct.pack("<H", 1)), (central + 8, struct.pack("<H", 1)))


def truncated(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def with_folder_named_users(path: Path) -> Path:
    write_zip(path, {k: v for k, v in files().items() if k != "users.csv"})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo("users.csv/"), b"")
    return path


def windows_1252(path: Path) -> Path:
    content = files()
    text = str(content["users.csv"]).replace(",Kid5,", ",Zoë,")
    content["users.csv"] = text.encode("cp1252")
    return write_zip(path, content)


def row_of(prefix: str) -> int:
    """The row (the header is row 1) of users.csv that starts with `prefix`."""
    lines = str(files()["users.csv"]).split("\r\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))


# -- faults while a package is being read ------------------------------------------------
class _Tripwire(io.RawIOBase):
    """users.csv's bytes, which run `action` once the reader asks for more than the first chunk."""

    def __init__(self, raw: Any, action: Callable[[], None]) -> None:
        self._raw, self._action, self._at = raw, action, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._at >= CHUNK:
            self._action()
        data: bytes = self._raw.read(size)
        self._at += len(data)
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def during_users_read(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run `action` while users.csv of a folder or zip package is being read past its first chunk."""
    open_path, open_member = Path.open, zipfile.ZipFile.open

    def path_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raw = open_path(self, mode, *args, **kwargs)
        return _Tripwire(raw, action) if self.name == "users.csv" and "b" in mode else raw

    def member_open(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        raw = open_member(self, name, *args, **kwargs)
        return _Tripwire(raw, action) if getattr(name, "filename", name) == "users.csv" else raw

    monkeypatch.setattr(Path, "open", path_open)
    monkeypatch.setattr(zipfile.ZipFile, "open", member_open)


def vanishing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_folder(tmp_path / "export", files())
    during_users_read(monkeypatch, lambda: (folder / "enrollments.csv").unlink(missing_ok=True))
    return folder


def io_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def fail() -> None:
        raise OSError(errno.EIO, "Input/output error")

    folder = write_folder(tmp_path / "export", files())
    during_users_read(monkeypatch, fail)
    return folder


def cut_while_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The zip is cut short on disk (a copy over it, a full disk) while users.csv is read."""
    path = write_zip(tmp_path / "export.zip", files())
    end = offsets(path, "enrollments.csv")[0] + 10

    def cut() -> None:
        with path.open("r+b") as file:
            file.truncate(end)

    during_users_read(monkeypatch, cut)
    return path


@dataclass(frozen=True)
class Fault:
    make: Callable[[Path, pytest.MonkeyPatch], Path]
    says: tuple[str, ...]  # what the output must hold: the file, and what is wrong


def _zip(build: Callable[[Path], Path]) -> Callable[[Path, pytest.MonkeyPatch], Path]:
    return lambda tmp_path, _monkeypatch: build(tmp_path / "export.zip")


FAULTS = {
    "bad CRC, stored": Fault(
        _zip(lambda p: flip_byte(stored_zip(p, files()), "users.csv")),
        ("users.csv", "The export is damaged (users.csv fails its checksum)", "export the package again"),
    ),
    "bad CRC, deflated": Fault(
        _zip(lambda p: flip_byte(write_zip(p, files()), "users.csv")),
        ("users.csv", "The export is damaged (users.csv", "export the package again"),
    ),
    "truncated zip": Fault(
        _zip(lambda p: truncated(write_zip(p, files()))),
        ("export.zip", "incomplete zip", "export the package again"),
    ),
    "overwritten header": Fault(
        _zip(lambda p: patch(write_zip(p, files()), (offsets(p, "roles.csv")[0], b"XXXX"))),
        ("roles.csv", "The export is damaged (roles.csv cannot be unpacked)"),
    ),
    "deflate64": Fault(
        _zip(lambda p: set_method(write_zip(p, files()), "users.csv", 9)),
        ("users.csv", "compressed with Deflate64", "Zip the files again"),
    ),
    "PPMd": Fault(
        _zip(lambda p: set_method(write_zip(p, files()), "roles.csv", 98)),
        ("roles.csv", "compressed with PPMd", "Zip the files again"),
    ),
    "encrypted": Fault(
        _zip(lambda p: set_encrypted(write_zip(p, files()), "users.csv")),
        ("users.csv", "protected by a password", "without a password"),
    ),
    "folder named users.csv": Fault(
        _zip(with_folder_named_users), ("users.csv", "is a folder, not a CSV file")
    ),
    "Windows-1252": Fault(
        _zip(windows_1252),
        ("users.csv", f"row {row_of('s-5,')}", "not UTF-8", "Windows-1252", "'Zoë'", "CSV UTF-8"),
    ),
    "file vanishes": Fault(vanishing, ("enrollments.csv", "disappeared while the export was being read")),
    "I/O error": Fault(io_error, ("users.csv", "cannot be read (Input/output error)")),
    "zip cut while read": Fault(
        cut_while_read, ("enrollments.csv", "The export is damaged (enrollments.csv cannot be unpacked)")
    ),
}


@pytest.fixture(params=list(FAULTS), ids=list(FAULTS))
def fault(request: pytest.FixtureRequest) -> Fault:
    return FAULTS[request.param]


def no_traceback(output: str, caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in output
    assert not [r for r in caplog.records if r.exc_info], "an exception was logged"


def says(output: str, fault: Fault) -> None:
    for part in fault.says:
        assert part in output, f"{part!r} not in:\n{output}"


# -- the desktop ----------------------------------------------------------------------------
def test_validate_says_what_is_wrong(
    fault: Fault,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    path = fault.make(tmp_path, monkeypatch)
    code = desktop_cli.main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    says(out + err, fault)
    assert "cannot be used" in out
    no_traceback(out + err, caplog)


def test_validate_json_names_the_file(fault: Fault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = fault.make(tmp_path, monkeypatch)
    code, out, _ = rostering_cli("validate", str(path), "--json")
    errors = json.loads(out)["errors"]
    assert code == 1 and errors
    assert any(fault.says[0] == e["file"] or fault.says[0] in e["message"] for e in errors), errors


def test_preview_rollover_says_what_is_wrong(
    fault: Fault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = fault.make(tmp_path, monkeypatch)
    code, out, err = rostering_cli("preview-rollover", str(path), open_cache=empty_cache(tmp_path))
    assert code == 1, out + err
    says(out + err, fault)
    assert "no preview was made" in out
    no_traceback(out + err, caplog)


# -- the server -------------------------------------------------------------------------
def server(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = server_main(["sync", *argv])
    out, err = capsys.readouterr()
    return code, out + err


def test_server_preview_and_run_say_what_is_wrong(
    fault: Fault,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = fault.make(tmp_path, monkeypatch)
    code, out = server("set-source", "--db", db_url, "--no-check", "oneroster-csv", str(path), capsys=capsys)
    assert code == 0, out
    code, out = server("preview", "--db", db_url, capsys=capsys)
    assert code == 1, out
    says(out, fault)
    no_traceback(out, caplog)
    monkeypatch.undo()  # the same fault again, for the run
    fault.make(tmp_path, monkeypatch)
    code, out = server("run", "--db", db_url, "--json", capsys=capsys)
    run = json.loads(out)
    assert code == 1 and run["status"] == "failed", out
    says(run["message"], fault)
    no_traceback(out, caplog)


def test_set_source_refuses_a_damaged_zip(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    for name, make in {
        "crc": lambda p: flip_byte(write_zip(p, files()), "users.csv"),
        "deflate64": lambda p: set_method(write_zip(p, files()), "users.csv", 9),
        "encrypted": lambda p: set_encrypted(write_zip(p, files()), "users.csv"),
    }.items():
        path = make(tmp_path / f"{name}.zip")
        code, out = server("set-source", "--db", db_url, "oneroster-csv", str(path), capsys=capsys)
        assert code != 0 and "users.csv" in out, out
        no_traceback(out, caplog)
    code, out = server("run", "--db", db_url, "--json", capsys=capsys)
    assert code != 0 and "No sync source is set up" in out


# -- bounded work ------------------------------------------------------------------------
def bomb(path: Path, rows: int) -> Path:
    """A package whose users.csv is `rows` rows (~70 bytes each) that all point at a missing school.

    It compresses about 10 times, well under the ratio that marks a zip bomb.
    """
    content = files()
    header = str(content["users.csv"]).split("\r\n", 1)[0]
    body = "".join(f"u-{i},,,true,u-{i},,Kid,Family,,{i},,,,,03,,,,,,sch-gone,\r\n" for i in range(rows))
    content["users.csv"] = f"{header}\r\n{body}"
    return write_zip(path, content)


def test_a_package_of_errors_stops_after_1000_and_says_what_was_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    path = bomb(tmp_path / "bomb.zip", 300_000)  # 21 MB unpacked, 2 MB packed
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("users.csv").file_size > 20_000_000
    started = time.monotonic()
    code = desktop_cli.main(["validate", str(path)])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("Stopped after 1,000 errors"), first
    assert "Not read: users.csv from row " in first and "enrollments.csv" in first
    assert "Fix these first" in first
    assert "1,000 rows point at sourcedIds that are not in orgs.csv: users.csv rows 2–1001" in out
    assert "bomb.zip: 1,000 errors" in out
    assert elapsed < 10, f"validate took {elapsed:.1f} s"  # reading it all takes ~10 s and 300,000 errors


def test_the_stop_reaches_the_server_run(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bomb(tmp_path / "bomb.zip", 5_000)
    assert (
        server("set-source", "--db", db_url, "--no-check", "oneroster-csv", str(path), capsys=capsys)[0] == 0
    )
    code, out = server("run", "--db", db_url, "--json", capsys=capsys)
    run = json.loads(out)
    assert code == 1 and run["status"] == "failed"
    assert "1,000 errors" in run["message"] and "Stopped after 1,000 errors" in run["message"]
    assert "Not read: users.csv from row" in run["message"]


def test_a_zip_declaring_more_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    """users.csv claims 3 GB unpacked (a district's largest file is ~350 MB): refused before reading."""
    path = write_zip(tmp_path / "big.zip", files())
    local, _, central, _ = offsets(path, "users.csv")
    size = struct.pack("<I", 3 << 30)
    patch(path, (local + 22, size), (central + 24, size))
    report = validate_source(path)
    big = [d for d in report.diagnostics if d.code == "oversized_entry"]
    assert [d.file for d in big] == ["users.csv"] and "3,221,225,472 bytes" in big[0].message
    assert not any(d.code in ("damaged_entry", "stopped") for d in report.diagnostics)


def test_a_folder_named_like_a_csv_in_a_folder_package(tmp_path: Path) -> None:
    content = {k: v for k, v in files().items() if k != "roles.csv"}
    folder = write_folder(tmp_path / "export", content)
    (folder / "roles.csv").mkdir()
    report = validate_source(folder)
    (diag,) = [d for d in report.diagnostics if d.code == "not_a_file"]
    assert diag.file == "roles.csv" and "folder" in diag.message and not report.ok

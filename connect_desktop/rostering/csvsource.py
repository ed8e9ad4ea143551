"""Open a CSV package (zip or folder) safely and stream its rows with row numbers.

Unsafe zip entries (absolute paths, `..`, symlinks), oversized entries and zip bombs are
refused before any byte is decompressed; reading is capped again while streaming, since
a zip's declared sizes can lie.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from connect_desktop.rostering.diagnostics import Diagnostics

GIB = 1 << 30
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits; the defaults fit the largest US district with room to spare."""

    max_entry_bytes: int = 8 * GIB
    max_total_bytes: int = 32 * GIB
    max_ratio: float = 200.0
    max_entries: int = 500
    max_field_chars: int = 1 << 20


class _Capped(io.RawIOBase):
    """A binary stream that fails once more than `limit` bytes were read."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self._raw, self._left, self.name_ = raw, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise OversizeError(self.name_)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class OversizeError(Exception):
    """An entry turned out larger than allowed while reading it."""


@dataclass(slots=True)
class CsvTable:
    """An open CSV file: its header and an iterator of (row number, values)."""

    file: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


class CsvPackage:
    """A folder or zip of CSV files at its root. Use as a context manager."""

    def __init__(self, path: str | Path, diags: Diagnostics, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.diags = diags
        self.limits = limits or Limits()
        self._zip: zipfile.ZipFile | None = None
        self._entries: dict[str, str] = {}  # file name at the root -> member name / path
        self._open()

    def __enter__(self) -> CsvPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    @property
    def names(self) -> list[str]:
        """File names found at the package root (after unsafe entries were dropped)."""
        return sorted(self._entries)

    # -- opening -------------------------------------------------------------------
    def _open(self) -> None:
        if self.path.is_dir():
            self._open_folder()
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            try:
                self._open_zip(self._zip)
            except BaseException:
                self.close()
                raise
        elif self.path.is_file():
            self.diags.error(
                "not_a_package",
                f"{self.path.name} is neither a zip file nor a folder.",
                "Choose the .zip your SIS exported, or the folder you unpacked it into.",
            )
        else:
            self.diags.error("not_found", f"{self.path} does not exist.", "Check the path.")

    def _open_folder(self) -> None:
        total = 0
        for item in sorted(self.path.iterdir()):
            if item.is_symlink():
                self.diags.error(
                    "unsafe_entry",
                    f"{item.name} is a symbolic link; it was not read.",
                    "Copy the real file into the folder instead of linking it.",
                    file=item.name,
                )
                continue
            if not item.is_file() or not item.name.lower().endswith(".csv"):
                continue
            size = item.stat().st_size
            total += size
            if self._size_ok(item.name, size, size):
                self._entries[item.name] = str(item)
        self._total_ok(total)

    def _open_zip(self, archive: zipfile.ZipFile) -> None:
        infos = archive.infolist()
        if len(infos) > self.limits.max_entries:
            self.diags.error(
                "too_many_entries",
                f"The zip holds {len(infos)} entries.",
                f"A OneRoster package has a few dozen files; at most {self.limits.max_entries}.",
            )
            return
        total = 0
        candidates: dict[str, list[tuple[str, str]]] = {}
        for info in infos:
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._"):
                continue
            if not self._zip_name_safe(info):
                continue
            total += info.file_size
            if not name.lower().endswith(".csv"):
                continue
            if not self._size_ok(name, info.file_size, info.compress_size):
                continue
            parts = PurePosixPath(name).parts
            folder = "/".join(parts[:-1])
            candidates.setdefault(folder, []).append((parts[-1], name))
        if not self._total_ok(total):
            return
        if "" in candidates:
            chosen = ""
        elif len(candidates) == 1:
            chosen = next(iter(candidates))
            self.diags.warning(
                "files_in_folder",
                f"The CSV files are inside the folder '{chosen}' of the zip.",
                "They were read from there; OneRoster puts them at the zip's root.",
            )
        else:
            chosen = ""
        for folder, files in candidates.items():
            if folder != chosen:
                for _, member in files:
                    self.diags.warning(
                        "ignored_entry",
                        f"{member} is not at the zip's root; it was ignored.",
                        "Put all CSV files at the root of the zip.",
                        file=member,
                    )
        for base, member in candidates.get(chosen, []):
            self._entries[base] = member

    def _zip_name_safe(self, info: zipfile.ZipInfo) -> bool:
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        bad = None
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            bad = "has an absolute path"
        elif ".." in path.parts:
            bad = "points outside the package ('..')"
        elif stat.S_ISLNK(info.external_attr >> 16):
            bad = "is a symbolic link"
        if bad:
            self.diags.error(
                "unsafe_entry",
                f"The zip entry '{name}' {bad}; it was not read.",
                "Re-create the zip from the exported files only.",
                file=name,
            )
            return False
        return True

    def _size_ok(self, name: str, size: int, compressed: int) -> bool:
        lim = self.limits
        if size > lim.max_entry_bytes:
            self.diags.error(
                "oversized_entry",
                f"{name} is {size:,} bytes; the limit is {lim.max_entry_bytes:,}.",
                "Check that this is the right file; split the export if it really is this big.",
                file=name,
            )
            return False
        if compressed and size > 1 << 20 and size / compressed > lim.max_ratio:
            self.diags.error(
                "zip_bomb",
                f"{name} expands {size / compressed:.0f} times; this looks like a zip bomb.",
                "Export the package again from the SIS.",
                file=name,
            )
            return False
        return True

    def _total_ok(self, total: int) -> bool:
        if total > self.limits.max_total_bytes:
            self.diags.error(
                "oversized_package",
                f"The package holds {total:,} bytes uncompressed; "
                f"the limit is {self.limits.max_total_bytes:,}.",
                "Check that this is the right file.",
            )
            return False
        return True

    # -- reading -------------------------------------------------------------------
    def find(self, name: str) -> str | None:
        """The actual file name for `name`, matching case-insensitively (with a warning)."""
        if name in self._entries:
            return name
        for actual in self._entries:
            if actual.lower() == name.lower():
                self.diags.warning(
                    "file_name_case",
                    f"The file is named {actual}; OneRoster names it {name}.",
                    f"Rename it to {name} (names are case-sensitive).",
                    file=actual,
                )
                return actual
        return None

    def _binary(self, name: str) -> IO[bytes]:
        member = self._entries[name]
        if self._zip is not None:
            info = self._zip.getinfo(member)
            raw: IO[bytes] = self._zip.open(info)
        else:
            raw = Path(member).open("rb")  # noqa: SIM115 - closed by the caller's TextIOWrapper
        return io.BufferedReader(_Capped(raw, self.limits.max_entry_bytes, name), 1 << 16)

    def table(self, name: str) -> CsvTable | None:
        """Open one file; None (with a diagnostic) if it cannot be read at all."""
        binary = self._binary(name)
        head = binary.peek(4)[:4]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            binary.close()
            self.diags.error(
                "bad_encoding",
                "The file is saved as UTF-16, not UTF-8.",
                "Save it again as 'CSV UTF-8 (comma delimited)'.",
                file=name,
                row=1,
            )
            return None
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
        rows = self._rows(name, text)
        first = next(rows, None)
        if first is None:
            text.close()
            self.diags.error(
                "empty_file",
                "The file is empty; it needs at least a header row.",
                "Export it again, or mark it 'absent' in manifest.csv.",
                file=name,
                row=1,
            )
            return None
        return CsvTable(name, first[1], rows)

    def _rows(self, name: str, text: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, strict=True)
        row = 0
        limit = self.limits.max_field_chars
        header: list[str] = []
        try:
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self._csv_error(name, row + 1, str(exc))
                    return
                row += 1
                if not values:
                    continue  # a blank line
                header = header or values
                joined = "".join(values)
                if joined.isascii() and len(joined) <= limit:
                    yield row, values  # the common case: nothing to check per value
                    continue
                for i, value in enumerate(values):
                    if not value.isascii() and _SURROGATE.search(value):
                        self.diags.error(
                            "bad_encoding",
                            "This row holds bytes that are not valid UTF-8 "
                            f"(near {value.encode('utf-8', 'surrogateescape')[:40]!r}).",
                            "Save the file as 'CSV UTF-8'; it was probably saved as ANSI/Latin-1.",
                            file=name,
                            row=row,
                            column=_column(header, i),
                        )
                        values[i] = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                    elif len(value) > limit:
                        self.diags.error(
                            "oversized_field",
                            f"A value of {len(value):,} characters.",
                            "Check for a missing closing quote just before it.",
                            file=name,
                            row=row,
                            column=_column(header, i),
                        )
                        return
                yield row, values
        except OversizeError:
            self.diags.error(
                "oversized_entry",
                "The file grew past the size limit while reading it.",
                "Check that this is the right file.",
                file=name,
            )
        finally:
            text.close()

    def _csv_error(self, name: str, row: int, message: str) -> None:
        if "NUL" in message:
            self.diags.error(
                "bad_encoding",
                "The file holds NUL bytes; it is not a text CSV file.",
                "Save it again as 'CSV UTF-8'.",
                file=name,
                row=row,
            )
        elif "unexpected end of data" in message or "field larger" in message or "EOF" in message:
            self.diags.error(
                "unclosed_quote",
                "A quoted value starts in this row and its closing quote is "
                "never found; the rest of the file was swallowed into it.",
                'Close the quote, and write a quote inside a value as two quotes ("").',
                file=name,
                row=row,
            )
        else:
            self.diags.error(
                "bad_quoting",
                f"The CSV quoting is broken here ({message}).",
                'Quote the whole value and double any quote inside it ("").',
                file=name,
                row=row,
            )


def _column(header: list[str], i: int) -> str:
    return header[i].strip() if i < len(header) and header[i].strip() else f"#{i + 1}"

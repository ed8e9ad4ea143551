"""Open a CSV package (zip or folder) safely and stream its rows with row numbers.

Unsafe zip entries (absolute paths, `..`, symlinks), oversized entries and zip bombs are
refused before any byte is decompressed; reading is capped again while streaming, since
a zip's declared sizes can lie. A damaged, truncated, encrypted or unusually compressed
zip, and a file that cannot be read, become diagnostics naming the file, never an
exception; reading stops after `Limits.max_errors` errors.
"""

from __future__ import annotations

import csv
import errno
import io
import lzma
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from connect_desktop.rostering.diagnostics import Diagnostics

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MIB = 1 << 20
GIB = 1 << 30
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit on reading a package, with its reason; the defaults fit the largest US district.

    That district (DESIGN.md: about 1,000,000 students, 2,000,000 contacts, 80,000 staff,
    7,000,000 enrollments) makes a OneRoster package of about 1 GB unpacked: the seeded demo
    district's package (`connect-server seed --packages`) scaled up gives users.csv ~350 MB,
    enrollments.csv ~330 MB, roles.csv ~190 MB. The limits leave about 4 times that, and
    refuse anything beyond before any work is done on it.
    """

    max_entry_bytes: int = 2 * GIB
    """One file unpacked: the largest real one is ~350 MB; also enforced while reading."""
    max_total_bytes: int = 4 * GIB
    """All files of the package unpacked together (the largest district's: ~1 GB)."""
    max_ratio: float = 200.0
    """How many times a file over 1 MB may expand: CSV exports expand 5–15 times, zip bombs 1,000."""
    max_entries: int = 500
    """Entries in the zip: a package has a few dozen files."""
    max_field_chars: int = 1 << 20
    """Characters in one value: a longer one is a quote left open that swallowed the file."""
    max_errors: int = 1000
    """Errors before reading stops. Past that the export is broken throughout (a wrong file,
    every row wrong), more findings help no one, and reading on would take minutes."""


class _Capped(io.RawIOBase):
    """A binary stream that fails once more than `limit` bytes were read."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self._raw, self._left, self.name_ = raw, limit, name
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)
        data = self._raw.read(len(view))
        self._left -= len(data)
        self.read_bytes += len(data)
        if self._left < 0:
            raise OversizeError(self.name_)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class OversizeError(Exception):
    """An entry turned out larger than allowed while reading it."""


_DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, struct.error, ValueError)
"""What zipfile raises for a damaged archive or member (bz2 raises a bare OSError)."""
_FAULTS = (OSError, RuntimeError, NotImplementedError, *_DAMAGED)
"""Everything reading a package's bytes can raise: each becomes a diagnostic."""
_METHODS = {9: "Deflate64", 10: "PKWARE DCL Implode", 12: "bzip2", 14: "LZMA", 93: "Zstandard",
            95: "xz", 96: "JPEG", 97: "WavPack", 98: "PPMd", 99: "AES encryption"}  # fmt: skip
"""Zip compression methods by number, to name one Python cannot unpack."""


def looks_like_zip(path: Path) -> bool:
    """True when the file starts as a zip does (whether or not it is complete)."""
    try:
        with path.open("rb") as file:
            return file.read(4) in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
    except OSError:
        return False


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
        self._sizes: dict[str, int] = {}  # file name -> its size unpacked
        self._failed: set[str] = set()  # files found damaged or unreadable (said once)
        diags.stop_after_errors(self.limits.max_errors)
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
        try:
            if self.path.is_dir():
                self._open_folder()
            elif zipfile.is_zipfile(self.path):
                self._zip = zipfile.ZipFile(self.path)
                self._open_zip(self._zip)
            elif looks_like_zip(self.path):
                self.diags.error(
                    "bad_zip",
                    f"{self.path.name} is an incomplete zip file: it ends before the list of the "
                    "files it holds, as when a download or copy is cut short.",
                    "Download or export the package again.",
                )
            elif self.path.is_file():
                with self.path.open("rb"):
                    pass  # a file that cannot be opened says so below, not "neither a zip"
                self.diags.error(
                    "not_a_package",
                    f"{self.path.name} is neither a zip file nor a folder.",
                    "Choose the .zip your SIS exported, or the folder you unpacked it into.",
                )
            else:
                self.diags.error("not_found", f"{self.path} does not exist.", "Check the path.")
        except _FAULTS as error:
            self.close()
            self._entries.clear()
            if isinstance(error, OSError) and error.errno is not None:
                self._fault(self.path.name, error, member=False)
            else:
                self.diags.error(
                    "bad_zip",
                    f"{self.path.name} is a damaged zip file: the list of the files it holds cannot be read.",
                    "Download or export the package again.",
                )

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
            if not item.name.lower().endswith(".csv"):
                continue
            try:
                info = item.stat()
            except OSError as error:
                self._fault(item.name, error)
                continue
            if not stat.S_ISREG(info.st_mode):
                self._not_a_file(item.name, "folder" if stat.S_ISDIR(info.st_mode) else "special file")
                continue
            total += info.st_size
            if self._size_ok(item.name, info.st_size, info.st_size):
                self._entries[item.name] = str(item)
                self._sizes[item.name] = info.st_size
        self._total_ok(total)

    def _not_a_file(self, name: str, what: str) -> None:
        self.diags.error(
            "not_a_file",
            f"This is a {what}, not a CSV file (only its name ends in .csv); it was not read.",
            f"Put the file {name} itself there, not a {what} of that name.",
            file=name,
        )

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
            if name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._"):
                continue
            if info.is_dir() or stat.S_ISDIR(info.external_attr >> 16):
                if name.rstrip("/").lower().endswith(".csv"):
                    self._not_a_file(name.rstrip("/"), "folder")
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
            self._sizes[base] = archive.getinfo(member).file_size

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

    def _binary(self, name: str) -> tuple[io.BufferedReader, _Capped]:
        member = self._entries[name]
        if self._zip is not None:
            info = self._zip.getinfo(member)
            raw: IO[bytes] = self._zip.open(info)
        else:
            raw = Path(member).open("rb")  # noqa: SIM115 - closed by the caller's TextIOWrapper
        capped = _Capped(raw, self.limits.max_entry_bytes, name)
        return io.BufferedReader(capped, 1 << 16), capped

    def table(self, name: str) -> CsvTable | None:
        """Open one file; None (with a diagnostic) if it cannot be read at all.

        After the collector stopped (too many errors) no file is opened: it is noted as unread.
        """
        if self.diags.stopped:
            self.diags.not_read(name)
            return None
        try:
            binary, capped = self._binary(name)
        except _FAULTS as error:
            self._fault(name, error)
            return None
        try:
            return self._open_table(name, binary, capped)
        except _FAULTS as error:
            binary.close()
            self._fault(name, error)
            return None

    def _open_table(self, name: str, binary: io.BufferedReader, capped: _Capped) -> CsvTable | None:
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
        rows = self._rows(name, text, capped)
        first = next(rows, None)
        if first is None:
            text.close()
            if name in self._failed:
                return None
            self.diags.error(
                "empty_file",
                "The file is empty; it needs at least a header row.",
                "Export it again, or mark it 'absent' in manifest.csv.",
                file=name,
                row=1,
            )
            return None
        return CsvTable(name, first[1], rows)

    def _rows(
        self, name: str, text: io.TextIOWrapper[io.BufferedReader], capped: _Capped
    ) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, strict=True)
        row = 0
        limit = self.limits.max_field_chars
        header: list[str] = []
        diags = self.diags
        try:
            while True:
                if diags.stopped:
                    self._stopped_in(name, row + 1, capped)
                    return
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self._csv_error(name, row + 1, str(exc))
                    self._verify(name, text)
                    return
                except _FAULTS as error:
                    self._fault(name, error, row + 1)
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
                    if not value.isascii() and (bad := _SURROGATE.search(value)):
                        column = _column(header, i)
                        self.diags.error(
                            "bad_encoding",
                            f"This value is not UTF-8, the encoding Connect reads ({_not_utf8(value, bad)}).",
                            "Save the file as 'CSV UTF-8'; it was probably saved as ANSI (Windows-1252).",
                            file=name,
                            row=row,
                            column=column,
                            group=f"{{count}} {column} values are not UTF-8, the encoding Connect reads",
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
                        self._verify(name, text)
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

    def _verify(self, name: str, text: io.TextIOWrapper[io.BufferedReader]) -> None:
        """Read the rest of a zip member left unparsed: damage explains broken CSV better."""
        if self._zip is None or self.diags.stopped:
            return
        try:
            while text.buffer.read(1 << 20):
                pass
        except _FAULTS as error:
            self._fault(name, error)

    def _stopped_in(self, name: str, row: int, capped: _Capped) -> None:
        left = self._sizes.get(name, 0) - capped.read_bytes
        size = f" (about {left / MIB:,.0f} MB)" if left >= MIB else ""
        self.diags.not_read(f"{name} from row {row:,} on{size}" if row > 2 else name)

    def _fault(self, name: str, error: BaseException, row: int | None = None, *, member: bool = True) -> None:
        """Say plainly why `name` (a file of the package, or not `member`: the package) cannot be read."""
        self._failed.add(name)
        it, code = ("The file", "unreadable_file") if member else (name, "unreadable")
        text = "" if isinstance(error, OSError) else str(error)  # an OSError's text holds its path
        info = self._info(name)
        redo = "Download or export the package again."
        if "encrypt" in text or (info is not None and info.flag_bits & 0x41):  # bits 0 and 6
            self.diags.error(
                "encrypted_entry",
                "The file is protected by a password; Connect reads only zips without one.",
                "Export the package again without a password, or unzip it and give the folder.",
                file=name,
            )
        elif isinstance(error, NotImplementedError) or "compression" in text:
            method = info.compress_type if info else -1
            how = f"compressed with {_METHODS[method]}, which" if method in _METHODS else "stored in a way"
            self.diags.error(
                "unsupported_compression",
                f"The file is {how} Connect cannot unpack.",
                "Zip the files again with ordinary (Deflate) compression, which most tools use by "
                "default, or export the package again.",
                file=name,
            )
        elif isinstance(error, zipfile.BadZipFile) and "CRC" in text:
            self.diags.error(
                "damaged_entry", f"The export is damaged ({name} fails its checksum).", redo, file=name
            )
        elif isinstance(error, FileNotFoundError):
            self.diags.error(
                code,
                f"{it} disappeared while the export was being read.",
                "Leave the export alone while it is checked, then check it again.",
                file=name,
            )
        elif isinstance(error, PermissionError):
            self.diags.error(
                code,
                f"{it} cannot be read: this account is not allowed to.",
                "Check the file's permissions, or copy the export somewhere this account may read.",
                file=name,
            )
        elif isinstance(error, OSError) and error.errno is not None:
            reason = error.strerror or errno.errorcode.get(error.errno, str(error.errno))
            self.diags.error(
                code,
                f"{it} cannot be read ({reason}).",
                "Check the disk, or copy the export again; then check it again.",
                file=name,
                row=row,
            )
        else:  # a damaged member: bad data, a local header that does not match, cut short
            self.diags.error(
                "damaged_entry", f"The export is damaged ({name} cannot be unpacked).", redo, file=name
            )

    def _info(self, name: str) -> zipfile.ZipInfo | None:
        member = self._entries.get(name)
        if self._zip is None or member is None:
            return None
        return self._zip.getinfo(member)

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


def _not_utf8(value: str, bad: re.Match[str]) -> str:
    """The bytes around the first that is not UTF-8, and how Windows-1252 would read them."""
    raw = value[max(0, bad.start() - 12) : bad.end() + 12].encode("utf-8", "surrogateescape")
    return f"near {raw!r}, which reads {raw.decode('cp1252', 'replace')!r} in Windows-1252"


def _column(header: list[str], i: int) -> str:
    return header[i].strip() if i < len(header) and header[i].strip() else f"#{i + 1}"

"""Check a sync source before it is saved: a quick read showing it is there and of its kind.

Files: the zip or folder opens safely, the zip's CSV entries unpack with a good CRC, and
the files the kind needs are there with a header. Servers: the credentials are accepted
and the first page of one listing comes back. Columns and rows are left to the readers:
a preview or a run checks them.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from connect_desktop.rostering.clever_api import REJECTED as CLEVER_REJECTED
from connect_desktop.rostering.clever_api import CleverSource
from connect_desktop.rostering.clever_csv import HEADERS as CLEVER_HEADERS
from connect_desktop.rostering.clever_csv import OPTIONAL_FILES as CLEVER_OPTIONAL
from connect_desktop.rostering.csvsource import CsvPackage
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics, SourceError
from connect_desktop.rostering.http import JsonHttp, source_error
from connect_desktop.rostering.oneroster_csv import READ_ORDER, read_manifest
from connect_desktop.rostering.oneroster_rest import probe_oneroster_rest
from connect_server.syncing.config import FILE_KINDS, REST_KINDS, SourceConfig, csv_path
from connect_server.syncing.source import clever_source, rest_source

OFFLINE_HINT = "If it is only offline now, add --no-check to save the source anyway."


class SourceCheckError(Exception):
    """The source cannot be read as its kind (message for people)."""


def check_source(source: SourceConfig) -> str:
    """What was found, in one sentence; raises SourceCheckError when the source cannot be read."""
    try:
        if source.kind in FILE_KINDS:
            return _check_files(source.kind, csv_path(source))
        if source.kind in REST_KINDS:
            rest = rest_source(source)
            probe_oneroster_rest(rest)
            return (
                f"The OneRoster {rest.resolved_version} server accepted the credentials and listed its orgs."
            )
        if source.kind == "clever-api":
            _probe_clever(clever_source(source))
            return "Clever accepted the token and listed the district."
    except SourceError as error:
        raise SourceCheckError(_plain(error.diagnostic, source.kind)) from None
    raise SourceCheckError(f"Connect cannot check a {source.kind} source.")


def _plain(d: Diagnostic, kind: str) -> str:
    hint = d.hint
    if d.code == "rejected_credentials":
        hint = "Check the token." if kind == "clever-api" else "Check the client id and secret."
    elif d.code == "unreachable":
        hint = f"Check the address and the network. {OFFLINE_HINT}"
    elif d.code == "http_error" and kind == "oneroster-rest" and "/oauth/" in d.message:
        hint = "Check the address; if the token URL is not <server>/oauth/token, give it with --token-url."
    return f"{d.message} {hint}".strip()


def _probe_clever(source: CleverSource) -> None:
    headers = {"Authorization": f"Bearer {source.token}", "Accept": "application/json"}
    with JsonHttp("Clever", rejected=CLEVER_REJECTED, timeout=15.0, retries=0) as http:
        body, _ = http.get(f"{source.url.rstrip('/')}/v3.0/districts", lambda _url: headers, {"limit": 1})
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise source_error(
            "malformed_json", "Clever's answer for districts holds no data list.", "Check the API address."
        )


def _check_files(kind: str, path: Path) -> str:
    if not path.exists():
        raise SourceCheckError(f"{path} does not exist. Give the export's zip file or folder.")
    diags = Diagnostics()
    try:
        with CsvPackage(path, diags) as pkg:
            _refuse(diags)
            if not pkg.names:
                raise SourceCheckError(
                    f"{path.name} holds no CSV files. Give the export's zip file or folder."
                )
            if path.is_file():  # CsvPackage opened it as a zip
                with zipfile.ZipFile(path) as archive:
                    _check_crc(path, archive, set(pkg.names))
            found = _oneroster(pkg, diags) if kind == "oneroster-csv" else _clever(pkg, diags)
            _refuse(diags)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise SourceCheckError(f"{path.name} is damaged ({error}). Copy or export it again.") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SourceCheckError(
            f"{error.filename or path} cannot be read ({reason}). Check that this account may read it."
        ) from None
    return found


def _refuse(diags: Diagnostics) -> None:
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        lines = [str(d).removeprefix("error: ") for d in errors[:5]]
        more = f"\n  … and {diags.errors - len(lines)} more" if diags.errors > len(lines) else ""
        raise SourceCheckError("The source cannot be used:\n  " + "\n  ".join(lines) + more)


def _check_crc(path: Path, archive: zipfile.ZipFile, names: set[str]) -> None:
    """Unpack the CSV entries the readers would read, so a damaged zip is found now."""
    for info in archive.infolist():
        if info.is_dir() or PurePosixPath(info.filename).name not in names:
            continue
        try:
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise SourceCheckError(
                f"{path.name} is damaged: {info.filename} does not unpack ({error}). "
                "Copy the file again, or export it again from the SIS."
            ) from None
        except (RuntimeError, NotImplementedError) as error:  # encrypted, or an unknown compression
            raise SourceCheckError(
                f"{path.name} cannot be unpacked: {info.filename}: {error}. "
                "Export it again as a plain zip (no password)."
            ) from None


def _header(pkg: CsvPackage, name: str) -> list[str] | None:
    table = pkg.table(name)
    if table is None:
        return None
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()  # only the header is needed; closing the rows closes the file
    return [h.strip() for h in table.header]


def _oneroster(pkg: CsvPackage, diags: Diagnostics) -> str:
    if pkg.find("manifest.csv") is None and all(pkg.find(f"{f}.csv") for f in ("students", "sections")):
        raise SourceCheckError(
            "This looks like a Clever CSV upload, not a OneRoster package (it has students.csv and "
            "sections.csv but no manifest.csv). Set it up with `set-source clever-csv` instead."
        )
    manifest = read_manifest(pkg, diags)
    needed = ["orgs", "users", *(["roles"] if manifest.version == "1.2" else [])]
    for stem in needed:
        if stem not in manifest.files:
            diags.error(
                "missing_file",
                f"The manifest does not list {stem}.csv as bulk or delta.",
                f"Export {stem}.csv too: Connect needs it.",
                file="manifest.csv",
            )
    read = [s for s in READ_ORDER if s in manifest.files and not (s == "roles" and manifest.version == "1.1")]
    for stem in read:
        actual = pkg.find(f"{stem}.csv")
        if actual is None:
            diags.error(
                "missing_file",
                f"manifest.csv lists {stem}.csv, but the file is not there.",
                f"Add {stem}.csv, or mark it absent in the manifest.",
                file=f"{stem}.csv",
            )
        else:
            _header(pkg, actual)
    return f"A OneRoster {manifest.version} package with {', '.join(f'{s}.csv' for s in read)}."


def _clever(pkg: CsvPackage, diags: Diagnostics) -> str:
    if pkg.find("manifest.csv") is not None:
        raise SourceCheckError(
            "This looks like a OneRoster package, not a Clever CSV upload (it has manifest.csv). "
            "Set it up with `set-source oneroster-csv` instead."
        )
    present = []
    for stem in CLEVER_HEADERS:  # columns are left to the reader: it accepts case slips and aliases
        actual = pkg.find(f"{stem}.csv")
        if actual is None:
            if stem not in CLEVER_OPTIONAL:
                diags.error("missing_file", f"{stem}.csv is not in the upload.", f"Add {stem}.csv.")
            continue
        present.append(actual)
        _header(pkg, actual)
    return f"A Clever CSV upload with {', '.join(present)}."

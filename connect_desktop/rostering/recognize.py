"""What an export is, judged from its file names and header rows, before it is validated.

Connect reads OneRoster 1.1/1.2 CSV packages and Clever's CSV upload. Other exports a
district may choose by mistake are named, with one clear error instead of the dozens of
follow-on findings a reader would make of them. The rules, in the order they are tried:

- OneRoster: a manifest.csv.
- Microsoft School Data Sync (SDS) v1: two of its singular file names (School.csv,
  Section.csv, Student.csv, Teacher.csv, StudentEnrollment.csv, TeacherRoster.csv),
  guardianrelationship.csv, or its "SIS ID" columns.
- SDS v2.1: OneRoster's file names without a manifest, and SDS's own files
  (relationships.csv, userFlags.csv) or two of its header traits (activeDirectoryMatchId
  in users.csv; roles.csv or enrollments.csv without a sourcedId column).
- Clever CSV: Clever's file names (schools.csv, students.csv, …) whose header has every
  column Clever requires of that file, whatever their case, for at least half of those
  files; or all five of Clever's required files and nothing else (the reader then says
  which columns are missing).
- OneRoster without a manifest (still OneRoster; the reader reports the missing
  manifest): two of OneRoster's file names, or one whose header has a sourcedId.
- A vendor's own format: other CSV files with roster-like names (students, staff,
  parents, rosters, …).
- Anything else: no CSV files, a spreadsheet, a lone CSV file, unrelated CSV files.

A folder with no CSV files of its own is looked into once: its only zip, or else its
only sub-folder holding CSV files, is what is recognised and read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connect_desktop.rostering.clever_csv import HEADERS as CLEVER_HEADERS
from connect_desktop.rostering.clever_csv import OPTIONAL_FILES as CLEVER_OPTIONAL
from connect_desktop.rostering.csvsource import CsvPackage, Limits, looks_like_zip
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics

Kind = Literal["oneroster-1.1", "oneroster-1.2", "clever-csv", "sds", "vendor", "unknown"]
READABLE: tuple[Kind, ...] = ("oneroster-1.1", "oneroster-1.2", "clever-csv")
UNREADABLE = frozenset(
    (
        "bad_zip",
        "damaged_entry",
        "encrypted_entry",
        "unsupported_compression",
        "unreadable",
        "unreadable_file",
    )
)
"""Codes of `CsvPackage`'s findings that a file (or the package) cannot be read at all."""

ONEROSTER_FILES = frozenset(
    (
        "orgs",
        "academicsessions",
        "courses",
        "classes",
        "users",
        "roles",
        "enrollments",
        "demographics",
        "userprofiles",
        "lineitems",
        "results",
        "categories",
        "resources",
        "classresources",
        "courseresources",
        "scorescales",
    )
)
SDS_V1_FILES = frozenset(("school", "section", "student", "teacher", "studentenrollment", "teacherroster"))
SDS_V2_ONLY = ("relationships", "userflags")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
ROSTER_WORDS = (
    "student",
    "staff",
    "teacher",
    "parent",
    "guardian",
    "contact",
    "section",
    "roster",
    "class",
    "course",
    "enrol",
    "school",
    "user",
    "employee",
    "family",
    "people",
    "person",
)
_ASK_FOR = (
    "Connect reads OneRoster 1.1/1.2 CSV packages and Clever's CSV upload: export OneRoster CSV "
    "from your SIS instead (or Clever's files: schools, students, teachers, sections, enrollments)."
)


@dataclass(frozen=True, slots=True)
class Recognition:
    """What the input is, where its files are, and (for what Connect cannot read) why not."""

    kind: Kind
    path: Path  # what to read: the input, or the one zip or sub-folder inside it
    problem: Diagnostic | None = None  # the one error to show instead of reading it
    listing: tuple[Diagnostic, ...] = ()  # what opening it found (unsafe entries…), for `problem`

    @property
    def readable(self) -> bool:
        return self.problem is None


def recognize(path: str | Path, *, limits: Limits | None = None) -> Recognition:
    """Recognise a folder, zip or file; never raises for a user's mistake."""
    path = Path(path)
    if path.is_dir():
        return _folder(path, limits)
    if not path.exists():
        return _unknown(path, "not_found", f"{path} does not exist.", "Check the path.")
    if path.suffix.lower() in SPREADSHEETS:
        return _spreadsheet(path, [path.name])
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        return _unknown(path, "unreadable", f"{path.name} cannot be opened ({exc.strerror}).", "Check it.")
    if is_zip or looks_like_zip(path):  # an incomplete zip: the package says what is wrong
        return _package(path, limits)
    if path.suffix.lower() == ".csv":
        return _unknown(
            path,
            "not_a_package",
            f"{path.name} is a single CSV file; Connect reads a whole export.",
            f"Choose the folder that holds it ({path.parent}), or the .zip your SIS exported.",
        )
    return _unknown(
        path,
        "not_a_package",
        f"{path.name} is neither a zip file nor a folder.",
        "Choose the .zip your SIS exported, or the folder you unpacked it into.",
    )


def _folder(path: Path, limits: Limits | None) -> Recognition:
    try:
        children = sorted(path.iterdir())
    except OSError as exc:
        return _unknown(path, "unreadable", f"The folder cannot be read ({exc.strerror}).", "Check it.")
    if any(c.suffix.lower() == ".csv" and c.is_file() for c in children):
        return _package(path, limits)
    zips = [c for c in children if c.suffix.lower() == ".zip" and c.is_file()]
    folders = [c for c in children if c.is_dir() and _holds_csv(c)]
    if len(zips) == 1 and not folders:
        return recognize(zips[0], limits=limits)
    if len(folders) == 1 and not zips:
        return _package(folders[0], limits)
    sheets = [c.name for c in children if c.suffix.lower() in SPREADSHEETS]
    if sheets and not zips and not folders:
        return _spreadsheet(path, sheets)
    choices = [c.name for c in (*zips, *folders)]
    return _unknown(
        path,
        "no_files",
        "The folder holds no CSV files" + (f", but several exports: {_names(choices)}." if choices else "."),
        "Choose one of them." if choices else "Choose the OneRoster .zip, or the folder of Clever CSV files.",
    )


def _holds_csv(folder: Path) -> bool:
    try:
        return any(g.suffix.lower() == ".csv" for g in folder.iterdir())
    except OSError:  # a sub-folder that cannot be read is not the export
        return False


def _package(path: Path, limits: Limits | None) -> Recognition:
    scratch = Diagnostics()
    try:
        with CsvPackage(path, scratch, limits) as pkg:
            names = {n.lower(): n for n in pkg.names}
            headers = {lower: _header(pkg, actual) for lower, actual in names.items()}
            version = _manifest_version(pkg, names.get("manifest.csv"))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return _unknown(
            path, "bad_zip", f"{path.name} is a damaged zip file ({exc}).", "Export the package again."
        )
    fault = next((d for d in scratch if d.code in UNREADABLE), None)
    if not names and fault is None:
        return _no_csv(path, scratch)
    kind: Kind = "unknown"
    problem = fault
    if names:
        kind, problem = classify(names, headers, version)
    if kind == "unknown" and fault is not None:
        problem = fault  # a file that cannot be read, not the files that can, is what to fix
    return Recognition(kind, path, problem, tuple(d for d in scratch if d is not problem) if problem else ())


def classify(
    names: dict[str, str], headers: dict[str, list[str]], manifest_version: str | None = None
) -> tuple[Kind, Diagnostic | None]:
    """The kind of a package from its CSV files (lower-case name -> name, -> header row)."""
    stems = {lower[:-4]: actual for lower, actual in names.items()}
    header = {lower[:-4]: [h.strip() for h in row] for lower, row in headers.items()}
    lowered = {stem: {h.lower() for h in row} for stem, row in header.items()}
    if "manifest" in stems:
        version = manifest_version if manifest_version in ("1.1", "1.2") else None
        return _oneroster(version or ("1.2" if "roles" in stems else "1.1")), None

    sds_v1 = [stems[s] for s in SDS_V1_FILES if s in stems]
    sis_id = [stems[s] for s, row in lowered.items() if any("sis id" in h for h in row)]
    if len(sds_v1) >= 2 or "guardianrelationship" in stems or sis_id:
        evidence = sorted(sds_v1) or sis_id
        return "sds", _error(
            f"This looks like a Microsoft School Data Sync (SDS) v1 export ({_names(evidence)}), "
            "not OneRoster or Clever CSV.",
            _ASK_FOR,
        )

    oneroster = [stems[s] for s in stems if s in ONEROSTER_FILES]
    own = [stems[s] for s in SDS_V2_ONLY if s in stems]
    directory = "activedirectorymatchid" in lowered.get("users", ())
    unkeyed = [
        stems[s]
        for s in ("roles", "enrollments")
        if s in lowered and "sourcedid" not in lowered[s] and "usersourcedid" in lowered[s]
    ]
    if oneroster and (own or directory + len(unkeyed) >= 2):
        columns = [
            *([f"activeDirectoryMatchId in {stems['users']}"] if directory else []),
            *([f"no sourcedId in {', '.join(unkeyed)}"] if unkeyed else []),
        ]
        found = " and ".join(
            part
            for part in (
                f"files ({', '.join(own)})" if own else "",
                f"columns ({'; '.join(columns)})" if columns else "",
            )
            if part
        )
        return "sds", _error(
            "This looks like a Microsoft School Data Sync (SDS) v2.1 export: OneRoster-like file names "
            f"but no manifest.csv, with SDS's own {found}.",
            _ASK_FOR + " SDS files lack what OneRoster requires (users' roles, enrollments' sourcedId…).",
        )

    clever_named = [s for s in stems if s in CLEVER_HEADERS]
    shaped = [s for s in clever_named if {c.lower() for c in CLEVER_HEADERS[s][0]} <= lowered[s]]
    core = {s for s in CLEVER_HEADERS if s not in CLEVER_OPTIONAL}
    if (shaped and 2 * len(shaped) >= len(clever_named)) or set(stems) == core:
        return "clever-csv", None

    if len(oneroster) >= 2 or any("sourcedid" in lowered[s] for s in stems if s in ONEROSTER_FILES):
        return _oneroster("1.2" if "roles" in stems else "1.1"), None

    roster = [stems[s] for s in sorted(stems) if any(word in s for word in ROSTER_WORDS)]
    if roster:
        near = next((s for s in clever_named if s not in shaped), None)
        detail = ""
        if near is not None:
            lacking = [c for c in CLEVER_HEADERS[near][0] if c.lower() not in lowered[near]]
            detail = f" {stems[near]} lacks Clever's required {', '.join(lacking)}."
        return "vendor", _error(
            f"This looks like a roster in a vendor's own format ({_names(roster)}): neither "
            f"OneRoster's files nor Clever's columns.{detail}",
            _ASK_FOR,
        )
    return "unknown", _error(
        f"These CSV files are not a roster export Connect recognises ({_names(list(names.values()))}).",
        "Choose the OneRoster .zip, or the folder of Clever CSV files, your SIS exported.",
    )


# -- helpers -----------------------------------------------------------------------
def _oneroster(version: str) -> Kind:
    return "oneroster-1.2" if version == "1.2" else "oneroster-1.1"


def _header(pkg: CsvPackage, name: str) -> list[str]:
    table = pkg.table(name)
    if table is None:
        return []
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()  # only the header is needed; this closes the file
    return table.header


def _manifest_version(pkg: CsvPackage, name: str | None) -> str | None:
    table = pkg.table(name) if name else None
    if table is None:
        return None
    version = None
    for _row, values in table.rows:
        if len(values) >= 2 and values[0].strip() == "oneroster.version":
            version = values[1].strip()
    return version


def _no_csv(path: Path, listing: Diagnostics) -> Recognition:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
    except (zipfile.BadZipFile, OSError):
        members = []
    if any(m.startswith("xl/") for m in members) or "mimetype" in members:
        return _spreadsheet(path, [path.name])
    sheets = [m for m in members if m.lower().endswith(SPREADSHEETS)]
    if sheets:
        return _spreadsheet(path, sheets)
    held = f" (it holds {_names(members)})" if members else ""
    problem = _error(
        f"The zip holds no CSV files{held}.",
        "Choose the OneRoster .zip your SIS exported, or the zip of Clever's CSV files.",
        "no_files",
    )
    return Recognition("unknown", path, problem, tuple(listing))


def _spreadsheet(path: Path, sheets: list[str]) -> Recognition:
    problem = _error(
        f"{_names(sheets)} {'is a spreadsheet' if len(sheets) == 1 else 'are spreadsheets'}, not CSV files.",
        "Export the roster from your SIS as OneRoster CSV (a .zip); or, for Clever's files, save "
        "each sheet as 'CSV UTF-8 (comma delimited)' under Clever's file names.",
        "spreadsheet",
    )
    return Recognition("unknown", path, problem)


def _unknown(path: Path, code: str, message: str, hint: str) -> Recognition:
    return Recognition("unknown", path, _error(message, hint, code))


def _error(message: str, hint: str, code: str = "not_oneroster") -> Diagnostic:
    return Diagnostic("error", code, message, hint)


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (", …" if len(names) > most else "")

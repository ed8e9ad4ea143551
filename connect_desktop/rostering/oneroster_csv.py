"""OneRoster 1.1 and 1.2 CSV packages: manifest, strict field validation, snapshot.

Harmless messiness is accepted (BOM, CRLF, no final newline, `TRUE`, enum values in the
wrong case, files in one sub-folder); what would corrupt data is an error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from connect_desktop.rostering.csvsource import CsvPackage, CsvTable, Limits
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.snapshot import Mode, Snapshot

ID_RE = re.compile(r"[0-9A-Za-z./@_-]{1,255}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})")
YEAR_RE = re.compile(r"\d{4}")
_ID_MATCH = ID_RE.fullmatch

STATUS = ("active", "tobedeleted")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
ROLES_11 = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
ROLES_12 = (
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
)
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")

Spec = tuple[str, str, bool]  # column, kind, value required
_COMMON: list[Spec] = [
    ("sourcedId", "id", True),
    ("status", "status", False),
    ("dateLastModified", "dlm", False),
]

SPECS: dict[str, list[Spec]] = {
    "orgs": [
        *_COMMON,
        ("name", "text", True),
        ("type", "enum:org", True),
        ("identifier", "text", False),
        ("parentSourcedId", "id", False),
    ],
    "academicSessions": [
        *_COMMON,
        ("title", "text", True),
        ("type", "enum:session", True),
        ("startDate", "date", True),
        ("endDate", "date", True),
        ("parentSourcedId", "id", False),
        ("schoolYear", "year", True),
    ],
    "courses": [
        *_COMMON,
        ("schoolYearSourcedId", "id", False),
        ("title", "text", True),
        ("courseCode", "text", False),
        ("grades", "list", False),
        ("orgSourcedId", "id", True),
        ("subjects", "list", False),
        ("subjectCodes", "list", False),
    ],
    "classes": [
        *_COMMON,
        ("title", "text", True),
        ("grades", "list", False),
        ("courseSourcedId", "id", True),
        ("classCode", "text", False),
        ("classType", "enum:classType", True),
        ("location", "text", False),
        ("schoolSourcedId", "id", True),
        ("termSourcedIds", "ids", True),
        ("subjects", "list", False),
        ("subjectCodes", "list", False),
        ("periods", "list", False),
    ],
    "enrollments": [
        *_COMMON,
        ("classSourcedId", "id", True),
        ("schoolSourcedId", "id", True),
        ("userSourcedId", "id", True),
        ("role", "enum:enrollmentRole", True),
        ("primary", "bool", False),
        ("beginDate", "date", False),
        ("endDate", "date", False),
    ],
    "demographics": [
        *_COMMON,
        ("birthDate", "date", False),
        ("sex", "text", False),
        *(
            (c, "quiet", False)
            for c in (
                "americanIndianOrAlaskaNative",
                "asian",
                "blackOrAfricanAmerican",
                "nativeHawaiianOrOtherPacificIslander",
                "white",
                "demographicRaceTwoOrMoreRaces",
                "hispanicOrLatinoEthnicity",
                "countryOfBirthCode",
                "stateOfBirthAbbreviation",
                "cityOfBirth",
                "publicSchoolResidenceStatus",
            )
        ),
    ],
}
_USERS_HEAD: list[Spec] = [*_COMMON, ("enabledUser", "bool", True)]
_USERS_TAIL: list[Spec] = [
    ("username", "text", True),
    ("userIds", "list", False),
    ("givenName", "text", True),
    ("familyName", "text", True),
    ("middleName", "text", False),
    ("identifier", "text", False),
    ("email", "text", False),
    ("sms", "text", False),
    ("phone", "text", False),
    ("agentSourcedIds", "ids", False),
    ("grades", "list", False),
    ("password", "text", False),
]
USERS_11: list[Spec] = [
    *_USERS_HEAD,
    ("orgSourcedIds", "ids", True),
    ("role", "enum:role11", True),
    *_USERS_TAIL,
]
USERS_12: list[Spec] = [
    *_USERS_HEAD,
    *_USERS_TAIL,
    ("userMasterIdentifier", "text", False),
    ("preferredGivenName", "text", False),
    ("preferredMiddleName", "text", False),
    ("preferredFamilyName", "text", False),
    ("primaryOrgSourcedId", "id", False),
    ("pronouns", "text", False),
]
ROLES_SPEC: list[Spec] = [
    *_COMMON,
    ("userSourcedId", "id", True),
    ("roleType", "enum:roleType", True),
    ("role", "enum:role12", True),
    ("beginDate", "date", False),
    ("endDate", "date", False),
    ("orgSourcedId", "id", True),
    ("userProfileSourcedId", "id", False),
]


def columns_12(name: str) -> tuple[str, ...]:
    """The OneRoster 1.2 columns of file `name` (e.g. "users"), in the specification's order."""
    spec = {**SPECS, "users": USERS_12, "roles": ROLES_SPEC}[name]
    return tuple(column for column, *_ in spec)


ENUMS: dict[str, tuple[str, ...]] = {
    "org": ORG_TYPES,
    "session": SESSION_TYPES,
    "classType": ("homeroom", "scheduled"),
    "enrollmentRole": ENROLLMENT_ROLES,
    "role11": ROLES_11,
    "role12": ROLES_12,
    "roleType": ("primary", "secondary"),
    "status": STATUS,
}
READ_ORDER = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "roles",
    "users",
    "demographics",
    "enrollments",
)
GONE_TYPES: dict[str, tuple[str, ...]] = {
    "orgs": ("school",),
    "academicSessions": ("term",),
    "classes": ("classroom",),
    "users": ("staff", "student", "contact"),
    "enrollments": ("enrollment",),
}
TYPE_FILE: dict[str, str] = {
    "school": "orgs",
    "term": "academicSessions",
    "staff": "users",
    "student": "users",
    "contact": "users",
    "student_contact": "users",
    "classroom": "classes",
    "enrollment": "enrollments",
}


@dataclass(frozen=True, slots=True)
class Manifest:
    version: str
    files: dict[str, Mode]  # files declared bulk or delta


def read_manifest(pkg: CsvPackage, diags: Diagnostics) -> Manifest:
    """Parse manifest.csv; guess sensibly (with an error) when it is missing or broken."""
    name = pkg.find("manifest.csv")
    table = pkg.table(name) if name else None
    props: dict[str, str] = {}
    if table is None:
        if name is None:
            diags.error(
                "missing_manifest",
                "The package has no manifest.csv.",
                "Export the whole OneRoster package; manifest.csv says which version and files it holds.",
                file="manifest.csv",
            )
    else:
        if [h.strip() for h in table.header[:2]] != ["propertyName", "value"]:
            diags.error(
                "bad_header",
                f"The header is {','.join(table.header)!r}, not 'propertyName,value'.",
                "The first row of manifest.csv must be: propertyName,value",
                file="manifest.csv",
                row=1,
            )
        for _row, values in table.rows:
            if len(values) >= 2:
                props[values[0].strip()] = values[1].strip()
    version = props.get("oneroster.version", "")
    if version not in ("1.1", "1.2"):
        guess = "1.2" if pkg.find("roles.csv") else "1.1"
        if table is not None:
            diags.error(
                "bad_version",
                f"oneroster.version is {version!r}; it must be 1.1 or 1.2.",
                f"Set it to the version the files follow (they look like {guess}).",
                file="manifest.csv",
                column="oneroster.version",
            )
        version = guess
    if table is not None and props.get("manifest.version") != "1.0":
        diags.warning(
            "manifest_version",
            f"manifest.version is {props.get('manifest.version')!r}, not 1.0.",
            "Set manifest.version to 1.0.",
            file="manifest.csv",
            column="manifest.version",
        )
    files: dict[str, Mode] = {}
    for key, value in props.items():
        if not key.startswith("file."):
            continue
        mode = value.lower()
        if mode in ("bulk", "delta"):
            files[key[5:]] = mode  # type: ignore[assignment]
        elif mode != "absent":
            diags.warning(
                "manifest_value",
                f"{key} is {value!r}; it must be bulk, delta or absent. Treated as absent.",
                f"Write 'absent' if the package has no {key[5:]}.csv.",
                file="manifest.csv",
                column=key,
            )
    if not props:
        files = {f: "bulk" for f in READ_ORDER if pkg.find(f"{f}.csv")}
    return Manifest(version, files)


class _FileReader:
    """Validates the rows of one file and returns parsed values per row."""

    def __init__(self, table: CsvTable, specs: list[Spec], mode: Mode, diags: Diagnostics) -> None:
        self.file = table.file
        self.mode = mode
        self.diags = diags
        self.table = table
        self.index: dict[str, int] = {}
        self.width = len(table.header)
        self._header(table.header, specs)
        # columns nothing reads and nothing can find fault with are not parsed at all
        self.specs = [
            (c, k, req, self.index[c], _CHECKS[k.split(":")[0]], _allowed(k))
            for c, k, req in specs
            if c in self.index and (req or c in USED or k not in ("text", "quiet", "list"))
        ]
        self.absent = {c for c, _, _ in specs if c not in self.index}

    def _header(self, header: list[str], specs: list[Spec]) -> None:
        known = {c for c, _, _ in specs}
        by_lower = {c.lower(): c for c in known}
        for i, raw in enumerate(header):
            name = raw.strip()
            if name in known:
                self.index[name] = i
            elif name.lower() in by_lower and by_lower[name.lower()] not in self.index:
                self.index[by_lower[name.lower()]] = i
                self.diags.warning(
                    "header_case",
                    f"The column '{name}' should be written '{by_lower[name.lower()]}'.",
                    "Header names are case-sensitive; fix the case.",
                    file=self.file,
                    row=1,
                    column=name,
                )
            elif not name:
                self.diags.warning(
                    "blank_header",
                    f"Column {i + 1} has no name; it was ignored.",
                    "Remove the empty column, or the trailing commas of the header.",
                    file=self.file,
                    row=1,
                    column=f"#{i + 1}",
                )
            elif not name.startswith("metadata."):
                close = difflib.get_close_matches(name, sorted(known - set(self.index)), n=1, cutoff=0.8)
                self.diags.warning(
                    "unknown_column",
                    f"'{name}' is not a OneRoster column; it was ignored.",
                    f"Did you mean '{close[0]}'?"
                    if close
                    else "Extension columns must be named metadata.<something>.",
                    file=self.file,
                    row=1,
                    column=name,
                )
        for column, kind, required in specs:
            if column in self.index or kind == "quiet":
                continue
            needed = required or (column in ("status", "dateLastModified") and self.mode == "delta")
            close = difflib.get_close_matches(column, [h.strip() for h in header], n=1, cutoff=0.8)
            hint = (
                f"The header has '{close[0]}': correct the spelling."
                if close
                else f"Add the column '{column}' to the header (it may stay empty)."
            )
            if needed:
                self.diags.error(
                    "missing_column",
                    f"The required column '{column}' is missing.",
                    hint,
                    file=self.file,
                    row=1,
                    column=column,
                )
            else:
                self.diags.warning(
                    "missing_column",
                    f"The column '{column}' is missing; it is read as empty.",
                    hint,
                    file=self.file,
                    row=1,
                    column=column,
                )

    def rows(self) -> Iterator[tuple[int, dict[str, object] | None, str]]:
        """(row, parsed values or None when the row has errors, the raw sourcedId)."""
        at = self.index.get("sourcedId", 0)
        for row, values in self.table.rows:
            raw_sid = values[at].strip() if at < len(values) else ""
            if len(values) > self.width and any(v.strip() for v in values[self.width :]):
                self.diags.error(
                    "too_many_values",
                    f"The row has {len(values)} values; the header has {self.width}.",
                    "A comma inside a value needs the value in quotes.",
                    file=self.file,
                    row=row,
                )
                yield row, None, raw_sid
                continue
            parsed, ok = self._parse(row, values)
            yield row, (parsed if ok else None), raw_sid

    def _parse(self, row: int, values: list[str]) -> tuple[dict[str, object], bool]:
        out: dict[str, object] = {}
        ok = True
        size = len(values)
        delta = self.mode == "delta"
        for column, kind, required, i, check, allowed in self.specs:
            raw = values[i].strip() if i < size else ""
            if not raw:
                out[column] = [] if kind in ("ids", "list") else ""
                if required:
                    self.diags.error(
                        "missing_value",
                        f"'{column}' is empty.",
                        f"Fill in {column}.",
                        file=self.file,
                        row=row,
                        column=column,
                    )
                    ok = False
                elif delta and kind in ("status", "dlm"):
                    self.diags.error(
                        "missing_value",
                        f"'{column}' is empty in a delta file.",
                        f"Fill in {column}: a delta file needs it on every row.",
                        file=self.file,
                        row=row,
                        column=column,
                    )
                    ok = False
                continue
            if check is _check_text or raw in allowed or (check is _check_id and _ID_MATCH(raw)):
                out[column] = raw  # the common cases, without a call
                continue
            value = check(self, kind, raw, row, column)
            if value is _BAD:
                ok = False
            out[column] = value
        return out, ok


_BAD = object()
# fmt: off
USED = frozenset((
    "sourcedId", "status", "name", "type", "title", "startDate", "endDate", "schoolYear", "courseCode",
    "grades", "courseSourcedId", "classCode", "schoolSourcedId", "termSourcedIds", "userSourcedId",
    "roleType", "role", "orgSourcedId", "givenName", "familyName", "email", "phone", "sms", "identifier",
    "orgSourcedIds", "primaryOrgSourcedId", "agentSourcedIds", "birthDate", "classSourcedId",
))
# fmt: on
"""Columns `_dispatch` reads."""


def _allowed(kind: str) -> frozenset[str]:
    """The exact values an enum accepts (empty for other kinds)."""
    if kind == "status":
        return frozenset(STATUS)
    return frozenset(ENUMS[kind[5:]]) if kind.startswith("enum:") else frozenset()


def _check_id(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if ID_RE.fullmatch(raw):
        return raw
    bad = sorted({c for c in raw if not re.fullmatch(r"[0-9A-Za-z./@_-]", c)})
    r.diags.error(
        "bad_id",
        f"'{raw[:60]}' is not a valid sourcedId"
        + (f" (it contains {''.join(bad)!r})." if bad else " (over 255 characters)."),
        "sourcedIds use only letters, digits and . / @ _ -, up to 255 characters.",
        file=r.file,
        row=row,
        column=column,
    )
    return _BAD


def _check_ids(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    ids = [p.strip() for p in raw.split(",") if p.strip()]
    return ids if all(_check_id(r, kind, i, row, column) is not _BAD for i in ids) else _BAD


def _check_list(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    return [p.strip() for p in raw.split(",") if p.strip()]


def _check_text(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    return raw


def _check_date(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if DATE_RE.fullmatch(raw):
        try:
            dt.date.fromisoformat(raw)
            return raw
        except ValueError:
            pass
    r.diags.error(
        "bad_date",
        f"'{raw}' is not a date in the form YYYY-MM-DD.",
        "Write dates as year-month-day, e.g. 2024-08-26.",
        file=r.file,
        row=row,
        column=column,
    )
    return _BAD


def _check_dlm(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if DATETIME_RE.fullmatch(raw):
        return raw
    delta = r.mode == "delta"
    if DATE_RE.fullmatch(raw):
        r.diags.warning(
            "date_not_datetime",
            f"'{raw}' is a date; dateLastModified is a date and time.",
            "Write it as YYYY-MM-DDTHH:MM:SS.sssZ.",
            file=r.file,
            row=row,
            column=column,
        )
        return raw
    message = f"'{raw}' is not a date and time in the form YYYY-MM-DDTHH:MM:SS.sssZ"
    if delta:
        r.diags.error(
            "bad_datetime",
            message + ".",
            "Write e.g. 2024-08-26T12:00:00.000Z.",
            file=r.file,
            row=row,
            column=column,
        )
        return _BAD
    r.diags.warning(
        "bad_datetime",
        message + "; ignored in a bulk file.",
        "Leave dateLastModified empty in bulk files, or write e.g. 2024-08-26T12:00:00.000Z.",
        file=r.file,
        row=row,
        column=column,
    )
    return ""


def _check_year(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if YEAR_RE.fullmatch(raw):
        return raw
    r.diags.error(
        "bad_year",
        f"'{raw}' is not a four-digit year.",
        "Write the school year's end year, e.g. 2025.",
        file=r.file,
        row=row,
        column=column,
    )
    return _BAD


def _check_bool(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"  # `TRUE` is how spreadsheets write it: harmless
    r.diags.error(
        "bad_boolean",
        f"'{raw}' is not true or false.",
        "Write true or false.",
        file=r.file,
        row=row,
        column=column,
    )
    return _BAD


def _check_enum(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    allowed = ENUMS[kind.split(":")[1]]
    if raw in allowed:
        return raw
    for value in allowed:
        if value.lower() == raw.lower():
            r.diags.warning(
                "enum_case",
                f"'{raw}' should be written '{value}'.",
                "Values are case-sensitive.",
                file=r.file,
                row=row,
                column=column,
            )
            return value
    r.diags.error(
        "bad_enum",
        f"'{raw}' is not one of: {', '.join(allowed)}.",
        "Use one of the listed values.",
        file=r.file,
        row=row,
        column=column,
    )
    return _BAD


def _check_status(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    return _check_enum(r, "enum:status", raw, row, column)


_CHECKS: dict[str, Callable[[_FileReader, str, str, int, str], object]] = {
    "id": _check_id,
    "ids": _check_ids,
    "list": _check_list,
    "text": _check_text,
    "date": _check_date,
    "dlm": _check_dlm,
    "quiet": _check_text,  # same function: _parse's fast path takes both
    "year": _check_year,
    "bool": _check_bool,
    "enum": _check_enum,
    "status": _check_status,
}


def read_oneroster_csv(
    path: str | Path, diags: Diagnostics, *, limits: Limits | None = None, work_dir: str | Path | None = None
) -> Snapshot:
    """Read and validate a OneRoster 1.1/1.2 CSV package (zip or folder) into a snapshot."""
    snap = Snapshot("oneroster-csv", work_dir)
    try:
        with CsvPackage(path, diags, limits) as pkg:
            _read(pkg, snap, diags)
    except BaseException:
        snap.close()
        raise
    return snap.finish()


def _read(pkg: CsvPackage, snap: Snapshot, diags: Diagnostics) -> None:
    if not pkg.names:
        if not diags.errors:
            diags.error("no_files", "The package holds no CSV files.", "Choose the OneRoster export (.zip).")
        snap.present = set()
        return
    manifest = read_manifest(pkg, diags)
    snap.version = manifest.version
    for required in ("orgs", "users"):
        if required not in manifest.files:
            diags.error(
                "missing_file",
                f"The manifest does not list {required}.csv as bulk or delta.",
                f"Export {required}.csv too: Connect needs it.",
                file="manifest.csv",
                column=f"file.{required}",
            )
    if manifest.version == "1.2" and "users" in manifest.files and "roles" not in manifest.files:
        diags.error(
            "missing_file",
            "OneRoster 1.2 keeps users' roles in roles.csv, which is not listed.",
            "Export roles.csv too.",
            file="manifest.csv",
            column="file.roles",
        )
    for name in pkg.names:
        stem = name[:-4]
        if (
            name != "manifest.csv"
            and stem not in manifest.files
            and stem not in (f.lower() for f in manifest.files)
        ):
            diags.warning(
                "undeclared_file",
                f"{name} is not listed as bulk or delta in manifest.csv; it was ignored.",
                f"List it in manifest.csv (file.{stem},bulk) or remove it.",
                file=name,
            )
    model = OneRosterAssembler(snap, diags, dict(manifest.files))
    for stem in READ_ORDER:
        mode = manifest.files.get(stem)
        if mode is None or (stem == "roles" and manifest.version == "1.1"):
            continue
        actual = pkg.find(f"{stem}.csv")
        if actual is None:
            diags.error(
                "missing_file",
                f"manifest.csv lists {stem}.csv as {mode}, but the file is not there.",
                f"Add {stem}.csv, or mark it absent in the manifest.",
                file=f"{stem}.csv",
            )
            continue
        table = pkg.table(actual)
        if table is None:
            continue
        specs = (
            SPECS.get(stem)
            or {"users": USERS_11 if manifest.version == "1.1" else USERS_12, "roles": ROLES_SPEC}[stem]
        )
        reader = _FileReader(table, specs, mode, diags)
        if any(c for c, _, req in specs if req and c in reader.absent):
            for _ in table.rows:  # drain so the file is closed; no rows can be trusted
                pass
            continue
        model.loaded.add(stem)
        _feed(stem, reader, model, snap, mode)
    for type_, stem in TYPE_FILE.items():
        snap.modes[type_] = manifest.files.get(stem, "bulk")
    snap.present = {t for t, stem in TYPE_FILE.items() if stem in model.loaded}
    model.finish()


def _feed(stem: str, reader: _FileReader, model: OneRosterAssembler, snap: Snapshot, mode: Mode) -> None:
    batch: list[tuple[str, int, dict[str, object]]] = []
    for row, rec, raw_sid in reader.rows():
        if rec is None:
            model.reject(stem, raw_sid)
            continue
        batch.append((str(rec["sourcedId"]), row, rec))
        if len(batch) >= _FEED_BATCH:
            feed_batch(stem, reader.file, batch, model, snap, mode)
            batch.clear()
    feed_batch(stem, reader.file, batch, model, snap, mode)


_FEED_BATCH = 2_000


def feed_batch(
    stem: str,
    file: str,
    batch: list[tuple[str, int, dict[str, object]]],
    model: OneRosterAssembler,
    snap: Snapshot,
    mode: Mode,
) -> None:
    """Hand one batch of parsed (sourcedId, row, values) of a file to the assembler.

    Shared with the REST readers (row = index in the endpoint's listing).
    """
    if not batch:
        return
    fresh = [True] * len(batch) if stem == "roles" else model.claim(stem, file, [(s, r) for s, r, _ in batch])
    diags = model.diags
    for (sid, row, rec), new in zip(batch, fresh, strict=True):
        if not new:
            continue
        at = Where(file, row)
        status = rec.get("status") or ""
        if status == "tobedeleted":
            if mode == "delta":
                for type_ in GONE_TYPES.get(stem, ()):
                    gone = sid if stem != "enrollments" else f"{rec['classSourcedId']}:{rec['userSourcedId']}"
                    snap.delete(type_, gone)
            else:
                model.drop(stem, sid)
                diags.warning(
                    "deleted_in_bulk",
                    f"'{sid}' is marked tobedeleted in a bulk file; it was left out.",
                    "In a bulk file, leave deleted records out and status empty.",
                    file=file,
                    row=row,
                    column="status",
                )
            continue
        _dispatch(stem, at, sid, rec, model)


def _dispatch(stem: str, at: Where, sid: str, rec: dict[str, object], model: OneRosterAssembler) -> None:
    s = lambda key: str(rec.get(key) or "")  # noqa: E731
    lst = lambda key: list(rec.get(key) or [])  # type: ignore[call-overload]  # noqa: E731
    if stem == "orgs":
        model.org(at, sid, s("name"), s("type"))
    elif stem == "academicSessions":
        model.session(at, sid, s("title"), s("startDate"), s("endDate"), s("schoolYear"))
    elif stem == "courses":
        model.course(at, sid, s("courseCode"))
    elif stem == "classes":
        model.klass(
            at,
            sid,
            s("title"),
            lst("grades"),
            s("courseSourcedId"),
            s("classCode"),
            s("schoolSourcedId"),
            lst("termSourcedIds"),
        )
    elif stem == "roles":
        model.role(at, s("userSourcedId"), s("roleType"), s("role"), s("orgSourcedId"))
    elif stem == "users":
        model.user(
            at,
            sid,
            given=s("givenName"),
            family=s("familyName"),
            email=s("email"),
            phone=s("phone") or s("sms"),
            identifier=s("identifier"),
            grades=lst("grades"),
            orgs=lst("orgSourcedIds"),
            role=s("role") or None,
            primary_org=s("primaryOrgSourcedId"),
            agents=lst("agentSourcedIds"),
        )
    elif stem == "demographics":
        model.demographic(at, sid, s("birthDate"))
    elif stem == "enrollments":
        model.enrollment(at, sid, s("classSourcedId"), s("schoolSourcedId"), s("userSourcedId"), s("role"))

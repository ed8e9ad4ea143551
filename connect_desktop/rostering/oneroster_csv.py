"""OneRoster 1.1 and 1.2 CSV packages: manifest, strict field validation, snapshot.

Harmless messiness is accepted (BOM, CRLF, no final newline, `TRUE`, enum values in the
wrong case, files in one sub-folder); what would corrupt data is an error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connect_desktop.rostering.csvsource import CsvPackage, CsvTable, Limits
from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.row_width import Fit, fitted
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
    ("resourceSourcedIds", "quiet", False),  # Connect does not use it: its absence is not worth a word
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


ONEROSTER_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
    "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales",
    "orgs", "resources", "resultLearningObjectiveIds", "results", "resultScoreScales", "roles",
    "scoreScales", "userProfiles", "userResources", "users",
)  # fmt: skip
"""The files of OneRoster 1.1 and 1.2 CSV, named as the specification writes them."""
_SPEC_NAME = {f.lower(): f for f in ONEROSTER_FILES}
_MANIFEST_KEYS = ("manifest.version", "oneroster.version", *(f"file.{f}" for f in ONEROSTER_FILES))
_MODES: dict[str, Mode] = {"bulk": "bulk", "delta": "delta"}  # manifest.csv's words for a file


@dataclass(frozen=True, slots=True)
class Manifest:
    version: str
    files: dict[str, Mode]  # files declared bulk or delta
    said: dict[str, str] = field(default_factory=dict)
    """What the manifest wrongly says of a file that is in the package ("gives file.x no value"),
    reported with that file instead of on its own."""


def read_manifest(pkg: CsvPackage, diags: Diagnostics) -> Manifest:
    """Parse manifest.csv; guess sensibly (with an error) when it is missing or broken."""
    name = pkg.find("manifest.csv")
    table = pkg.table(name) if name else None
    guess = "1.2" if pkg.find("roles.csv") else "1.1"
    props: dict[str, str] = {}  # key, as OneRoster writes it -> value
    if table is None:
        if name is None:
            diags.error(
                "missing_manifest",
                f"The package has no manifest.csv; its files were checked as OneRoster {guess}.",
                "Export the whole OneRoster package from the SIS: its manifest.csv names the "
                "OneRoster version and lists the files.",
                file="manifest.csv",
            )
    else:
        if [h.strip() for h in table.header[:2]] != ["propertyName", "value"]:
            diags.error(
                "bad_header",
                f"The header is {','.join(table.header)!r}, not 'propertyName,value'.",
                "Make the first row of manifest.csv: propertyName,value",
                file="manifest.csv",
                row=1,
            )
        for _row, values in table.rows:
            if len(values) >= 2:
                props[_manifest_key(values[0].strip(), diags)] = values[1].strip()
    present = {n.removesuffix(".csv").lower() for n in pkg.names}
    said: dict[str, str] = {}
    _misspelt_keys(props, present, said, diags)
    version = props.get("oneroster.version", "")
    if version not in ("1.1", "1.2"):
        if table is not None:
            diags.error(
                "bad_version",
                f"oneroster.version is {version!r}; Connect reads 1.1 and 1.2, so the files were "
                f"checked as {guess}."
                if "oneroster.version" in props
                else f"manifest.csv does not give oneroster.version; the files were checked as {guess}.",
                f"Set oneroster.version to the version the export follows (the files look like {guess}).",
                file="manifest.csv",
                column="oneroster.version",
            )
        version = guess
    if table is not None and props.get("manifest.version") != "1.0":
        given = "manifest.version" in props
        diags.warning(
            "manifest_version",
            f"manifest.version is {props.get('manifest.version')!r}; OneRoster's manifest version is 1.0."
            if given
            else "manifest.csv has no manifest.version line.",
            "Set manifest.version to 1.0." if given else "Add the line manifest.version,1.0 to manifest.csv.",
            file="manifest.csv",
            column="manifest.version",
        )
    files: dict[str, Mode] = {}
    for key, value in props.items():
        if not key.startswith("file."):
            continue
        stem, mode = key[5:], value.lower()
        if (known := _MODES.get(mode)) is not None:
            files[stem] = known
            continue
        gives = f"gives {key} no value" if not value else f"gives {key} the value {value!r}"
        if mode == "absent":
            said[stem] = f"marks {key} absent"
        elif stem.lower() in present:
            said[stem] = gives  # reported with the file, as one finding
        else:
            diags.warning(
                "manifest_value",
                f"manifest.csv {gives}; it must be bulk, delta or absent, and was read as absent.",
                f"Write absent: the package has no {stem}.csv.",
                file="manifest.csv",
                column=key,
            )
    if not props:
        files = {f: "bulk" for f in READ_ORDER if pkg.find(f"{f}.csv")}
    return Manifest(version, files, said)


def _manifest_key(key: str, diags: Diagnostics) -> str:
    """`key` as OneRoster writes it: file.userprofiles -> file.userProfiles (with a warning)."""
    if not key.lower().startswith("file."):
        return key
    proper = _SPEC_NAME.get(key[5:].lower())
    if proper is None or key == f"file.{proper}":
        return key
    diags.warning(
        "manifest_key_case",
        f"'{key}' should be written 'file.{proper}'; it was read as that.",
        "Manifest keys are case-sensitive: fix the case, so that other programs find it too.",
        file="manifest.csv",
        column=key,
    )
    return f"file.{proper}"


def _misspelt_keys(
    props: dict[str, str], present: set[str], said: dict[str, str], diags: Diagnostics
) -> None:
    """Keys like 'fiel.demographics': not read, and said once (with the file, if it is there)."""
    for key in props:
        if key in _MANIFEST_KEYS or key.startswith(("file.", "source.")):
            continue
        unused = [k for k in _MANIFEST_KEYS if k not in props]
        close = difflib.get_close_matches(key, unused, n=1, cutoff=0.85)
        if not close:
            continue
        stem = close[0].removeprefix("file.")
        if close[0].startswith("file.") and stem.lower() in present:
            said[stem] = f"has '{key}' (not '{close[0]}')"
            continue
        diags.warning(
            "manifest_key",
            f"'{key}' is not a manifest key; it looks like '{close[0]}' misspelt, so it was ignored.",
            f"Correct it to {close[0]}.",
            file="manifest.csv",
            column=key,
        )


def _undeclared(name: str, manifest: Manifest, diags: Diagnostics) -> None:
    """A file in the package that the manifest does not list as bulk or delta."""
    stem = name.removesuffix(".csv")
    proper = _SPEC_NAME.get(stem.lower())
    if proper is None:
        diags.warning(
            "undeclared_file",
            f"{name} is not a OneRoster file; it was ignored.",
            "Nothing to fix for Connect: it reads only OneRoster's own files (orgs.csv, users.csv, …).",
            file=name,
        )
        return
    key = f"file.{proper}"
    says = manifest.said.get(proper, f"does not list {key} as bulk or delta")
    rename = f"name the file {proper}.csv and " if name != f"{proper}.csv" else ""
    if proper in READ_ORDER and not (proper == "roles" and manifest.version == "1.1"):
        diags.warning(
            "undeclared_file",
            f"{name} is in the package, but manifest.csv {says}, so it was not read.",
            f"If the file belongs to this export, {rename}set {key} to bulk (or delta) in manifest.csv; "
            "otherwise remove the file.",
            file=name,
        )
        return
    diags.warning(
        "undeclared_file",
        f"{name} is in the package, but manifest.csv {says}; Connect does not read {proper}.csv anyway.",
        f"Nothing to fix for Connect. To tidy the export, {rename}set {key} to bulk in manifest.csv, "
        "or remove the file.",
        file=name,
    )


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
        """Index the columns; report each header defect once, with what it does to the file."""
        known = {c for c, _, _ in specs}
        by_lower = {c.lower(): c for c in known}
        names = [raw.strip() for raw in header]
        for i, name in enumerate(names):
            if name in known:
                if name in self.index:
                    self._warn(
                        "duplicate_column",
                        f"The column '{name}' appears twice (columns {self.index[name] + 1} and {i + 1}); "
                        f"only column {i + 1} is read.",
                        "Remove or rename one of them.",
                        column=name,
                    )
                self.index[name] = i
        blank: list[int] = []
        strange: list[str] = []  # neither OneRoster columns nor metadata.* extensions
        for i, name in enumerate(names):
            proper = by_lower.get(name.lower())
            if name in known:
                continue
            if not name:
                blank.append(i + 1)
            elif proper and proper not in self.index:
                self.index[proper] = i
                self._warn(
                    "header_case",
                    f"The column '{name}' should be written '{proper}'; it was read as {proper}.",
                    "Header names are case-sensitive: fix the case, so that other programs find it too.",
                    column=name,
                )
            elif not name.startswith("metadata."):
                strange.append(name)
        if blank:
            self._blank_columns(blank, len(names))
        missing = [spec for spec in specs if spec[0] not in self.index]
        renamed = _renamed(self.file, strange, [c for c, _, _ in missing])
        for name in strange:
            if name in renamed:
                self._renamed_column(name, renamed[name], specs)
        self._ignored_columns([n for n in strange if n not in renamed])
        self._missing_columns([spec for spec in missing if spec[0] not in renamed.values()])

    def _warn(self, code: str, message: str, hint: str, column: str | None = None) -> None:
        self.diags.warning(code, message, hint, file=self.file, row=1, column=column)

    def _needed(self, column: str, required: bool) -> bool:
        return required or (column in ("status", "dateLastModified") and self.mode == "delta")

    def _blank_columns(self, blank: list[int], width: int) -> None:
        at_end = blank == list(range(width - len(blank) + 1, width + 1))
        fix = (
            "Remove the extra commas at the end of the header row."
            if at_end
            else "Give the column its OneRoster name if it holds values; otherwise remove it."
        )
        if len(blank) == 1:
            message = f"Column {blank[0]} of the header has no name; it was ignored."
        else:
            message = f"Columns {_and(str(i) for i in blank)} of the header have no name; they were ignored."
        self._warn("blank_header", message, fix, column=f"#{blank[0]}" if len(blank) == 1 else None)

    def _renamed_column(self, name: str, column: str, specs: list[Spec]) -> None:
        """A header name that stands for a missing column: one finding, as the name in the file."""
        required = next(req for c, _, req in specs if c == column)
        misspelt = difflib.SequenceMatcher(None, name, column).ratio() >= _SPELLING
        said = f"it looks like '{column}' misspelt" if misspelt else f"OneRoster calls this column '{column}'"
        if self._needed(column, required):
            then = (
                f"without a {column} column {self.file} was not read"
                if required
                else f"a delta file needs {column} on every row"
            )
            self.diags.error(
                "unknown_column",
                f"'{name}' is not a OneRoster column: {said}, and {then}.",
                f"Rename the column '{name}' to '{column}' in the header."
                if misspelt
                else f"If the column holds {column} values, rename it to '{column}'.",
                file=self.file,
                row=1,
                column=name,
            )
            return
        then = f"{column} is read as empty" if column in USED else "it was ignored (unused by Connect)"
        self._warn(
            "unknown_column",
            f"'{name}' is not a OneRoster column: {said}, so {then}.",
            f"Rename the column '{name}' to '{column}' in the header."
            if misspelt
            else f"If the column holds {column} values, rename it to '{column}'.",
            column=name,
        )

    def _ignored_columns(self, names: list[str]) -> None:
        if not names:
            return
        hint = "Nothing to fix for Connect; OneRoster expects extra columns to be named metadata.<name>."
        if len(names) == 1:
            message = f"'{names[0]}' is not a OneRoster column; it was ignored."
            self._warn("unknown_column", message, hint, names[0])
            return
        listed = _and(f"'{n}'" for n in names)
        message = f"{len(names)} columns are not OneRoster columns and were ignored: {listed}."
        self._warn("unknown_column", message, hint)

    def _missing_columns(self, missing: list[Spec]) -> None:
        unused: list[str] = []
        for column, kind, required in missing:
            if kind == "quiet":
                continue
            if self._needed(column, required):
                self.diags.error(
                    "missing_column",
                    f"The required column '{column}' is missing, so {self.file} was not read."
                    if required
                    else f"The column '{column}' is missing; a delta file needs it on every row.",
                    f"Add the column '{column}' and fill it in on every row.",
                    file=self.file,
                    row=1,
                    column=column,
                )
            elif column in USED and column not in ("status", "dateLastModified"):
                self._warn(
                    "missing_column",
                    f"The column '{column}' is missing, so {column} is read as empty on every row.",
                    f"Add the column '{column}' with its values (rows without one may leave it empty).",
                    column=column,
                )
            else:
                unused.append(column)
        if not unused:
            return
        hint = "Nothing to fix for Connect; other programs may expect every OneRoster column in the header."
        if len(unused) == 1:
            message = f"The optional column '{unused[0]}' is missing; Connect does not use it."
        else:
            listed = _and(f"'{c}'" for c in unused)
            message = f"{len(unused)} optional columns are missing: {listed}; Connect does not use them."
        self._warn("missing_column", message, hint, unused[0] if len(unused) == 1 else None)

    def rows(self) -> Iterator[tuple[int, dict[str, object] | None, str, bool]]:
        """(row, parsed values, the raw sourcedId, whether the row is free of errors).

        The values are None for a row whose values cannot be placed in their columns
        (see row_width): its fields are not checked, since they would be judged in the
        wrong columns. Other rows report every field error and still hand over their values
        (a bad value as empty), so that their references are checked in the same pass.
        """
        at = self.index.get("sourcedId", 0)
        delta = self.mode == "delta"
        required = {i for _, k, req, i, _, _ in self.specs if req or (delta and k in ("status", "dlm"))}
        header = self.table.header
        for row, values, fit in fitted(self.table.rows, header, required, self.diags, self.file):
            if fit is Fit.FRAGMENT:
                continue
            raw_sid = values[at].strip() if at < len(values) else ""
            if fit is Fit.OK:
                parsed, ok = self._parse(row, values)
                yield row, parsed, raw_sid, ok
            else:
                yield row, None, raw_sid, False

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
                        group=f"{{count}} rows have no {column}",
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
                        group=f"{{count}} rows of a delta file have no {column}",
                    )
                    ok = False
                continue
            if check is _check_text or raw in allowed or (check is _check_id and _ID_MATCH(raw)):
                out[column] = raw  # the common cases, without a call
                continue
            value = check(self, kind, raw, row, column)
            if value is _BAD:
                ok = False
                value = [] if kind in ("ids", "list") else ""
            out[column] = value
        return out, ok


_BAD = object()
# fmt: off
USED = frozenset((
    "sourcedId", "status", "name", "type", "title", "startDate", "endDate", "schoolYear", "courseCode",
    "grades", "courseSourcedId", "classCode", "schoolSourcedId", "termSourcedIds", "userSourcedId",
    "roleType", "role", "orgSourcedId", "givenName", "familyName", "email", "phone", "sms", "identifier",
    "orgSourcedIds", "primaryOrgSourcedId", "agentSourcedIds", "birthDate", "classSourcedId",
    "parentSourcedId", "schoolYearSourcedId",
))
# fmt: on
"""Columns `_dispatch` reads."""


def _allowed(kind: str) -> frozenset[str]:
    """The exact values an enum accepts (empty for other kinds)."""
    if kind == "status":
        return frozenset(STATUS)
    return frozenset(ENUMS[kind[5:]]) if kind.startswith("enum:") else frozenset()


_SPELLING = 0.8
"""How alike a header name and a missing column must be to count as a misspelling."""

ALIASES: dict[str, dict[str, str]] = {
    "classes": {"orgSourcedId": "schoolSourcedId", "sessionSourcedIds": "termSourcedIds"},
    "courses": {"code": "courseCode", "schoolYearId": "schoolYearSourcedId"},
    "users": {"agents": "agentSourcedIds"},
    "roles": {"roleStartDate": "beginDate", "roleEndDate": "endDate"},
    "demographics": {"userSourcedId": "sourcedId"},
}
"""Other exports' names for a OneRoster column (Microsoft SDS, older OneRoster drafts), per file."""


def _renamed(file: str, strange: list[str], missing: list[str]) -> dict[str, str]:
    """Header names that stand for a missing column: another export's name, or a misspelling.

    Only names that are not OneRoster columns are candidates, and each missing column is
    claimed once: a valid column is never taken for another one misspelt.
    """
    aliases = ALIASES.get(file.rsplit("/", 1)[-1].removesuffix(".csv"), {})
    left, out = list(missing), {}
    for name in strange:
        alias = aliases.get(name)
        close = [alias] if alias in left else difflib.get_close_matches(name, left, n=1, cutoff=_SPELLING)
        if close:
            out[name] = close[0]
            left.remove(close[0])
    return out


def _and(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


_LEFT_OUT = "; their rows were left out"
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_MONTHS = tuple(dt.date(2000, m, 1).strftime("%B") for m in range(1, 13))


def _date_guess(raw: str) -> str:
    """' (27 August 2018 is written 2018-08-27)' for '8/27/2018'; '' when nothing fits."""
    m = _SLASHED.fullmatch(raw)
    if not m:
        return ""
    a, b, year = int(m[1]), int(m[2]), m[3]
    readings = {(mo, d) for mo, d in ((a, b), (b, a)) if 1 <= mo <= 12 and 1 <= d <= 31}
    if len(readings) == 1:
        ((month, day),) = readings
        return f" ({day} {_MONTHS[month - 1]} {year} is written {year}-{month:02}-{day:02})"
    if len(readings) == 2:
        return f" (write {year}-{a:02}-{b:02} or {year}-{b:02}-{a:02}, whichever is meant)"
    return ""


def _check_id(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if ID_RE.fullmatch(raw):
        return raw
    bad = sorted({c for c in raw if not re.fullmatch(r"[0-9A-Za-z./@_-]", c)})
    r.diags.error(
        "bad_id",
        f"'{raw[:60]}' is not a valid sourcedId"
        + (f" (it contains {''.join(bad)!r})." if bad else " (over 255 characters)."),
        "Connect accepts sourcedIds of letters, digits and . / @ _ - (up to 255 characters); "
        "change it in the SIS, so that every file referring to it changes too.",
        file=r.file,
        row=row,
        column=column,
        group=f"{{count}} {column} values are not valid sourcedIds{_LEFT_OUT}",
    )
    return _BAD


def _check_ids(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    ids = [p.strip() for p in raw.split(",") if p.strip()]
    return ids if all(_check_id(r, kind, i, row, column) is not _BAD for i in ids) else _BAD


def _check_list(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    return [p.strip() for p in raw.split(",") if p.strip()]


def _check_text(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    return raw


_DATE_HINT = (
    "Write dates as year-month-day, e.g. 2024-08-26. A spreadsheet rewrites dates when it saves: "
    "export from the SIS again rather than editing the file in one."
)


def _check_date(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if DATE_RE.fullmatch(raw):
        try:
            dt.date.fromisoformat(raw)
            return raw
        except ValueError:
            pass
    r.diags.error(
        "bad_date",
        f"'{raw}' is not a date in the form YYYY-MM-DD{_date_guess(raw)}.",
        _DATE_HINT,
        file=r.file,
        row=row,
        column=column,
        group=f"{{count}} {column} values are not dates in the form YYYY-MM-DD{_LEFT_OUT}",
    )
    return _BAD


def _check_dlm(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if DATETIME_RE.fullmatch(raw):
        return raw
    delta = r.mode == "delta"
    if DATE_RE.fullmatch(raw):
        r.diags.warning(
            "date_not_datetime",
            f"'{raw}' is a date without a time; dateLastModified is a date and time.",
            f"Write it as a date and time, e.g. {raw}T00:00:00.000Z.",
            file=r.file,
            row=row,
            column=column,
            group="{count} dateLastModified values are dates without a time",
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
            group=f"{{count}} dateLastModified values are not dates and times{_LEFT_OUT}",
        )
        return _BAD
    r.diags.warning(
        "bad_datetime",
        message + "; it was ignored (a bulk file does not need it).",
        "Leave dateLastModified empty in bulk files, or write e.g. 2024-08-26T12:00:00.000Z.",
        file=r.file,
        row=row,
        column=column,
        group="{count} dateLastModified values are not dates and times; they were ignored "
        "(a bulk file does not need them)",
    )
    return ""


_SPAN = re.compile(r"(\d{4})\s*[-/–]\s*(\d{2}|\d{4})")


def _check_year(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    if YEAR_RE.fullmatch(raw):
        return raw
    span = _SPAN.fullmatch(raw)
    end = (span[1][:2] + span[2] if len(span[2]) == 2 else span[2]) if span else ""
    r.diags.error(
        "bad_year",
        f"'{raw}' is not a four-digit year" + (f" (for {raw} write {end})." if end else "."),
        "Write the year the school year ends, e.g. 2025 for 2024–25.",
        file=r.file,
        row=row,
        column=column,
        group=f"{{count}} {column} values are not four-digit years{_LEFT_OUT}",
    )
    return _BAD


_YES_NO = {"yes": True, "no": False, "y": True, "n": False}


def _check_bool(r: _FileReader, kind: str, raw: str, row: int, column: str) -> object:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"  # `TRUE` is how spreadsheets write it: harmless
    if lowered in _YES_NO:  # unambiguous, as older exports write it: read, with a word
        value = _YES_NO[lowered]
        r.diags.warning(
            "boolean_spelling",
            f"'{raw}' was read as {str(value).lower()}.",
            "Write true or false, so that other programs read it too.",
            file=r.file,
            row=row,
            column=column,
            group=f"{{count}} {column} values are written yes/no, not true/false; they were read as such",
        )
        return value
    r.diags.error(
        "bad_boolean",
        f"'{raw}' is not true or false.",
        "Write true or false.",
        file=r.file,
        row=row,
        column=column,
        group=f"{{count}} {column} values are not true or false{_LEFT_OUT}",
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
                f"'{raw}' should be written '{value}'; it was read as {value}.",
                "Values are case-sensitive: fix the case, so that other programs accept them too.",
                file=r.file,
                row=row,
                column=column,
                group=f"{{count}} {column} values are in the wrong case; they were read as OneRoster's",
            )
            return value
    listed = ", ".join(allowed)
    r.diags.error(
        "bad_enum",
        f"'{raw}' is not one of: {listed}.",
        "Leave status empty or write active; tobedeleted marks a record that is gone."
        if kind == "enum:status"
        else "Use one of the listed values.",
        file=r.file,
        row=row,
        column=column,
        group=f"{{count}} {column} values are not one of: {listed}{_LEFT_OUT}",
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
    declared = {f.lower() for f in manifest.files} | {"manifest"}
    for name in pkg.names:
        if name.removesuffix(".csv").lower() not in declared:
            _undeclared(name, manifest, diags)
    model = OneRosterAssembler(snap, diags, dict(manifest.files))
    read: set[str] = set()  # files whose rows were read
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
            _ids_only(stem, reader, model)
            continue
        model.loaded.add(stem)
        read.add(stem)
        _feed(stem, reader, model, snap, mode)
    for type_, stem in TYPE_FILE.items():
        snap.modes[type_] = manifest.files.get(stem, "bulk")
    snap.present = {t for t, stem in TYPE_FILE.items() if stem in read}
    model.finish()


_REFERENCED = ("orgs", "academicSessions", "courses", "classes", "users")
"""Files other files point into."""


def _ids_only(stem: str, reader: _FileReader, model: OneRosterAssembler) -> None:
    """A file whose header lacks a required column: no row can be used, but its sourcedIds are known.

    References into it are still checked (against its ids, each one a row with an error);
    the file is drained either way so that it is closed.
    """
    at = reader.index.get("sourcedId")
    if stem not in _REFERENCED or at is None:
        for _ in reader.table.rows:
            pass
        return
    model.loaded.add(stem)
    for _, values in reader.table.rows:
        model.reject(stem, values[at].strip() if at < len(values) else "")


def _feed(stem: str, reader: _FileReader, model: OneRosterAssembler, snap: Snapshot, mode: Mode) -> None:
    batch: list[tuple[str, int, dict[str, object], bool]] = []
    for row, rec, raw_sid, ok in reader.rows():
        if rec is None or not rec.get("sourcedId"):
            model.reject(stem, raw_sid)  # references to it are not reported again
        if rec is None:
            continue
        batch.append((str(rec.get("sourcedId") or ""), row, rec, ok))
        if len(batch) >= _FEED_BATCH:
            _feed_rows(stem, reader.file, batch, model, snap, mode)
            batch.clear()
    _feed_rows(stem, reader.file, batch, model, snap, mode)
    model.file_done(stem)


_FEED_BATCH = 2_000


def feed_batch(
    stem: str,
    file: str,
    batch: list[tuple[str, int, dict[str, object]]],
    model: OneRosterAssembler,
    snap: Snapshot,
    mode: Mode,
) -> None:
    """Hand one batch of parsed, valid (sourcedId, row, values) of a file to the assembler.

    Shared with the REST readers (row = index in the endpoint's listing).
    """
    _feed_rows(stem, file, [(sid, row, rec, True) for sid, row, rec in batch], model, snap, mode)


def _feed_rows(
    stem: str,
    file: str,
    batch: list[tuple[str, int, dict[str, object], bool]],
    model: OneRosterAssembler,
    snap: Snapshot,
    mode: Mode,
) -> None:
    """(sourcedId, row, values, free of errors) -> the assembler.

    A row with errors of its own is still dispatched, so that its references are checked
    in the same pass; the assembler does not keep it. A row without a usable sourcedId
    ('') cannot be claimed (nor be a duplicate).
    """
    if not batch:
        return
    fresh = [True] * len(batch)
    if stem != "roles":
        claimable = [i for i, (sid, *_) in enumerate(batch) if sid]
        claimed = model.claim(stem, file, [(batch[i][0], batch[i][1]) for i in claimable])
        for i, new in zip(claimable, claimed, strict=True):
            fresh[i] = new
    diags = model.diags
    for (sid, row, rec, ok), new in zip(batch, fresh, strict=True):
        if not new:
            continue
        status = rec.get("status") or ""
        if status == "tobedeleted":
            if mode == "delta":
                for type_ in GONE_TYPES.get(stem, ()) if ok else ():
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
                    group="{count} rows are marked tobedeleted in a bulk file; they were left out",
                )
            continue
        _dispatch(stem, Where(file, row, ok), sid, rec, model)


def _dispatch(stem: str, at: Where, sid: str, rec: dict[str, object], model: OneRosterAssembler) -> None:
    def s(key: str) -> str:
        return str(rec.get(key) or "")

    def lst(key: str) -> list[str]:  # the parsers give list columns as lists of str
        value = rec.get(key)
        return list(value) if isinstance(value, list) else []

    if stem == "orgs":
        model.org(at, sid, s("name"), s("type"), parent=s("parentSourcedId"))
    elif stem == "academicSessions":
        model.session(
            at, sid, s("title"), s("startDate"), s("endDate"), s("schoolYear"), parent=s("parentSourcedId")
        )
    elif stem == "courses":
        model.course(at, sid, s("courseCode"), school_year=s("schoolYearSourcedId"), org=s("orgSourcedId"))
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

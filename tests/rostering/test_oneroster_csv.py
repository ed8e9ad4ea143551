"""Generated packages: one per validator check, plus the harmless messiness that must pass."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect_desktop.rostering.csvsource import Limits
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.validate import read_snapshot, validate_source

from .district import (
    EXPECTED_COUNTS,
    oneroster_files,
    oneroster_tables,
    package,
    to_csv,
    write_folder,
    write_zip,
)


def edit(file: str, row: int, column: str, value: str, version: str = "1.2") -> str:
    """The CSV text of `file` with one cell changed (row counts the header as 1)."""
    header, rows = oneroster_tables(version)[file]
    rows = [list(r) for r in rows]
    rows[row - 2][header.index(column)] = value
    return to_csv(header, rows)


def only(report_items: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in report_items if d.code == code]
    assert len(found) == 1, [str(d) for d in report_items]
    return found[0]


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("as_zip", [True, False])
def test_valid_district(tmp_path: Path, version: str, as_zip: bool) -> None:
    files = oneroster_files(version)
    path = write_zip(tmp_path / "p.zip", files) if as_zip else write_folder(tmp_path / "p", files)
    report = validate_source(path)
    assert report.errors == 0 and report.warnings == 0, [str(d) for d in report.diagnostics]
    assert report.counts == EXPECTED_COUNTS
    assert report.version == version


def test_harmless_messiness_is_accepted(tmp_path: Path) -> None:
    files = oneroster_files("1.2")
    header, rows = oneroster_tables("1.2")["users"]
    rows = [[("TRUE" if c == "true" else c) for c in r] for r in rows]
    users = to_csv(header, rows, newline="\n").rstrip("\n")  # LF, no final newline
    messy = {name: "\ufeff" + text for name, text in files.items()}  # a BOM everywhere
    messy["users.csv"] = "\ufeff" + users
    with read_snapshot(write_zip(tmp_path / "p.zip", messy), diags := Diagnostics()) as snap:
        assert snap.counts() == EXPECTED_COUNTS
    assert diags.errors == 0 and diags.warnings == 0, [str(d) for d in diags]


def test_files_inside_one_folder_are_read_with_a_warning(tmp_path: Path) -> None:
    files = {f"export/{name}": text for name, text in oneroster_files().items()}
    report = validate_source(write_zip(tmp_path / "p.zip", files))  # type: ignore[arg-type]
    assert report.counts == EXPECTED_COUNTS
    assert only(report.diagnostics, "files_in_folder").severity == "warning"


CASES = [
    # (changes, code, file, row, column)
    (
        {"users__csv": edit("users", 3, "identifier", "x").encode()[:-3] + b"\xe9\r\n"},
        "bad_encoding",
        "users.csv",
        11,
        "primaryOrgSourcedId",
    ),
    (
        {
            "classes__csv": to_csv(*oneroster_tables()["classes"])
            + 'cls-x,,,"Unclosed,03,crs-math3\r\ncls-y,,,\r\n'
        },
        "unclosed_quote",
        "classes.csv",
        5,
        None,
    ),
    (
        {
            "classes__csv": to_csv(*oneroster_tables()["classes"]).replace(
                '"Biology, period 1"', '"Biology" x'
            )
        },
        "bad_quoting",
        "classes.csv",
        3,
        None,
    ),
    ({"orgs__csv": edit("orgs", 4, "sourcedId", "sch-elem")}, "duplicate_id", "orgs.csv", 4, "sourcedId"),
    (
        {"enrollments__csv": edit("enrollments", 3, "userSourcedId", "s-nobody")},
        "broken_reference",
        "enrollments.csv",
        3,
        "userSourcedId",
    ),
    (
        {"classes__csv": edit("classes", 2, "termSourcedIds", "sem-9")},
        "broken_reference",
        "classes.csv",
        2,
        "termSourcedIds",
    ),
    (
        {"users__csv": edit("users", 5, "agentSourcedIds", "g-ghost")},
        "broken_reference",
        "users.csv",
        5,
        "agentSourcedIds",
    ),
    (
        {"classes__csv": edit("classes", 2, "schoolSourcedId", "dist-1")},
        "not_a_school",
        "classes.csv",
        2,
        "schoolSourcedId",
    ),
    (
        {"academicSessions__csv": edit("academicSessions", 2, "startDate", "08/26/2024")},
        "bad_date",
        "academicSessions.csv",
        2,
        "startDate",
    ),
    (
        {"academicSessions__csv": edit("academicSessions", 2, "endDate", "2025-02-30")},
        "bad_date",
        "academicSessions.csv",
        2,
        "endDate",
    ),
    ({"orgs__csv": edit("orgs", 3, "type", "campus")}, "bad_enum", "orgs.csv", 3, "type"),
    (
        {"enrollments__csv": edit("enrollments", 2, "primary", "maybe")},
        "bad_boolean",
        "enrollments.csv",
        2,
        "primary",
    ),
    ({"users__csv": edit("users", 2, "sourcedId", "t ann")}, "bad_id", "users.csv", 2, "sourcedId"),
    ({"users__csv": edit("users", 2, "givenName", "")}, "missing_value", "users.csv", 2, "givenName"),
    (
        {"academicSessions__csv": edit("academicSessions", 3, "schoolYear", "24/25")},
        "bad_year",
        "academicSessions.csv",
        3,
        "schoolYear",
    ),
    (
        {"enrollments__csv": edit("enrollments", 2, "role", "student")},
        "role_mismatch",
        "enrollments.csv",
        2,
        "role",
    ),
    (
        {
            "manifest__csv": to_csv(
                ["propertyName", "value"], [["manifest.version", "1.0"], ["oneroster.version", "2.0"]]
            )
        },
        "bad_version",
        "manifest.csv",
        None,
        "oneroster.version",
    ),
    ({"manifest__csv": None}, "missing_manifest", "manifest.csv", None, None),
    ({"orgs__csv": None}, "missing_file", "orgs.csv", None, None),
]


@pytest.mark.parametrize(
    ("changes", "code", "file", "row", "column"), CASES, ids=[c[1] + "-" + c[2] for c in CASES]
)
def test_each_check(
    tmp_path: Path,
    changes: dict[str, str | bytes | None],
    code: str,
    file: str,
    row: int | None,
    column: str | None,
) -> None:
    report = validate_source(package(tmp_path, **changes))
    matches = [d for d in report.diagnostics if d.code == code and d.file == file]
    assert matches, [str(d) for d in report.diagnostics]
    assert (matches[0].row, matches[0].column) == (row, column), str(matches[0])
    assert matches[0].severity == "error" and matches[0].hint
    assert not report.ok


def test_missing_required_column(tmp_path: Path) -> None:
    header, rows = oneroster_tables()["classes"]
    i = header.index("schoolSourcedId")
    text = to_csv(
        [h for j, h in enumerate(header) if j != i], [[c for j, c in enumerate(r) if j != i] for r in rows]
    )
    report = validate_source(package(tmp_path, classes__csv=text))
    diag = only(report.diagnostics, "missing_column")
    assert (diag.file, diag.row, diag.column, diag.severity) == ("classes.csv", 1, "schoolSourcedId", "error")
    assert report.counts["classroom"] == 0


def test_two_primary_roles(tmp_path: Path) -> None:
    header, rows = oneroster_tables()["roles"]
    rows = [*rows, ["r-extra", "", "", "t-ann", "primary", "aide", "", "", "sch-elem", ""]]
    report = validate_source(package(tmp_path, roles__csv=to_csv(header, rows)))
    diag = only(report.diagnostics, "two_primary_roles")
    assert (diag.file, diag.row, diag.column) == ("roles.csv", 12, "roleType")
    assert "t-ann" in diag.message


def test_too_many_values(tmp_path: Path) -> None:
    text = to_csv(*oneroster_tables()["orgs"]).replace("Lincoln Elementary", "Lincoln, Elementary")
    diag = only(validate_source(package(tmp_path, orgs__csv=text)).diagnostics, "too_many_values")
    assert (diag.file, diag.row) == ("orgs.csv", 3)


def test_utf16_file(tmp_path: Path) -> None:
    text = to_csv(*oneroster_tables()["orgs"])
    diag = only(
        validate_source(package(tmp_path, orgs__csv=text.encode("utf-16"))).diagnostics, "bad_encoding"
    )
    assert diag.file == "orgs.csv" and "UTF-16" in diag.message


def _zip_with(tmp_path: Path, extra: zipfile.ZipInfo, data: bytes = b"x") -> Path:
    path = package(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(extra, data)
    return path


@pytest.mark.parametrize("name", ["../evil.csv", "/etc/evil.csv", "C:/evil.csv", "a/../../evil.csv"])
def test_unsafe_zip_paths(tmp_path: Path, name: str) -> None:
    report = validate_source(_zip_with(tmp_path, zipfile.ZipInfo(name)))
    diag = only(report.diagnostics, "unsafe_entry")
    assert diag.file == name and not report.ok
    assert report.counts == EXPECTED_COUNTS  # the safe files are still read


def test_symlink_zip_entry(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("link.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert (
        "symbolic link"
        in only(
            validate_source(_zip_with(tmp_path, info, b"/etc/passwd")).diagnostics, "unsafe_entry"
        ).message
    )


def test_symlink_in_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "p", oneroster_files())  # type: ignore[arg-type]
    (tmp_path / "secret.csv").write_text("a,b\r\n")
    (folder / "extra.csv").symlink_to(tmp_path / "secret.csv")
    assert only(validate_source(folder).diagnostics, "unsafe_entry").file == "extra.csv"


def test_oversized_entry_and_zip_bomb(tmp_path: Path) -> None:
    path = package(tmp_path)
    report = validate_source(path, limits=Limits(max_entry_bytes=900))
    big = [d for d in report.diagnostics if d.code == "oversized_entry"]
    assert {d.file for d in big} >= {"users.csv"}
    bomb = write_zip(tmp_path / "bomb.zip", {**oneroster_files(), "users.csv": "0" * (3 << 20)})
    diag = only(validate_source(bomb, limits=Limits(max_ratio=100)).diagnostics, "zip_bomb")
    assert diag.file == "users.csv"


def test_not_a_package(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert only(validate_source(tmp_path / "notes.txt").diagnostics, "not_a_package").severity == "error"


def test_delta_requires_status_and_date(tmp_path: Path) -> None:
    files = oneroster_files("1.2", mode="delta")
    report = validate_source(write_zip(tmp_path / "d.zip", files))  # type: ignore[arg-type]
    missing = [d for d in report.diagnostics if d.code == "missing_value"]
    assert missing and {d.column for d in missing} == {"status", "dateLastModified"}


text_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text_values.filter(lambda s: s.strip() == s and s != ""))
def test_round_trip_of_arbitrary_text(tmp_path: Path, title: str) -> None:
    """Quotes, commas and newlines inside a value survive the CSV reader unchanged."""
    header, rows = oneroster_tables()["classes"]
    rows = [list(r) for r in rows]
    rows[0][header.index("title")] = title
    with read_snapshot(package(tmp_path, classes__csv=to_csv(header, rows)), diags := Diagnostics()) as snap:
        record = snap.get("classroom", "cls-math3a")
        assert record is not None and record.as_dict()["name"] == title, [str(d) for d in diags]

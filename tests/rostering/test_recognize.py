"""What `validate` was given: every real export in shared/samples/realworld, and synthetic inputs."""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import pytest

from connect_desktop.rostering.cli import add_rostering_commands, run_rostering_command
from connect_desktop.rostering.recognize import recognize
from connect_desktop.rostering.validate import validate_source
from tests.support.samples import REALWORLD

from .district import EXPECTED_COUNTS, oneroster_files, to_csv, write_folder, write_zip

EXPECTED = {
    "clever-sandbox": "clever-csv",
    "lepo-en": "oneroster-1.1",
    "lepo-ja-zip": "oneroster-1.1",  # a folder holding only oneroster.zip
    "moodle-v1p2-nested": "oneroster-1.2",  # files inside a folder of the zip
    "moodle-vrd118": "oneroster-1.2",
    "oat-sa-v1p1-base": "oneroster-1.1",
    "parentsquare-generic": "vendor",
    "rjeike-csvsample": "oneroster-1.1",  # no manifest: still OneRoster
    "sds-v2.1": "sds",
    "snapwiz-v1p1-base": "oneroster-1.1",
}
ONE_ERROR = {
    "sds-v2.1": "Microsoft School Data Sync (SDS) v2.1",
    "parentsquare-generic": "vendor's own format",
}


def test_every_real_export_has_an_expected_kind() -> None:
    assert REALWORLD.is_dir(), f"the real-world samples are missing: expected them in {REALWORLD}"
    assert sorted(p.name for p in REALWORLD.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_real_exports_are_recognised(folder: str) -> None:
    found = recognize(REALWORLD / folder)
    assert found.kind == EXPECTED[folder]
    assert found.readable == (folder not in ONE_ERROR)
    for archive in sorted((REALWORLD / folder).glob("*.zip")):
        assert recognize(archive).kind == EXPECTED[folder], archive.name


@pytest.mark.parametrize("folder", sorted(ONE_ERROR))
def test_other_formats_get_one_clear_error(folder: str) -> None:
    report = validate_source(REALWORLD / folder)
    [only] = report.diagnostics
    assert (only.severity, only.code) == ("error", "not_oneroster")
    assert ONE_ERROR[folder] in only.message
    assert "export OneRoster CSV" in only.hint
    assert report.errors == 1 and report.warnings == 0 and not report.ok
    assert report.kind == EXPECTED[folder] and report.version is None
    assert not any(report.counts.values())


def test_sds_is_named_by_its_own_files_and_columns() -> None:
    [only] = validate_source(REALWORLD / "sds-v2.1").diagnostics
    assert "relationships.csv" in only.message and "activeDirectoryMatchId" in only.message


def test_oneroster_without_manifest_is_still_validated_as_oneroster() -> None:
    report = validate_source(REALWORLD / "rjeike-csvsample")
    assert report.kind == "oneroster-1.1" and report.version == "1.1"
    assert any(d.code == "missing_manifest" for d in report.diagnostics)


def test_a_folder_holding_only_a_zip_is_read_through_the_zip() -> None:
    report = validate_source(REALWORLD / "lepo-ja-zip")
    assert Path(report.source).name == "oneroster.zip"
    assert report.counts["student"] == 20 and report.kind == "oneroster-1.1"


def test_clever_files_are_validated_with_the_clever_reader() -> None:
    report = validate_source(REALWORLD / "clever-sandbox")
    assert (report.kind, report.version) == ("clever-csv", "clever-csv")
    assert report.counts["student"] == 1004


# -- synthetic inputs ----------------------------------------------------------------
def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    report = validate_source(tmp_path / "empty")
    [only] = report.diagnostics
    assert (report.kind, only.code) == ("unknown", "no_files")


@pytest.mark.parametrize("name", ["roster.xlsx", "roster.zip"])
def test_a_spreadsheet_is_named_as_such(tmp_path: Path, name: str) -> None:
    with zipfile.ZipFile(tmp_path / name, "w") as book:  # an .xlsx is a zip of XML
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    report = validate_source(tmp_path / name)
    [only] = report.diagnostics
    assert (report.kind, only.code) == ("unknown", "spreadsheet")
    assert "CSV UTF-8" in only.hint


def test_a_folder_of_spreadsheets(tmp_path: Path) -> None:
    (tmp_path / "students.xlsx").write_bytes(b"PK")
    (tmp_path / "staff.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    [only] = validate_source(tmp_path).diagnostics
    assert only.code == "spreadsheet" and "staff.xls" in only.message


def test_a_zip_with_no_csv(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    report = validate_source(tmp_path / "export.zip")
    [only] = report.diagnostics
    assert (report.kind, only.code) == ("unknown", "no_files") and "readme.txt" in only.message


def test_a_lone_csv_file_points_at_its_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "export", dict(oneroster_files()))
    [only] = validate_source(folder / "users.csv").diagnostics
    assert only.code == "not_a_package" and str(folder) in only.hint


def test_a_missing_path(tmp_path: Path) -> None:
    [only] = validate_source(tmp_path / "nowhere.zip").diagnostics
    assert only.code == "not_found"


def test_oneroster_in_one_sub_folder_of_a_folder(tmp_path: Path) -> None:
    write_folder(tmp_path / "download" / "export", dict(oneroster_files("1.1")))
    report = validate_source(tmp_path / "download")
    assert report.source == str(tmp_path / "download" / "export")
    assert report.kind == "oneroster-1.1" and report.ok and report.counts == EXPECTED_COUNTS


def test_a_folder_of_several_exports_asks_which(tmp_path: Path) -> None:
    write_zip(tmp_path / "2024.zip", dict(oneroster_files()))
    write_zip(tmp_path / "2025.zip", dict(oneroster_files()))
    [only] = validate_source(tmp_path).diagnostics
    assert only.code == "no_files" and "2024.zip" in only.message and "2025.zip" in only.message


def test_oneroster_12_without_manifest(tmp_path: Path) -> None:
    files = dict(oneroster_files("1.2"))
    del files["manifest.csv"]
    report = validate_source(write_zip(tmp_path / "p.zip", files))  # type: ignore[arg-type]
    assert report.kind == "oneroster-1.2"
    assert [d.code for d in report.diagnostics if d.severity == "error"] == ["missing_manifest"]


def test_sds_v1(tmp_path: Path) -> None:
    files = {
        "School.csv": to_csv(["SIS ID", "Name"], [["1", "Lincoln"]]),
        "Section.csv": to_csv(["SIS ID", "School SIS ID", "Section Name"], [["7", "1", "Math"]]),
        "Student.csv": to_csv(["SIS ID", "School SIS ID", "Username"], [["9", "1", "ann"]]),
    }
    report = validate_source(write_folder(tmp_path / "sds", files))  # type: ignore[arg-type]
    [only] = report.diagnostics
    assert report.kind == "sds" and "School Data Sync (SDS) v1" in only.message


def test_unrelated_csv_files(tmp_path: Path) -> None:
    write_folder(tmp_path / "x", {"prices.csv": to_csv(["item", "price"], [["pen", "1"]])})
    report = validate_source(tmp_path / "x")
    [only] = report.diagnostics
    assert report.kind == "unknown" and "prices.csv" in only.message


def test_clever_upload_with_capitalised_file_names(tmp_path: Path) -> None:
    files = {
        "Schools.csv": to_csv(["School_id", "School_name"], [["s1", "Lincoln"]]),
        "Enrollments.csv": to_csv(["School_id", "Section_id", "Student_id"], []),
    }
    found = recognize(write_zip(tmp_path / "c.zip", files))  # type: ignore[arg-type]
    assert found.kind == "clever-csv"


def test_cli_prints_the_one_error(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_rostering_commands(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    args = parser.parse_args(["validate", str(REALWORLD / "sds-v2.1")])
    assert run_rostering_command(args, None, out, err) == 1
    assert "School Data Sync" in out.getvalue() and "1 error," in out.getvalue()

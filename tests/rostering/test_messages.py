"""What the validator says, and how: one finding once, groups with true counts, plurals right."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from connect_desktop.rostering.cli import add_rostering_commands, run_rostering_command
from connect_desktop.rostering.diagnostics import Diagnostic, Diagnostics
from connect_desktop.rostering.findings import findings, plural, rows_text, summary
from connect_desktop.rostering.validate import ValidationReport, validate_source
from connect_server.syncing.messages import failed_source
from tests.support.samples import REALWORLD

from .district import oneroster_files, oneroster_tables, package, to_csv


def without(file: str, column: str) -> str:
    """The CSV text of `file` without `column`."""
    header, rows = oneroster_tables()[file]
    i = header.index(column)
    return to_csv(
        [h for j, h in enumerate(header) if j != i], [[v for j, v in enumerate(r) if j != i] for r in rows]
    )


def renamed(file: str, column: str, name: str) -> str:
    """The CSV text of `file` with the header's `column` called `name`."""
    header, rows = oneroster_tables()[file]
    return to_csv([name if h == column else h for h in header], rows)


def with_bad_begin_dates(n: int) -> str:
    """enrollments.csv with `n` more rows, each a copy of the first with its beginDate as 8/27/2024."""
    header, rows = oneroster_tables()["enrollments"]
    begin = header.index("beginDate")
    extra = [[f"e-x{i}", *rows[0][1:begin], "8/27/2024", *rows[0][begin + 1 :]] for i in range(n)]
    return to_csv(header, [*rows, *extra])


def about(report: ValidationReport, *words: str) -> list[Diagnostic]:
    """The findings whose column, message or hint mention all `words`."""
    return [d for d in report.diagnostics if all(w in f"{d.column} {d.message} {d.hint}" for w in words)]


def cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_rostering_commands(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    code = run_rostering_command(parser.parse_args(list(argv)), None, out, err)
    return code, out.getvalue() + err.getvalue()


# -- header: spelling hints, required columns, one finding once --


def test_a_missing_column_is_not_taken_for_a_valid_one_misspelt(tmp_path: Path) -> None:
    report = validate_source(package(tmp_path, courses__csv=without("courses", "subjectCodes")))
    assert report.ok
    [missing] = about(report, "subjectCodes")
    assert "'subjects'" not in missing.message + missing.hint  # subjects is a column of its own
    assert "Connect does not use" in missing.message


def test_roles_without_sourcedid_do_not_suggest_renaming_usersourcedid(tmp_path: Path) -> None:
    report = validate_source(package(tmp_path, roles__csv=without("roles", "sourcedId")))
    [missing] = [d for d in report.diagnostics if d.file == "roles.csv" and d.column == "sourcedId"]
    assert missing.severity == "error" and missing.code == "missing_column"
    assert "userSourcedId" not in missing.hint
    assert missing.hint == "Add the column 'sourcedId' and fill it in on every row."


def test_a_required_column_must_be_filled_in_not_left_empty(tmp_path: Path) -> None:
    report = validate_source(
        package(tmp_path, academicSessions__csv=without("academicSessions", "schoolYear"))
    )
    [missing] = about(report, "schoolYear")
    assert missing.severity == "error"
    assert missing.hint == "Add the column 'schoolYear' and fill it in on every row."
    assert "academicSessions.csv was not read" in missing.message
    assert not [d for d in report.diagnostics if "may stay empty" in d.hint]


def test_an_optional_column_connect_reads_may_stay_empty(tmp_path: Path) -> None:
    report = validate_source(package(tmp_path, users__csv=without("users", "identifier")))
    [missing] = [d for d in report.diagnostics if d.code == "missing_column"]
    assert missing.severity == "warning" and missing.column == "identifier"
    assert "read as empty" in missing.message and "may leave it empty" in missing.hint


def test_a_misspelt_column_is_one_finding_with_its_consequence(tmp_path: Path) -> None:
    report = validate_source(
        package(tmp_path, roles__csv=renamed("roles", "dateLastModified", "dataLastModified"))
    )
    [found] = about(report, "dateLastModified")
    assert (found.code, found.column, found.severity) == ("unknown_column", "dataLastModified", "warning")
    assert (
        "misspelt" in found.message
        and "Rename the column 'dataLastModified' to 'dateLastModified'" in found.hint
    )


def test_a_misspelt_required_column_is_one_error(tmp_path: Path) -> None:
    text = renamed("enrollments", "classSourcedId", "clasSourcedId")
    report = validate_source(package(tmp_path, enrollments__csv=text))
    [found] = about(report, "classSourcedId")
    assert (found.severity, found.column) == ("error", "clasSourcedId")
    assert "enrollments.csv was not read" in found.message


def test_another_exports_name_for_a_column_is_named(tmp_path: Path) -> None:
    report = validate_source(
        package(tmp_path, classes__csv=renamed("classes", "schoolSourcedId", "orgSourcedId"))
    )
    [found] = about(report, "schoolSourcedId")
    assert found.column == "orgSourcedId" and "rename it to 'schoolSourcedId'" in found.hint
    assert "courseSourcedId" not in found.message + found.hint  # courseSourcedId is in the header


def test_unnamed_and_foreign_columns_are_one_finding_each_per_file(tmp_path: Path) -> None:
    header, rows = oneroster_tables()["users"]
    text = to_csv([*header, "ext_a", "ext_b", "", ""], [[*r, "1", "2", "", ""] for r in rows])
    report = validate_source(package(tmp_path, users__csv=text))
    [foreign] = [d for d in report.diagnostics if d.code == "unknown_column"]
    assert "'ext_a' and 'ext_b'" in foreign.message and "Nothing to fix" in foreign.hint
    [blank] = [d for d in report.diagnostics if d.code == "blank_header"]
    assert f"Columns {len(header) + 3} and {len(header) + 4}" in blank.message
    assert "end of the header" in blank.hint
    assert report.ok


# -- manifest: the specification's names, each defect once --


def test_an_undeclared_file_is_named_as_oneroster_names_it(tmp_path: Path) -> None:
    header, rows = oneroster_tables()["roles"]
    report = validate_source(package(tmp_path, userprofiles__csv=to_csv(header, rows)))
    [found] = [d for d in report.diagnostics if d.code == "undeclared_file"]
    assert found.file == "userprofiles.csv"
    assert "file.userProfiles" in found.hint and "userProfiles.csv" in found.hint
    assert "file.userprofiles" not in found.message + found.hint


def test_a_manifest_key_in_the_wrong_case_is_read_with_a_warning(tmp_path: Path) -> None:
    manifest = oneroster_files()["manifest.csv"].replace("file.academicSessions,", "file.academicsessions,")
    report = validate_source(package(tmp_path, manifest__csv=manifest))
    assert report.ok and report.counts["term"] == 3
    [found] = [d for d in report.diagnostics if d.code == "manifest_key_case"]
    assert "'file.academicSessions'" in found.message


def test_a_misspelt_manifest_key_and_its_unread_file_are_one_finding(tmp_path: Path) -> None:
    manifest = oneroster_files()["manifest.csv"].replace("file.demographics,", "fiel.demographics,")
    report = validate_source(package(tmp_path, manifest__csv=manifest))
    about_demographics = about(report, "demographics")
    assert len(about_demographics) == 1, [str(d) for d in about_demographics]
    [found] = about_demographics
    assert found.file == "demographics.csv" and "'fiel.demographics'" in found.message
    assert "set file.demographics to bulk" in found.hint


def test_a_blank_manifest_value_for_a_missing_file(tmp_path: Path) -> None:
    manifest = oneroster_files()["manifest.csv"].replace("file.lineItems,absent", "file.lineItems,")
    report = validate_source(package(tmp_path, manifest__csv=manifest))
    [found] = [d for d in report.diagnostics if d.code == "manifest_value"]
    assert found.column == "file.lineItems" and "no value" in found.message
    assert "lineItems.csv" in found.hint


# -- groups: true counts, ranges, capped lists --


def test_a_group_counts_every_row_though_few_are_kept() -> None:
    diags = Diagnostics(cap=5, per_key=2)
    for row in range(2, 302):
        diags.warning(
            "no_identifier",
            f"Student 's{row}' has no identifier.",
            "Fill it in.",
            file="users.csv",
            row=row,
            column="identifier",
            group="{count} students have no identifier",
        )
    diags.error("bad_date", "'x' is not a date.", file="users.csv", row=7, column="birthDate")
    for row in (3, 9):  # a group none of whose diagnostics fits under the cap any more
        diags.error(
            "bad_id",
            f"'a b{row}' is not valid.",
            file="orgs.csv",
            row=row,
            column="sourcedId",
            group="{count} sourcedIds are not valid",
        )
    found = findings(diags.items, diags.tallies)
    assert [f.severity for f in found] == ["error", "error", "warning"]  # errors first
    group = next(f for f in found if f.code == "no_identifier")
    assert group.count == 300 and group.sentence.startswith(
        "300 students have no identifier: users.csv rows 2–301, column 'identifier'."
    )
    ids = next(f for f in found if f.code == "bad_id")
    assert ids.count == 2 and "orgs.csv rows 3 and 9" in ids.sentence


def test_a_groups_rows_are_bounded_and_counted() -> None:
    diags = Diagnostics()
    rows = range(2, 2002, 2)  # 1,000 rows, none next to another
    for row in rows:
        diags.error(
            "bad_date", "'x' is not a date.", file="a.csv", row=row, column="c", group="{count} bad dates"
        )
    [tally] = diags.tallies.values()
    assert tally.count == 1000 and len(tally.runs) == tally.MAX_RUNS
    [found] = findings(diags.items, diags.tallies)
    assert found.where == "a.csv rows 2, 4, 6, 8, 10, 12 and 994 more, column 'c'"


@pytest.mark.parametrize(
    ("runs", "unlisted", "text"),
    [
        (((5, 5),), 0, "row 5"),
        (((2, 4),), 0, "rows 2–4"),
        (((2, 4), (7, 7)), 0, "rows 2–4 and 7"),
        (
            ((2, 21), (40, 40), (52, 52), (60, 61), (70, 70), (80, 80), (90, 99)),
            300,
            "rows 2–21, 40, 52, 60–61, 70, 80 and 310 more",
        ),
    ],
)
def test_rows_as_ranges(runs: tuple[tuple[int, int], ...], unlisted: int, text: str) -> None:
    assert rows_text(runs, unlisted) == text


def test_plurals() -> None:
    assert [plural(1, "error"), plural(2, "warning"), plural(1200, "student")] == [
        "1 error",
        "2 warnings",
        "1,200 students",
    ]
    assert plural(3, "staff", "staff") == "3 staff"


def test_summary_says_what_stops_the_package() -> None:
    diags = Diagnostics()
    diags.error("missing_column", "The required column 'classType' is missing.", file="classes.csv", row=1)
    diags.warning("enum_case", "'Scheduled' should be written 'scheduled'.", file="classes.csv", row=2)
    text = summary(findings(diags.items))
    assert text.startswith("1 problem stops this package from being used: classes.csv: The required column")
    assert "warnings after the errors do not stop it" in text


# -- the command's text and JSON --


def test_the_text_report_groups_rows_and_puts_errors_first(tmp_path: Path) -> None:
    code, out = cli("validate", str(package(tmp_path, enrollments__csv=with_bad_begin_dates(40))))
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("1 problem stops this package from being used: enrollments.csv: 40 beginDate")
    [group] = [line for line in lines if "beginDate values" in line and line.startswith("error:")]
    assert "enrollments.csv rows 10–49, column 'beginDate'" in group
    example = "  e.g. row 10: '8/27/2024' is not a date in the form YYYY-MM-DD"
    assert f"{example} (27 August 2024 is written 2024-08-27)." in lines
    assert len([line for line in lines if "8/27/2024" in line]) == 1  # not forty times
    first_warning = next((i for i, line in enumerate(lines) if line.startswith("warning:")), len(lines))
    assert max(i for i, line in enumerate(lines) if line.startswith("error:")) < first_warning
    assert lines[-1].endswith(
        "40 errors, 0 warnings; cannot be used. Found: 2 schools, 3 terms, 3 staff, "
        "4 students, 3 contacts, 4 family links, 3 classrooms, 8 enrollments."
    )


def test_the_json_report_keeps_its_keys_and_gives_groups_a_count(tmp_path: Path) -> None:
    code, out = cli("validate", str(package(tmp_path, enrollments__csv=with_bad_begin_dates(40))), "--json")
    body = json.loads(out)
    assert code == 1 and {"version", "errors", "warnings", "suppressed", "counts", "summary"} <= set(body)
    [group] = body["errors"]
    assert (group["count"], group["rows"], group["column"], group["row"]) == (40, [[10, 49]], "beginDate", 10)
    assert group["message"].startswith("40 beginDate values are not dates")
    assert "'8/27/2024'" in group["example"] and body["suppressed"] == 0


def test_singular_counts_in_the_verdict(tmp_path: Path) -> None:
    text = to_csv(*oneroster_tables()["classes"]).replace(",homeroom,", ",Homeroom,", 1)
    code, out = cli("validate", str(package(tmp_path, classes__csv=text)))
    assert code == 0 and out.startswith("This package can be used.")
    assert "0 errors, 1 warning; can be used" in out.splitlines()[-1]


def test_a_package_without_manifest_says_so_first(tmp_path: Path) -> None:
    code, out = cli("validate", str(package(tmp_path, manifest__csv=None)))
    assert code == 1 and out.startswith("This is not a OneRoster package: it has no manifest.csv")
    assert "1 error, 0 warnings; cannot be used" in out


# -- the real exports --


def test_a_real_export_without_manifest() -> None:
    code, out = cli("validate", str(REALWORLD / "rjeike-csvsample"))
    assert code == 1 and out.startswith("This is not a OneRoster package: it has no manifest.csv")
    assert "3 startDate values are not dates in the form YYYY-MM-DD" in out
    assert "(27 August 2018 is written 2018-08-27)" in out


def test_the_nested_moodle_export_names_its_files_as_oneroster_does() -> None:
    report = validate_source(REALWORLD / "moodle-v1p2-nested" / "v1p2_full_dataset.zip")
    [profiles] = [d for d in report.diagnostics if d.file == "userprofiles.csv"]
    assert "file.userProfiles" in profiles.message and "name the file userProfiles.csv" in profiles.hint
    dlm = [
        d
        for d in report.diagnostics
        if d.file == "roles.csv" and "ateLastModified" in f"{d.column}{d.message}"
    ]
    assert [d.column for d in dlm] == ["dataLastModified"]
    assert not [d for d in report.diagnostics if "may stay empty" in d.hint]


def test_the_moodle_delta_export_is_clean_but_for_one_student_number() -> None:
    report = validate_source(REALWORLD / "moodle-vrd118" / "VRd118.zip")
    assert report.ok and [d.code for d in report.diagnostics] == ["no_identifier"]


# -- the server's run message --


def test_the_servers_message_groups_and_counts_like_the_validator() -> None:
    diags = Diagnostics()
    for row in range(2, 27):
        diags.error(
            "bad_date",
            f"'{row}/13/2024' is not a date.",
            "Write YYYY-MM-DD.",
            file="users.csv",
            row=row,
            column="birthDate",
            group="{count} birthDate values are not dates",
        )
    diags.error("duplicate_id", "The sourcedId 's-cal' already appears in row 2.", file="users.csv", row=3)
    message = failed_source(diags)
    assert message.startswith("The sync source has 26 errors; nothing was changed: ")
    assert "25 birthDate values are not dates: users.csv rows 2–26, column 'birthDate'." in message
    assert "s-cal" in message and "error(s)" not in message
    one = Diagnostics()
    one.error("missing_manifest", "The package has no manifest.csv.", file="manifest.csv")
    assert failed_source(one).startswith("The sync source has 1 error; nothing was changed: manifest.csv: ")

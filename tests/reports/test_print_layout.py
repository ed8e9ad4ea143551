"""Reports read and print right: display widths, grades as written, class codes, print set-up.

The last test opens a Japanese workbook in LibreOffice, prints it to PDF and reads the
text back, as someone printing the year-end reports would.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from connect_desktop.reports import REPORTS, export_report
from connect_desktop.reports import workbook as workbook_module
from connect_desktop.reports.cells import Kind
from connect_desktop.reports.progress import Tracker
from connect_desktop.reports.workbook import MAX_WIDTH, Column, display_width, estimate_widths
from connect_desktop.store import models as m
from tests.reports.conftest import TODAY, CacheBuilder, SchoolCache, make_engine, new_id
from tests.reports.helpers import HEADER_ROW, column_cells, load, records

JAPANESE_SCHOOL = "動作検証大学附属高等学校"
JAPANESE = [("太郎", "山田"), ("花子", "佐藤"), ("左衛門三郎", "小比類巻"), ("一", "林")]
INSTALL = (
    "install LibreOffice Calc, a CJK font and pdftotext: "
    "apt-get install libreoffice-calc-nogui fonts-noto-cjk poppler-utils"
)


def width_of(path: Path, sheet: str, header: str) -> float:
    wb = load(path)
    try:
        ws = wb[sheet]
        index = [c.value for c in ws[HEADER_ROW]].index(header) + 1
        return float(ws.column_dimensions[get_column_letter(index)].width)
    finally:
        wb.close()


# -- widths -----------------------------------------------------------------------
def test_display_width_counts_wide_characters_double() -> None:
    assert display_width("Yamada Taro") == 11
    assert display_width("山田 太郎") == 9
    assert display_width("ＡＢＣ") == 6  # fullwidth Latin
    assert display_width("ﾔﾏﾀﾞ") == 4  # halfwidth katakana stays narrow
    assert display_width("Zoe\u0308") == 3  # a combining mark takes no room
    assert display_width("短い\nlonger line") == 11


def test_japanese_names_get_wider_columns_than_latin_names_of_the_same_length(
    school_cache: SchoolCache, out_dir: Path
) -> None:
    latin = school_cache("Tokyo Test High School", [("Saemonsabu", "Kobiruimak")])
    japanese = school_cache(JAPANESE_SCHOOL, [("左衛門三郎左衛門三郎", "小比類巻小比類巻小比")])
    latin_path = export_report(latin, "students", out_dir / "latin", today=TODAY)
    japanese_path = export_report(japanese, "students", out_dir / "ja", today=TODAY)
    for header in ("Last name", "First name", "School"):
        assert width_of(japanese_path, "Students", header) > width_of(latin_path, "Students", header)
    # ten wide characters need twenty columns, plus the margin every text column gets
    assert width_of(japanese_path, "Students", "Last name") == 22
    assert width_of(latin_path, "Students", "Last name") == 12


def test_widths_are_capped_and_measured_over_the_first_chunk_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    columns = [Column("Name"), Column("Count", Kind.INT)]
    assert estimate_widths(columns, [("山" * 200, 7)])[0] == MAX_WIDTH
    seen: list[object] = []
    real = workbook_module.estimate_widths

    def spy(cols: list[Column], sample: list[tuple[object, ...]]) -> list[float]:
        seen.append(len(sample))
        return real(cols, sample)

    monkeypatch.setattr(workbook_module, "estimate_widths", spy)
    wb = workbook_module.new_workbook()
    writer = workbook_module.SheetWriter(wb, "Data", columns, ["T"])
    writer.write([[("a", 1)] * 3, [("b" * 80, 2)]], Tracker(None, None))
    workbook_module.discard_workbook(wb)
    assert seen == [3]  # one sample, taken from rows already fetched


# -- grades -----------------------------------------------------------------------
def test_grades_stay_as_written_and_numbers_stay_numbers(school_cache: SchoolCache, out_dir: Path) -> None:
    engine = school_cache(
        "Lincoln", [("Ana", "Lee"), ("Bo", "Ito"), ("Cy", "Kim"), ("Di", "Ng")], ["09", "K", "PK", "10"]
    )
    path = export_report(engine, "students", out_dir, today=TODAY)
    grades = column_cells(path, "Students", "Grade")
    assert sorted(c.value for c in grades) == sorted(["09", "K", "PK", "10"])
    assert all(c.data_type == "s" for c in grades)

    archive = export_report(engine, "archive", out_dir, today=TODAY)
    wb = load(archive)
    try:
        per_grade = {
            row[0]: row[1]
            for row in wb["Summary"].iter_rows(values_only=True)
            if row[0] in ("09", "K", "PK", "10", 9, 10)
        }
    finally:
        wb.close()
    assert per_grade == {"09": 1, "K": 1, "PK": 1, "10": 1}  # text labels, numeric counts


# -- class codes ------------------------------------------------------------------
def two_same_named_classes(path: Path) -> tuple[Engine, dict[str, str]]:
    """A school with three classes called 情報処理入門: two from the SIS, one made in Connect."""
    engine = make_engine(path)
    with Session(engine) as session:
        b = CacheBuilder(session)
        school = b.school(JAPANESE_SCHOOL)
        term = b.term("2025-2026 前期", 2026, school)
        teacher = b.staff("恵", "高橋")
        rooms = {
            "cl0001": b.classroom("情報処理入門", school, term, course_code="CC401", source_id="cl0001"),
            "cl0002": b.classroom("情報処理入門", school, term, course_code="CC401", source_id="cl0002"),
        }
        manual = b.classroom("情報処理入門", school, term, course_code="CC401")
        rooms[manual[:8]] = manual
        student = b.student("000001", "太郎", "山田", school, grade="09")
        for room in rooms.values():
            b.enroll(room, teacher, "teacher")
            b.enroll(room, student)
            session.add(
                m.MessageStat(id=new_id(), staff_id=teacher, classroom_id=room, month=dt.date(2026, 5, 1))
            )
        session.add(
            m.PendingOperation(
                op_id=new_id(), kind="archive_classroom", target_type="classroom",
                target_id=rooms["cl0002"], base_version=1, params={}, step="review_and_send",
                created_at=dt.datetime(2026, 6, 11, 9, 0),
            )
        )  # fmt: skip
        session.commit()
    return engine, rooms


def test_class_code_stands_beside_every_class_name(tmp_path: Path, out_dir: Path) -> None:
    engine, rooms = two_same_named_classes(tmp_path / "cache.sqlite")
    code_of = {room_id: code for code, room_id in rooms.items()}
    try:
        classrooms = export_report(engine, "classrooms", out_dir, today=TODAY)
        messages = export_report(engine, "messages", out_dir, today=TODAY)
        staff = export_report(engine, "staff", out_dir, today=TODAY)
        changes = export_report(engine, "changes", out_dir, today=TODAY)
    finally:
        engine.dispose()
    for path, sheet, id_header in (
        (classrooms, "Classrooms", "Connect ID"),
        (classrooms, "Rosters", "Classroom ID"),
        (messages, "Messages by classroom", "Classroom ID"),
    ):
        rows = records(path, sheet)
        header = list(rows[0])
        assert header.index("Class code") == header.index("Classroom") + 1, sheet
        assert {(r["Classroom"], r["Class code"]) for r in rows} == {("情報処理入門", c) for c in rooms}
        assert all(r["Class code"] == code_of[r[id_header]] for r in rows), sheet

    (teacher,) = records(staff, "Staff")
    names = teacher["Classroom names (2025–26)"].split("; ")
    codes = teacher["Class codes (2025–26)"].split("; ")
    assert names == ["情報処理入門"] * 3 and sorted(codes) == sorted(rooms)
    header = list(teacher)
    assert header.index("Class codes (2025–26)") == header.index("Classroom names (2025–26)") + 1

    (change,) = records(changes, "Year-end changes")
    assert change["Target"] == f"情報処理入門 (cl0002) — {JAPANESE_SCHOOL} — 2025-2026 前期"


# -- print set-up -----------------------------------------------------------------
@pytest.mark.parametrize("name", list(REPORTS))
def test_every_sheet_prints_landscape_one_page_wide_with_the_header_repeated(
    engine: Engine, out_dir: Path, name: str
) -> None:
    path = export_report(engine, name, out_dir, today=TODAY)
    wb = openpyxl.load_workbook(path)
    try:
        for ws in wb.worksheets:
            setup = ws.page_setup
            assert setup.orientation == "landscape", ws.title
            assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert ws.print_title_rows == (None if ws.title == "Summary" else f"${HEADER_ROW}:${HEADER_ROW}")
            assert ws.oddFooter.left.text == ws["A1"].value.replace("&", "&&"), ws.title
            assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
            margins = ws.page_margins
            assert 0.25 <= margins.left <= 0.75 and 0.25 <= margins.right <= 0.75
            assert margins.bottom > margins.footer > 0
    finally:
        wb.close()


def test_continuation_sheets_are_set_up_for_printing_too(
    engine: Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook_module, "MAX_ROWS", 30)
    path = export_report(engine, "students", out_dir, today=TODAY)
    wb = openpyxl.load_workbook(path)
    try:
        assert len(wb.worksheets) >= 3
        for ws in wb.worksheets:
            assert ws.page_setup.orientation == "landscape"
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    finally:
        wb.close()


# -- LibreOffice ------------------------------------------------------------------
def require_libreoffice() -> str:
    """The soffice program; fails under CI (which installs it), else skips, if it is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    missing = [] if soffice else ["LibreOffice (soffice)"]
    if shutil.which("pdftotext") is None:
        missing.append("pdftotext")
    fonts = shutil.which("fc-list")
    if (
        fonts is None
        or not subprocess.run([fonts, ":lang=ja"], capture_output=True, text=True).stdout.strip()
    ):
        missing.append("a Japanese font")
    if missing:
        message = f"{', '.join(missing)} not found; {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert soffice is not None
    return soffice


def print_to_pdf(soffice: str, files: list[Path], out: Path, profile: Path) -> None:
    command = [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--convert-to", "pdf", "--outdir", str(out), *map(str, files),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("LibreOffice took over 120 s to print the workbooks to PDF")
    assert done.returncode == 0, done.stderr


def pdf_pages(pdf: Path) -> list[str]:
    assert pdf.exists(), f"LibreOffice wrote no {pdf.name}"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_libreoffice_prints_japanese_students_whole_and_one_page_wide(
    school_cache: SchoolCache, tmp_path: Path
) -> None:
    soffice = require_libreoffice()
    many = [JAPANESE[i % len(JAPANESE)] for i in range(150)]
    grades = ["09", "K", "PK", "12"]
    files = []
    for label, engine in (
        ("many", school_cache(JAPANESE_SCHOOL, many, grades)),
        ("few", school_cache(JAPANESE_SCHOOL, many[:3])),
    ):
        path = export_report(engine, "students", tmp_path / label, today=TODAY)
        files.append(path.rename(tmp_path / f"{label}.xlsx"))
    print_to_pdf(soffice, files, tmp_path / "pdf", tmp_path / "profile")

    assert len(pdf_pages(tmp_path / "pdf" / "few.pdf")) == 1  # three students: one page, not four
    pages = pdf_pages(tmp_path / "pdf" / "many.pdf")
    assert len(pages) > 1
    for number, page in enumerate(pages, 1):
        assert "Connect ID" in page, f"page {number} lacks the last column's header"
        assert f"Page {number} of {len(pages)}" in page
    lines = [line for page in pages for line in page.splitlines() if line.strip()[:6].isdigit()]
    assert len(lines) == len(many)
    for i, (first, last) in enumerate(many):
        line = next(x for x in lines if x.strip().startswith(f"{i + 1:06d}"))
        words = line.split()
        assert last in words and first in words and JAPANESE_SCHOOL in words, line
        assert grades[i % len(grades)] in words, line

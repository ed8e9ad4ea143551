"""The Summary sheet that opens the year-end archive: counts, grades chart, contents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from connect_desktop.domain.entities import grade_rank
from connect_desktop.domain.operations import STAGED, OutboxState, sql_in
from connect_desktop.domain.words import noun
from connect_desktop.reports.cells import text_converter
from connect_desktop.reports.labels import sql_literal
from connect_desktop.reports.printing import print_settings, set_up_printing
from connect_desktop.reports.source import CacheReader
from connect_desktop.reports.workbook import NOTE_FONT, TITLE_FONT, header_cell, title_cell

SHEET_NAME = "Summary"
WIDTHS = {"A": 30.0, "B": 12.0, "C": 12.0, "D": 20.0, "E": 34.0}


def _title(entity: str) -> str:
    """A row title: the entity's plural noun as an SQL literal."""
    return sql_literal(noun(entity).capitalize())


_COUNTS_SQL = f"""
SELECT {_title("school")}, (SELECT COUNT(*) FROM school), NULL, NULL, NULL
UNION ALL SELECT {_title("term")}, (SELECT COUNT(*) FROM term), NULL, NULL,
    (SELECT 'School years ' || MIN(school_year) || '–' || MAX(school_year) FROM term)
UNION ALL SELECT {_title("staff")}, COUNT(*), SUM(access = 'active'), SUM(access = 'revoked'), NULL
    FROM staff
UNION ALL SELECT {_title("student")}, COUNT(*), SUM(status = 'active'), SUM(status = 'archived'), NULL
    FROM student
UNION ALL SELECT {_title("contact")}, COUNT(*), NULL, NULL,
    SUM(NULLIF(TRIM(phone), '') IS NULL AND NULLIF(TRIM(email), '') IS NULL) || ' cannot be reached'
    FROM contact
UNION ALL SELECT {_title("student_contact")}, (SELECT COUNT(*) FROM student_contact), NULL, NULL, NULL
UNION ALL SELECT {_title("classroom")}, COUNT(*), SUM(status = 'active'), SUM(status = 'archived'), NULL
    FROM classroom
UNION ALL SELECT {_title("enrollment")}, COUNT(*), NULL, NULL,
    SUM(role = 'student') || ' students, ' || SUM(role = 'teacher') || ' teachers' FROM enrollment
UNION ALL SELECT {_title("message_stat")}, COUNT(*), NULL, NULL,
    COALESCE(SUM(messages_sent), 0) || ' messages sent' FROM message_stat
UNION ALL SELECT {_title("sync_run")}, (SELECT COUNT(*) FROM sync_run), NULL, NULL, NULL
UNION ALL SELECT 'Staged changes', COUNT(*), NULL, NULL,
    SUM(state IN {sql_in(STAGED)}) || ' not yet sent' FROM pending_operation
UNION ALL SELECT 'Duplicate students merged', COUNT(*), NULL, NULL,
    SUM(state IN {sql_in(STAGED)}) || ' not yet sent' FROM pending_operation
    WHERE kind = 'merge_students' AND state IN {sql_in(STAGED | {OutboxState.APPLIED})}
UNION ALL SELECT 'Pairs marked not the same child', COUNT(*), NULL, NULL, NULL FROM dismissed_duplicate
"""

_GRADES_SQL = """
SELECT grade, SUM(status = 'active'), SUM(status = 'archived') FROM student GROUP BY grade
"""


@dataclass(frozen=True)
class Contents:
    sheet: str
    rows: int


class SummaryWriter:
    """Writes the Summary sheet; created first so it is the first tab, filled in at the end."""

    def __init__(self, wb: Workbook) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(SHEET_NAME)
        for letter, width in WIDTHS.items():
            self.ws.column_dimensions[letter].width = width
        self._text = text_converter(self.ws)
        self._row = 0

    def write(self, reader: CacheReader, title_lines: Sequence[str], contents: Sequence[Contents]) -> None:
        set_up_printing(self.ws, title_lines[0] if title_lines else SHEET_NAME)
        for i, line in enumerate(title_lines):
            self._append([title_cell(self.ws, line, TITLE_FONT if i == 0 else NOTE_FONT)])
        self._append([])
        self._header("Records", "Total", "Active", "Archived or revoked", "Note")
        for label, total, active, archived, note in reader.rows(_COUNTS_SQL):
            self._append([label, total or 0, active, archived, self._text(note)])

        self._append([])
        grades = sorted(reader.rows(_GRADES_SQL), key=lambda r: (grade_rank(str(r[0])), str(r[0])))
        header_row = self._header("Students per grade", "Active", "Archived")
        for grade, active, archived in grades:
            self._append([self._text(grade), active or 0, archived or 0])
        if grades:
            self._chart(header_row, header_row + len(grades))

        self._append([])
        self._header("Sheets in this workbook", "Rows")
        for item in contents:
            self._append([item.sheet, item.rows])

    def _chart(self, header_row: int, last_row: int) -> None:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "Students per grade"
        chart.y_axis.title = "Students"
        chart.x_axis.title = "Grade"
        data = Reference(self.ws, min_col=2, max_col=3, min_row=header_row, max_row=last_row)
        categories = Reference(self.ws, min_col=1, min_row=header_row + 1, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(categories)
        chart.width, chart.height = 18, 9
        print_settings(self.ws).add_chart(chart, "G5")

    def _header(self, *texts: str) -> int:
        self._append([header_cell(self.ws, text) for text in texts])
        return self._row

    def _append(self, row: list[object]) -> None:
        self.ws.append(row)
        self._row += 1

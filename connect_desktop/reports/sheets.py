"""The sheets reports are made of: columns and the SQL that streams their rows.

Every join and aggregation runs in SQLite (correlated sub-queries with GROUP_CONCAT),
so rows reach Python complete and one chunk at a time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

from connect_desktop.domain.school_year import school_year_label
from connect_desktop.reports import labels
from connect_desktop.reports.cells import Kind
from connect_desktop.reports.context import ReportContext
from connect_desktop.reports.source import CacheReader
from connect_desktop.reports.workbook import Column

SEP = "; "


@dataclass(frozen=True)
class SheetPlan:
    """What to run for one sheet: its columns and a query yielding rows in that order."""

    columns: tuple[Column, ...]
    sql: str
    params: dict[str, Any]


class SheetSpec(Protocol):
    """A sheet: its tab name, its heading, how to count and query its rows."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def outbox(self) -> bool: ...

    def plan(self, reader: CacheReader, ctx: ReportContext) -> SheetPlan: ...

    def count(self, reader: CacheReader, ctx: ReportContext) -> int: ...


@dataclass(frozen=True)
class QuerySheet:
    """A sheet with fixed columns; `{year}` in a header becomes the current school year."""

    name: str
    title: str
    columns: tuple[Column, ...]
    sql: str
    count_sql: str
    outbox: bool = False
    """Lists staged changes rather than downloaded data (changes the title note)."""

    def plan(self, reader: CacheReader, ctx: ReportContext) -> SheetPlan:
        year = school_year_label(ctx.school_year)
        columns = tuple(dataclasses.replace(c, header=c.header.format(year=year)) for c in self.columns)
        return SheetPlan(columns, self.sql, _params(ctx))

    def count(self, reader: CacheReader, ctx: ReportContext) -> int:
        return int(reader.scalar(self.count_sql, _params(ctx)) or 0)


def _params(ctx: ReportContext) -> dict[str, Any]:
    return {"year": ctx.school_year, "sep": SEP}


def _name(alias: str) -> str:
    return f"TRIM(COALESCE({alias}.first_name, '') || ' ' || COALESCE({alias}.last_name, ''))"


def _class_code(alias: str) -> str:
    """The code that tells same-named classrooms apart, printed beside their names.

    The cache keeps no class code of its own (a roster's classCode or section number
    only survives as `course_code` when the course has none, and sections of one course
    share that), so this is the classroom's SIS identifier (`source_id`); a classroom
    made in Connect has none and shows the first 8 characters of its Connect ID.
    """
    return f"COALESCE(NULLIF(TRIM({alias}.source_id), ''), SUBSTR({alias}.id, 1, 8))"


ID = Kind.ID
T = Kind.TEXT

STAFF = QuerySheet(
    name="Staff",
    title="Staff and access",
    columns=(
        Column("Last name"), Column("First name"), Column("E-mail"), Column("Role"),
        Column("School(s)"), Column("Access"), Column("Left on", Kind.DATE),
        Column("Last sign-in", Kind.DATETIME),
        Column("Classrooms taught ({year})", Kind.INT, width=14),
        Column("Classroom names ({year})"), Column("Class codes ({year})"),
        Column("Origin"), Column("Source ID", ID), Column("Connect ID", ID),
    ),
    sql=f"""
WITH taught AS (
    SELECT e.person_id AS staff_id, c.id AS classroom_id, c.name AS name, c.school_id AS school_id,
           {_class_code("c")} AS code
    FROM enrollment e
    JOIN classroom c ON c.id = e.classroom_id
    JOIN term t ON t.id = c.term_id
    WHERE e.role = 'teacher' AND t.school_year = :year
),
taught_agg AS (
    SELECT staff_id, COUNT(*) AS n, GROUP_CONCAT(name, :sep) AS names, GROUP_CONCAT(code, :sep) AS codes
    FROM (SELECT DISTINCT staff_id, classroom_id, name, code FROM taught
          ORDER BY staff_id, name, classroom_id)
    GROUP BY staff_id
),
schools AS (
    SELECT staff_id, GROUP_CONCAT(name, :sep) AS names
    FROM (
        SELECT DISTINCT x.staff_id, sc.name
        FROM (SELECT id AS staff_id, school_id FROM staff
              UNION SELECT staff_id, school_id FROM taught) x
        JOIN school sc ON sc.id = x.school_id
        ORDER BY x.staff_id, sc.name
    )
    GROUP BY staff_id
)
SELECT s.last_name, s.first_name, s.email, {labels.case("s.role", labels.ROLE)},
       COALESCE(sch.names, CASE WHEN s.role = 'district_admin' THEN 'All schools' END),
       {labels.case("s.access", labels.ACCESS)}, s.left_on, s.last_sign_in_at,
       COALESCE(ta.n, 0), ta.names, ta.codes,
       {labels.case("s.origin", labels.ORIGIN)}, s.source_id, s.id
FROM staff s
LEFT JOIN taught_agg ta ON ta.staff_id = s.id
LEFT JOIN schools sch ON sch.staff_id = s.id
ORDER BY s.last_name, s.first_name, s.id
""",
    count_sql="SELECT COUNT(*) FROM staff",
)  # fmt: skip

STUDENTS = QuerySheet(
    name="Students",
    title="Students",
    columns=(
        Column("Student number", ID), Column("Last name"), Column("First name"),
        Column("Birth date", Kind.DATE), Column("Grade", T, width=7), Column("School"),
        Column("Status"), Column("Withdrawn on", Kind.DATE),
        Column("Family contacts", width=60),
        Column("Origin"), Column("Source ID", ID), Column("Connect ID", ID),
    ),
    sql=f"""
SELECT st.student_number, st.last_name, st.first_name, st.birth_date, st.grade, sc.name,
       {labels.case("st.status", labels.STATUS)}, st.withdrawn_on,
       (SELECT GROUP_CONCAT(line, :sep) FROM (
            SELECT {_name("c")}
                   || COALESCE(' (' || NULLIF(sx.relationship, '') || ')', '')
                   || COALESCE(' · ' || NULLIF(TRIM(c.phone), ''), '')
                   || COALESCE(' · ' || NULLIF(TRIM(c.email), ''), '') AS line
            FROM student_contact sx JOIN contact c ON c.id = sx.contact_id
            WHERE sx.student_id = st.id
            ORDER BY c.last_name, c.first_name, c.id)),
       {labels.case("st.origin", labels.ORIGIN)}, st.source_id, st.id
FROM student st
LEFT JOIN school sc ON sc.id = st.school_id
ORDER BY sc.name, st.last_name, st.first_name, st.student_number, st.id
""",
    count_sql="SELECT COUNT(*) FROM student",
)  # fmt: skip

FAMILIES = QuerySheet(
    name="Families",
    title="Families",
    columns=(
        Column("Last name"), Column("First name"), Column("Phone", T), Column("E-mail"),
        Column("Cannot be reached", Kind.FLAG, width=11), Column("Language", T, width=10),
        Column("School"), Column("Students linked", Kind.INT, width=10),
        Column("Linked students", width=60),
        Column("Origin"), Column("Source ID", ID), Column("Connect ID", ID),
    ),
    sql=f"""
SELECT c.last_name, c.first_name, NULLIF(TRIM(c.phone), ''), NULLIF(TRIM(c.email), ''),
       NULLIF(TRIM(c.phone), '') IS NULL AND NULLIF(TRIM(c.email), '') IS NULL,
       c.language, sc.name,
       (SELECT COUNT(*) FROM student_contact sx WHERE sx.contact_id = c.id),
       (SELECT GROUP_CONCAT(line, :sep) FROM (
            SELECT {_name("st")} || ' (' || st.student_number
                   || COALESCE(', ' || NULLIF(sx.relationship, ''), '') || ')' AS line
            FROM student_contact sx JOIN student st ON st.id = sx.student_id
            WHERE sx.contact_id = c.id
            ORDER BY st.last_name, st.first_name, st.id)),
       {labels.case("c.origin", labels.ORIGIN)}, c.source_id, c.id
FROM contact c
LEFT JOIN school sc ON sc.id = c.school_id
ORDER BY c.last_name, c.first_name, c.id
""",
    count_sql="SELECT COUNT(*) FROM contact",
)  # fmt: skip

CLASSROOMS = QuerySheet(
    name="Classrooms",
    title="Classrooms",
    columns=(
        Column("Classroom"), Column("Class code", ID), Column("Course code", ID), Column("School"),
        Column("Term"),
        Column("School year", Kind.INT, width=11), Column("Grade", T, width=7),
        Column("Teachers", width=40), Column("Students", Kind.INT, width=10), Column("Status"),
        Column("Origin"), Column("Source ID", ID), Column("Connect ID", ID),
    ),
    sql=f"""
SELECT c.name, {_class_code("c")}, c.course_code, sc.name, t.name, t.school_year, c.grade,
       (SELECT GROUP_CONCAT(n, :sep) FROM (
            SELECT {_name("s")} AS n
            FROM enrollment e JOIN staff s ON s.id = e.person_id
            WHERE e.classroom_id = c.id AND e.role = 'teacher'
            ORDER BY s.last_name, s.first_name, s.id)),
       (SELECT COUNT(*) FROM enrollment e WHERE e.classroom_id = c.id AND e.role = 'student'),
       {labels.case("c.status", labels.STATUS)},
       {labels.case("c.origin", labels.ORIGIN)}, c.source_id, c.id
FROM classroom c
LEFT JOIN school sc ON sc.id = c.school_id
LEFT JOIN term t ON t.id = c.term_id
ORDER BY t.school_year DESC, sc.name, c.name, c.id
""",
    count_sql="SELECT COUNT(*) FROM classroom",
)  # fmt: skip

ROSTERS = QuerySheet(
    name="Rosters",
    title="Classroom rosters",
    columns=(
        Column("Classroom"), Column("Class code", ID), Column("School"), Column("Term"),
        Column("School year", Kind.INT, width=11), Column("Student number", ID),
        Column("Last name"), Column("First name"), Column("Grade", T, width=7),
        Column("Student status"), Column("Classroom ID", ID), Column("Student ID", ID),
    ),
    sql=f"""
SELECT c.name, {_class_code("c")}, sc.name, t.name, t.school_year, st.student_number, st.last_name,
       st.first_name,
       st.grade, {labels.case("st.status", labels.STATUS)}, e.classroom_id, e.person_id
FROM enrollment e
LEFT JOIN classroom c ON c.id = e.classroom_id
LEFT JOIN student st ON st.id = e.person_id
LEFT JOIN school sc ON sc.id = c.school_id
LEFT JOIN term t ON t.id = c.term_id
WHERE e.role = 'student'
ORDER BY t.school_year DESC, sc.name, c.name, e.classroom_id, st.last_name, st.first_name, e.person_id
""",
    count_sql="SELECT COUNT(*) FROM enrollment WHERE role = 'student'",
)  # fmt: skip

MESSAGES_BY_STAFF = QuerySheet(
    name="Messages by staff",
    title="Messages sent per staff member per month",
    columns=(
        Column("Last name"), Column("First name"), Column("School"),
        Column("Month", Kind.MONTH, width=10), Column("Messages sent", Kind.INT, width=10),
        Column("Staff ID", ID),
    ),
    sql="""
SELECT s.last_name, s.first_name, sc.name, m.month, SUM(m.messages_sent), m.staff_id
FROM message_stat m
LEFT JOIN staff s ON s.id = m.staff_id
LEFT JOIN school sc ON sc.id = s.school_id
GROUP BY m.staff_id, m.month
ORDER BY s.last_name, s.first_name, m.staff_id, m.month
""",
    count_sql="SELECT COUNT(*) FROM (SELECT 1 FROM message_stat GROUP BY staff_id, month)",
)  # fmt: skip

MESSAGES_BY_CLASSROOM = QuerySheet(
    name="Messages by classroom",
    title="Messages sent per classroom per month",
    columns=(
        Column("Classroom"), Column("Class code", ID), Column("School"), Column("Term"),
        Column("Month", Kind.MONTH, width=10), Column("Messages sent", Kind.INT, width=10),
        Column("Staff who sent", Kind.INT, width=10), Column("Classroom ID", ID),
    ),
    sql=f"""
SELECT c.name, {_class_code("c")}, sc.name, t.name, m.month, SUM(m.messages_sent), COUNT(DISTINCT m.staff_id),
       m.classroom_id
FROM message_stat m
LEFT JOIN classroom c ON c.id = m.classroom_id
LEFT JOIN school sc ON sc.id = c.school_id
LEFT JOIN term t ON t.id = c.term_id
WHERE m.classroom_id IS NOT NULL
GROUP BY m.classroom_id, m.month
ORDER BY sc.name, c.name, m.classroom_id, m.month
""",
    count_sql="""SELECT COUNT(*) FROM (SELECT 1 FROM message_stat WHERE classroom_id IS NOT NULL
                 GROUP BY classroom_id, month)""",
)  # fmt: skip

_STUDENT_LABEL = (
    "SELECT TRIM(COALESCE(x.last_name, '') || ', ' || COALESCE(x.first_name, ''))"
    " || ' (' || x.student_number || ')' FROM student x WHERE x.id = p.target_id"
)
_CLASSROOM_LABEL = (
    f"SELECT x.name || ' (' || {_class_code('x')} || ')'"
    " || COALESCE(' — ' || sc.name, '') || COALESCE(' — ' || t.name, '')"
    " FROM classroom x LEFT JOIN school sc ON sc.id = x.school_id LEFT JOIN term t ON t.id = x.term_id"
    " WHERE x.id = p.target_id"
)
_STAFF_LABEL = (
    "SELECT TRIM(COALESCE(x.last_name, '') || ', ' || COALESCE(x.first_name, ''))"
    " FROM staff x WHERE x.id = p.target_id"
)
NOT_IN_CACHE = "(no longer in the cache)"


def _merged_label(student_id: str) -> str:
    """SQL: "Smith, Jon" of a student, cached or as a staged merge remembered it once gone."""
    name = "TRIM(COALESCE(x.last_name, '') || ', ' || COALESCE(x.first_name, ''))"
    remembered = (
        "TRIM(COALESCE(json_extract(x.old, '$.last_name'), '') || ', ' "
        "|| COALESCE(json_extract(x.old, '$.first_name'), ''))"
    )
    return (
        f"COALESCE((SELECT {name} FROM student x WHERE x.id = {student_id}), "
        f"(SELECT {remembered} FROM staged_change x WHERE x.entity_type = 'student' "
        f"AND x.entity_id = {student_id} AND x.action = 'delete' AND x.old != '{{}}' "
        f"ORDER BY x.id DESC LIMIT 1), '{NOT_IN_CACHE}')"
    )


_MERGE_KINDS = "('merge_students', 'unmerge_students')"
_MERGED_ID = "json_extract(p.params, '$.merged_id')"
_MERGE_TARGET = f"{_merged_label(_MERGED_ID)} || ' into ' || {_merged_label('p.target_id')}"
_MERGE_DETAILS = (
    "CASE p.kind WHEN 'merge_students' THEN 'Fields taken from the merged student: ' "
    "ELSE 'Fields put back on the student kept: ' END || COALESCE((SELECT GROUP_CONCAT("
    "REPLACE(f.key, '_', ' ') || ' ' || COALESCE(f.value, 'none'), '; ') "
    "FROM json_each(p.params, '$.fields') f), 'none')"
)

CHANGES = QuerySheet(
    name="Year-end changes",
    title="Year-end changes",
    columns=(
        Column("Created", Kind.DATETIME), Column("Step"), Column("Change"),
        Column("Target type"), Column("Target", width=40), Column("State"),
        Column("Sent", Kind.DATETIME), Column("Result message", width=50), Column("Details"),
        Column("Batch", ID), Column("Target ID", ID), Column("Operation ID", ID),
    ),
    sql=f"""
SELECT p.created_at, {labels.humanise_sql("p.step")}, {labels.case("p.kind", labels.OP_KIND)},
       {labels.case("p.target_type", labels.TARGET_TYPE)},
       CASE WHEN p.kind IN {_MERGE_KINDS} THEN {_MERGE_TARGET} ELSE CASE p.target_type
           WHEN 'student' THEN COALESCE(({_STUDENT_LABEL}), '{NOT_IN_CACHE}')
           WHEN 'classroom' THEN COALESCE(({_CLASSROOM_LABEL}), '{NOT_IN_CACHE}')
           WHEN 'staff' THEN COALESCE(({_STAFF_LABEL}), '{NOT_IN_CACHE}')
           WHEN 'sync_settings' THEN 'Sync settings'
       END END,
       {labels.case("p.state", labels.OP_STATE)}, p.sent_at, p.result_message,
       CASE WHEN p.kind IN {_MERGE_KINDS} THEN {_MERGE_DETAILS}
            ELSE NULLIF(NULLIF(p.params, '{{}}'), 'null') END,
       p.batch, p.target_id, p.op_id
FROM pending_operation p
ORDER BY p.created_at, p.op_id
""",
    count_sql="SELECT COUNT(*) FROM pending_operation",
    outbox=True,
)  # fmt: skip

DISMISSALS = QuerySheet(
    name="Not the same child",
    title="Pairs of students marked as not the same child",
    columns=(
        Column("Marked", Kind.DATETIME), Column("Students", width=50),
        Column("First student now"), Column("Second student now"),
        Column("First Connect ID", ID), Column("Second Connect ID", ID),
    ),
    sql=f"""
SELECT d.dismissed_at, d.label,
       (SELECT {_name("x")} || ' (' || x.student_number || ')' FROM student x WHERE x.id = d.a),
       (SELECT {_name("x")} || ' (' || x.student_number || ')' FROM student x WHERE x.id = d.b),
       d.a, d.b
FROM dismissed_duplicate d
ORDER BY d.dismissed_at, d.a, d.b
""",
    count_sql="SELECT COUNT(*) FROM dismissed_duplicate",
)  # fmt: skip

"""Plain-language labels for stored codes, rendered as SQL CASE expressions."""

from __future__ import annotations

from collections.abc import Mapping

ROLE = {"district_admin": "District admin", "school_admin": "School admin", "teacher": "Teacher"}
ACCESS = {"active": "Active", "revoked": "Revoked"}
STATUS = {"active": "Active", "archived": "Archived"}
ORIGIN = {"sync": "Sync", "manual": "Manual"}
SYNC_STATUS = {
    "running": "Running",
    "succeeded": "Succeeded",
    "failed_threshold": "Held: deletion threshold",
    "skipped_paused": "Skipped: paused",
    "failed": "Failed",
}
TRIGGER = {"manual": "Manual", "scheduled": "Scheduled", "daily": "Daily"}
OP_STATE = {
    "pending": "Staged, not sent",
    "sending": "Sent, awaiting answer",
    "applied": "Applied",
    "conflict": "Conflict",
    "rejected": "Rejected",
    "discarded": "Discarded",
}
OP_KIND = {
    "archive_classroom": "Archive classroom",
    "unarchive_classroom": "Unarchive classroom",
    "revoke_staff_access": "Revoke staff access",
    "restore_staff_access": "Restore staff access",
    "archive_student": "Archive student",
    "unarchive_student": "Unarchive student",
    "delete_student": "Delete student",
    "update_sync_settings": "Update sync settings",
}
TARGET_TYPE = {
    "student": "Student",
    "classroom": "Classroom",
    "staff": "Staff",
    "sync_settings": "Sync settings",
}
ENTITY_PLURAL = {
    "school": "Schools", "schools": "Schools",
    "term": "Terms", "terms": "Terms",
    "staff": "Staff",
    "student": "Students", "students": "Students",
    "contact": "Contacts", "contacts": "Contacts",
    "student_contact": "Student-contact links", "student_contacts": "Student-contact links",
    "classroom": "Classrooms", "classrooms": "Classrooms",
    "enrollment": "Enrollments", "enrollments": "Enrollments",
}  # fmt: skip


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def case(expr: str, labels: Mapping[str, str]) -> str:
    """`CASE expr WHEN code THEN label … ELSE humanised code END`."""
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in labels.items())
    return f"CASE {expr} {whens} ELSE {humanise_sql(expr)} END"


def humanise_sql(expr: str) -> str:
    """SQL for 'some_code' → 'Some code'."""
    return f"(UPPER(SUBSTR({expr}, 1, 1)) || REPLACE(SUBSTR({expr}, 2), '_', ' '))"


def humanise(code: str) -> str:
    """'tried_to_archive' → 'tried to archive'."""
    return code.replace("_", " ")

"""The entity types of a Connect account and their status vocabularies."""

from __future__ import annotations

from enum import StrEnum


class EntityType(StrEnum):
    """Record types on the wire, in the order a fresh cache is best filled."""

    SCHOOL = "school"
    TERM = "term"
    STAFF = "staff"
    STUDENT = "student"
    CONTACT = "contact"
    STUDENT_CONTACT = "student_contact"
    CLASSROOM = "classroom"
    ENROLLMENT = "enrollment"
    MESSAGE_STAT = "message_stat"
    SYNC_SETTINGS = "sync_settings"
    SYNC_RUN = "sync_run"


class Origin(StrEnum):
    """Where a record came from: a SIS sync or a manual upload/edit."""

    SYNC = "sync"
    MANUAL = "manual"


class RecordStatus(StrEnum):
    """Lifecycle of students and classrooms."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class StaffAccess(StrEnum):
    """Whether a staff member can sign in."""

    ACTIVE = "active"
    REVOKED = "revoked"


class Role(StrEnum):
    """Roles of people who sign in to Connect."""

    DISTRICT_ADMIN = "district_admin"
    SCHOOL_ADMIN = "school_admin"
    TEACHER = "teacher"


class SchoolLevel(StrEnum):
    ELEMENTARY = "elementary"
    MIDDLE = "middle"
    HIGH = "high"


class EnrollmentRole(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"


class SyncRunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED_THRESHOLD = "failed_threshold"
    SKIPPED_PAUSED = "skipped_paused"
    FAILED = "failed"


GRADES: tuple[str, ...] = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
"""Grade codes from kindergarten to twelfth grade, in order."""


def grade_rank(grade: str) -> int:
    """Position of a grade code in K..12 (unknown codes sort last)."""
    try:
        return GRADES.index(grade)
    except ValueError:
        return len(GRADES)

"""Operation kinds the desktop can stage and the server applies."""

from __future__ import annotations

from enum import StrEnum

from connect_desktop.domain.entities import EntityType


class OperationKind(StrEnum):
    ARCHIVE_CLASSROOM = "archive_classroom"
    UNARCHIVE_CLASSROOM = "unarchive_classroom"
    REVOKE_STAFF_ACCESS = "revoke_staff_access"
    RESTORE_STAFF_ACCESS = "restore_staff_access"
    ARCHIVE_STUDENT = "archive_student"
    UNARCHIVE_STUDENT = "unarchive_student"
    DELETE_STUDENT = "delete_student"
    UPDATE_SYNC_SETTINGS = "update_sync_settings"


class OperationStatus(StrEnum):
    """What the server said about one operation."""

    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


TARGET_TYPE: dict[OperationKind, EntityType] = {
    OperationKind.ARCHIVE_CLASSROOM: EntityType.CLASSROOM,
    OperationKind.UNARCHIVE_CLASSROOM: EntityType.CLASSROOM,
    OperationKind.REVOKE_STAFF_ACCESS: EntityType.STAFF,
    OperationKind.RESTORE_STAFF_ACCESS: EntityType.STAFF,
    OperationKind.ARCHIVE_STUDENT: EntityType.STUDENT,
    OperationKind.UNARCHIVE_STUDENT: EntityType.STUDENT,
    OperationKind.DELETE_STUDENT: EntityType.STUDENT,
    OperationKind.UPDATE_SYNC_SETTINGS: EntityType.SYNC_SETTINGS,
}
"""The entity type each operation kind must target."""

STATUS_CHANGE: dict[OperationKind, tuple[str, str]] = {
    OperationKind.ARCHIVE_CLASSROOM: ("status", "archived"),
    OperationKind.UNARCHIVE_CLASSROOM: ("status", "active"),
    OperationKind.REVOKE_STAFF_ACCESS: ("access", "revoked"),
    OperationKind.RESTORE_STAFF_ACCESS: ("access", "active"),
    OperationKind.ARCHIVE_STUDENT: ("status", "archived"),
    OperationKind.UNARCHIVE_STUDENT: ("status", "active"),
}
"""Kinds that set one field of the target to a value: (field, new value)."""

INVERSE: dict[OperationKind, OperationKind] = {
    OperationKind.ARCHIVE_CLASSROOM: OperationKind.UNARCHIVE_CLASSROOM,
    OperationKind.UNARCHIVE_CLASSROOM: OperationKind.ARCHIVE_CLASSROOM,
    OperationKind.REVOKE_STAFF_ACCESS: OperationKind.RESTORE_STAFF_ACCESS,
    OperationKind.RESTORE_STAFF_ACCESS: OperationKind.REVOKE_STAFF_ACCESS,
    OperationKind.ARCHIVE_STUDENT: OperationKind.UNARCHIVE_STUDENT,
    OperationKind.UNARCHIVE_STUDENT: OperationKind.ARCHIVE_STUDENT,
}
"""The operation that undoes a sent one (delete_student has none: it is permanent)."""

SYNC_PORTIONS: tuple[str, ...] = ("schools", "staff", "students", "contacts", "classrooms", "enrollments")
"""Portions of a SIS sync that can be paused separately."""

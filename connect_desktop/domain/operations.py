"""Operation kinds the desktop can stage and the server applies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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
    UPDATE_STUDENT = "update_student"
    CREATE_CONTACT = "create_contact"
    LINK_CONTACT = "link_contact"
    MERGE_STUDENTS = "merge_students"
    UNMERGE_STUDENTS = "unmerge_students"


class OperationStatus(StrEnum):
    """What the server said about one operation."""

    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class OutboxState(StrEnum):
    """Where one staged operation is on its way to the server (`pending_operation.state`)."""

    PENDING = "pending"
    SENDING = "sending"
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    DISCARDED = "discarded"


STAGED: frozenset[OutboxState] = frozenset({OutboxState.PENDING, OutboxState.SENDING})
"""Not yet answered by the server: these count in the effective (staged) view of records."""
SENDABLE: frozenset[OutboxState] = STAGED
"""What a push sends (`sending` again after an interrupted send, then `pending`)."""
RETRYABLE: frozenset[OutboxState] = frozenset({OutboxState.CONFLICT, OutboxState.REJECTED})
"""Answered but not applied: the user may retry these."""
DISCARDABLE: frozenset[OutboxState] = frozenset({OutboxState.PENDING}) | RETRYABLE
"""What the user may take out of the outbox (not `sending`: it may already be on the server)."""
REVIEW: frozenset[OutboxState] = STAGED | RETRYABLE
"""What the review screen lists as still waiting for the user or the server."""
FINAL: frozenset[OutboxState] = frozenset({OutboxState.APPLIED, OutboxState.DISCARDED})
"""Done: nothing more will happen to these."""


def sql_in(states: frozenset[OutboxState]) -> str:
    """`('a', 'b')` for raw SQL text, sorted so the statement text is stable."""
    return "(" + ", ".join(f"'{state.value}'" for state in sorted(states)) + ")"


def tally(counts: Mapping[str, int], states: frozenset[OutboxState]) -> int:
    """How many of `counts` (operations per state) are in one of `states`."""
    return sum(counts.get(state, 0) for state in states)


TARGET_TYPE: dict[OperationKind, EntityType] = {
    OperationKind.ARCHIVE_CLASSROOM: EntityType.CLASSROOM,
    OperationKind.UNARCHIVE_CLASSROOM: EntityType.CLASSROOM,
    OperationKind.REVOKE_STAFF_ACCESS: EntityType.STAFF,
    OperationKind.RESTORE_STAFF_ACCESS: EntityType.STAFF,
    OperationKind.ARCHIVE_STUDENT: EntityType.STUDENT,
    OperationKind.UNARCHIVE_STUDENT: EntityType.STUDENT,
    OperationKind.DELETE_STUDENT: EntityType.STUDENT,
    OperationKind.UPDATE_SYNC_SETTINGS: EntityType.SYNC_SETTINGS,
    OperationKind.UPDATE_STUDENT: EntityType.STUDENT,
    OperationKind.CREATE_CONTACT: EntityType.CONTACT,
    OperationKind.LINK_CONTACT: EntityType.STUDENT_CONTACT,
    OperationKind.MERGE_STUDENTS: EntityType.STUDENT,
    OperationKind.UNMERGE_STUDENTS: EntityType.STUDENT,
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
UNMERGE_DAYS = 180
"""How long after a merge it can still be split again (`unmerge_students`)."""


def unmerge_deadline(sent_at: dt.datetime) -> dt.date:
    """The last day a merge sent at `sent_at` can be undone.

    The days count on the clock the server keeps merges by (the real time of the send),
    never on the app's as-of day, which the demo holds at the end of its school year.
    """
    return (sent_at + dt.timedelta(days=UNMERGE_DAYS)).date()


SYNC_PORTIONS: tuple[str, ...] = ("schools", "staff", "students", "contacts", "classrooms", "enrollments")
"""Portions of a SIS sync that can be paused separately."""

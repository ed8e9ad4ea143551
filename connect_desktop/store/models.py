"""Typed models of the local cache: the account's records plus local bookkeeping."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OutboxState
from connect_desktop.store import columns


class CacheBase(DeclarativeBase):
    pass


class School(columns.SchoolColumns, CacheBase):
    __tablename__ = "school"


class Term(columns.TermColumns, CacheBase):
    __tablename__ = "term"


class Staff(columns.StaffColumns, CacheBase):
    __tablename__ = "staff"
    __table_args__ = (
        Index("ix_staff_school", "school_id"),
        Index("ix_staff_name", "last_name", "first_name", "id"),
    )


class Student(columns.StudentColumns, CacheBase):
    __tablename__ = "student"
    __table_args__ = (
        Index("ix_student_school_grade", "school_id", "grade"),
        Index("ix_student_number", "student_number"),
        Index("ix_student_name", "last_name", "first_name", "id"),
        Index("ix_student_school_name", "school_id", "last_name", "first_name", "id"),
    )


class Contact(columns.ContactColumns, CacheBase):
    __tablename__ = "contact"


class StudentContact(columns.StudentContactColumns, CacheBase):
    __tablename__ = "student_contact"
    __table_args__ = (
        Index("ix_student_contact_student", "student_id"),
        Index("ix_student_contact_contact", "contact_id"),
    )


class Classroom(columns.ClassroomColumns, CacheBase):
    __tablename__ = "classroom"
    __table_args__ = (
        Index("ix_classroom_school_term", "school_id", "term_id"),
        Index("ix_classroom_name", "name", "id"),
    )


class Enrollment(columns.EnrollmentColumns, CacheBase):
    __tablename__ = "enrollment"
    __table_args__ = (
        Index("ix_enrollment_classroom", "classroom_id"),
        Index("ix_enrollment_person", "person_id"),
    )


class MessageStat(columns.MessageStatColumns, CacheBase):
    __tablename__ = "message_stat"
    __table_args__ = (Index("ix_message_stat_staff", "staff_id"),)


class SyncSettings(columns.SyncSettingsColumns, CacheBase):
    __tablename__ = "sync_settings"


class SyncRun(columns.SyncRunColumns, CacheBase):
    __tablename__ = "sync_run"


ENTITY_MODELS: dict[EntityType, type[CacheBase]] = {
    EntityType.SCHOOL: School,
    EntityType.TERM: Term,
    EntityType.STAFF: Staff,
    EntityType.STUDENT: Student,
    EntityType.CONTACT: Contact,
    EntityType.STUDENT_CONTACT: StudentContact,
    EntityType.CLASSROOM: Classroom,
    EntityType.ENROLLMENT: Enrollment,
    EntityType.MESSAGE_STAT: MessageStat,
    EntityType.SYNC_SETTINGS: SyncSettings,
    EntityType.SYNC_RUN: SyncRun,
}


class PendingOperation(CacheBase):
    """A change staged on this computer, waiting to be (or having been) sent.

    `state` is one of `pending` (staged, not sent), `sending` (handed to the server,
    result not yet stored), `applied`, `conflict`, `rejected`, `discarded`.
    """

    __tablename__ = "pending_operation"

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(36))
    base_version: Mapped[int | None] = mapped_column(Integer)
    """None while the target is a record an earlier staged operation creates."""
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[str] = mapped_column(String(40))
    batch: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12), default=OutboxState.PENDING.value)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    result_message: Mapped[str | None] = mapped_column(Text, default=None)
    kept: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Kept for later: unchecked in Review; a send leaves it staged until the user checks it again."""
    __table_args__ = (
        Index("ix_pending_target", "target_type", "target_id"),
        Index("ix_pending_state", "state"),
        Index("ix_pending_step", "step", "state", "created_at"),
    )


class StagedChange(CacheBase):
    """One record a staged operation creates, updates or deletes (see `domain.changes`).

    Written with the operation, in the same transaction; the effective state reads these
    rows, so it applies every staged operation to whatever records it touches.
    `base_version` is the version the user saw (0 for a record this operation creates,
    None for one an earlier staged operation creates).
    """

    __tablename__ = "staged_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(8))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    old: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_version: Mapped[int | None] = mapped_column(Integer, default=None)
    __table_args__ = (
        Index("ix_staged_change_record", "entity_type", "entity_id"),
        Index("ix_staged_change_op", "op_id"),
    )


class SyncState(CacheBase):
    """Where the last pull stopped (single row)."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    last_push_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    full_pull_done: Mapped[bool] = mapped_column(default=False)
    scope: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The server's scope stamp the cursor was pulled under (see `ChangesPage.scope`)."""


class DismissedDuplicate(CacheBase):
    """Two students the user said are not the same child: never proposed as duplicates again.

    Kept per account (the cache is the account's); `a` < `b`. `label` names both for
    reports ("Smith, Jon / Smith, John"), since either may leave the cache later.
    """

    __tablename__ = "dismissed_duplicate"

    a: Mapped[str] = mapped_column(String(36), primary_key=True)
    b: Mapped[str] = mapped_column(String(36), primary_key=True)
    label: Mapped[str] = mapped_column(String(500), default="")
    dismissed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Account(CacheBase):
    """Who this cache belongs to (single row); no secrets here."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[str] = mapped_column(String(36))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    school_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    display_name: Mapped[str] = mapped_column(String(200), default="")

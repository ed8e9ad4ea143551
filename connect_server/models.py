"""Server-side tables: the account's entities plus auth, feed, operations and audit.

Every entity row carries `seq`, the server-wide sequence number of its last write; the
changes feed is a keyset scan over the indexed `seq` of each table (for a school admin,
over `(school_id, seq)`, one range per school). A deleted record
leaves a row in `tombstone` with its own `seq`. `school_id` on scoped rows is what
school admins are filtered by.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connect_desktop.domain.entities import EntityType
from connect_desktop.store import columns


class Base(DeclarativeBase):
    pass


class SeqMixin:
    seq: Mapped[int] = mapped_column(BigInteger, index=True, unique=True)


class School(SeqMixin, columns.SchoolColumns, Base):
    __tablename__ = "school"


class Term(SeqMixin, columns.TermColumns, Base):
    __tablename__ = "term"
    __table_args__ = (Index("ix_term_school", "school_id", "seq"),)


class Staff(SeqMixin, columns.StaffColumns, Base):
    __tablename__ = "staff"
    __table_args__ = (Index("ix_staff_school", "school_id", "seq"), Index("ix_staff_source", "source_id"))


class Student(SeqMixin, columns.StudentColumns, Base):
    __tablename__ = "student"
    __table_args__ = (Index("ix_student_school", "school_id", "seq"), Index("ix_student_source", "source_id"))


class Contact(SeqMixin, columns.ContactColumns, Base):
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_source", "source_id"),)


class StudentContact(SeqMixin, columns.StudentContactColumns, Base):
    __tablename__ = "student_contact"
    __table_args__ = (
        Index("ix_student_contact_student", "student_id"),
        Index("ix_student_contact_contact", "contact_id"),
        Index("ix_student_contact_school", "school_id", "seq"),
    )


class Classroom(SeqMixin, columns.ClassroomColumns, Base):
    __tablename__ = "classroom"
    __table_args__ = (
        Index("ix_classroom_school", "school_id", "seq"),
        Index("ix_classroom_source", "source_id"),
    )


class Enrollment(SeqMixin, columns.EnrollmentColumns, Base):
    __tablename__ = "enrollment"
    __table_args__ = (
        Index("ix_enrollment_classroom", "classroom_id"),
        Index("ix_enrollment_person", "person_id"),
        Index("ix_enrollment_school", "school_id", "seq"),
    )


class MessageStat(SeqMixin, columns.MessageStatColumns, Base):
    __tablename__ = "message_stat"
    __table_args__ = (Index("ix_message_stat_school", "school_id", "seq"),)


class SyncSettings(SeqMixin, columns.SyncSettingsColumns, Base):
    __tablename__ = "sync_settings"


class SyncRun(SeqMixin, columns.SyncRunColumns, Base):
    __tablename__ = "sync_run"

    counts_by_school: Mapped[dict[str, dict[str, dict[str, int]]] | None] = mapped_column(
        JSON(none_as_null=True), default=None
    )
    """Server only (never on the wire): `counts` per school key (`syncing.schools`); None: not recorded."""


ENTITY_MODELS: dict[EntityType, type[Base]] = {
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


class Tombstone(Base):
    """A deleted record, kept so the changes feed can tell clients to drop it."""

    __tablename__ = "tombstone"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(20))
    id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)
    __table_args__ = (
        Index("ix_tombstone_record", "type", "id"),
        Index("ix_tombstone_school", "school_id", "seq"),
    )


class FeedCounter(Base):
    """The single-row, server-wide sequence.

    A row (not a database sequence) on purpose: a writer holds its lock until it
    commits, so `seq` values become visible in order and a client that pulled up to N
    can never later miss a record committed with a smaller number.
    """

    __tablename__ = "feed_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class User(Base):
    """Someone who signs in (a district admin, school admin or teacher)."""

    __tablename__ = "app_user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    school_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    staff_id: Mapped[str | None] = mapped_column(String(36), default=None)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    scope_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """The feed position when role or schools last changed: older cursors must pull again from 0."""


class AccessToken(Base):
    """A bearer token, stored as its SHA-256 only; `public_id` names it to admins (not a secret)."""

    __tablename__ = "access_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), index=True, unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)


class ThrottleCounter(Base):
    """Failed sign-ins of one account from one address, of one account, or from one address.

    The empty string stands for "any": (account, "") counts an account's failures from
    every address, ("", address) an address's failures for every account.
    """

    __tablename__ = "signin_throttle"

    account: Mapped[str] = mapped_column(String(254), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failure_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)


class AppliedOperation(Base):
    """The first result of every operation id, so a repeated send changes nothing."""

    __tablename__ = "applied_operation"

    op_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    op_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(36))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class SyncSourceSecret(Base):
    """Where the SIS sync reads from, with its credentials; never sent to clients."""

    __tablename__ = "sync_source_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class SyncRunArchive(Base):
    """One record a sync run archived or, when held, tried to archive."""

    __tablename__ = "sync_run_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36))
    source_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(300), default="")
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)
    """The record's school when listed (None: district level); what school admins are filtered by."""
    __table_args__ = (
        Index("ix_sync_run_archive_run", "run_id", "type", "id"),
        Index("ix_sync_run_archive_school", "run_id", "school_id", "type", "id"),
    )


class StudentMerge(Base):
    """One merge of two student records, with everything needed to split them again.

    Server only (never in the feed). Rows are stored as their wire data plus `id` and
    `version` (dates as ISO text), so an undo re-creates them exactly.
    """

    __tablename__ = "student_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    survivor_id: Mapped[str] = mapped_column(String(36))
    merged_id: Mapped[str] = mapped_column(String(36))
    merged_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[str] = mapped_column(String(36))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    """The first feed seq the merge wrote: later tombstones of the records it removed are its own."""
    merged_student: Mapped[dict[str, Any]] = mapped_column(JSON)
    moved_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The family links moved to the survivor, as they were before."""
    moved_enrollments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    dropped_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Links to contacts the survivor already had, removed (re-created by an undo)."""
    dropped_enrollments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The survivor's values of the fields the merge changed, before it."""
    survivor_written: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the merge wrote into those fields."""
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    undo_op_id: Mapped[str | None] = mapped_column(String(64), default=None)
    __table_args__ = (Index("ix_student_merge_pair", "survivor_id", "merged_id"),)

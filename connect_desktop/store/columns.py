"""Entity columns shared by the local cache and the reference server.

Both sides map the same fields so that a record on the wire (`data`) lands in the
cache unchanged. Each concrete model adds its own keys, indexes and bookkeeping.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class RecordColumns:
    """Identity and provenance, on every entity."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_id: Mapped[str | None] = mapped_column(String(255), default=None)
    origin: Mapped[str] = mapped_column(String(8), default="manual")


class SchoolColumns(RecordColumns):
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    grade_low: Mapped[str] = mapped_column(String(2))
    grade_high: Mapped[str] = mapped_column(String(2))


class TermColumns(RecordColumns):
    name: Mapped[str] = mapped_column(String(200))
    school_year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)


class StaffColumns(RecordColumns):
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    role: Mapped[str] = mapped_column(String(20))
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)
    access: Mapped[str] = mapped_column(String(8), default="active")
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    left_on: Mapped[dt.date | None] = mapped_column(Date, default=None)


class StudentColumns(RecordColumns):
    school_id: Mapped[str] = mapped_column(String(36))
    student_number: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    grade: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(8), default="active")
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date, default=None)


class ContactColumns(RecordColumns):
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    language: Mapped[str] = mapped_column(String(16), default="en")
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)


class StudentContactColumns(RecordColumns):
    student_id: Mapped[str] = mapped_column(String(36))
    contact_id: Mapped[str] = mapped_column(String(36))
    relationship: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)


class ClassroomColumns(RecordColumns):
    school_id: Mapped[str] = mapped_column(String(36))
    term_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    course_code: Mapped[str | None] = mapped_column(String(64), default=None)
    grade: Mapped[str | None] = mapped_column(String(2), default=None)
    status: Mapped[str] = mapped_column(String(8), default="active")


class EnrollmentColumns(RecordColumns):
    classroom_id: Mapped[str] = mapped_column(String(36))
    person_id: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(8))
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)


class MessageStatColumns(RecordColumns):
    staff_id: Mapped[str] = mapped_column(String(36))
    classroom_id: Mapped[str | None] = mapped_column(String(36), default=None)
    school_id: Mapped[str | None] = mapped_column(String(36), default=None)
    month: Mapped[dt.date] = mapped_column(Date)
    messages_sent: Mapped[int] = mapped_column(Integer, default=0)


class SyncSettingsColumns(RecordColumns):
    """Non-secret sync settings; the source's credentials never leave the server."""

    source_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    source_label: Mapped[str | None] = mapped_column(String(500), default=None)
    daily_sync: Mapped[bool] = mapped_column(Boolean, default=True)
    pauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)


class SyncRunColumns(RecordColumns):
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    approved_archives: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(1000), default=None)

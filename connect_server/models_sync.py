"""Tables of the SIS sync runner (to be folded into `models` by the schema's owner).

`sync_run_archive` keeps, per run, what a held run *tried to archive* (and what an
approved run did archive), so admins can page through and download the exact list.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from connect_server.models import Base


class SyncRunArchive(Base):
    """One record a sync run archived or, when held, tried to archive."""

    __tablename__ = "sync_run_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36))
    source_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(300), default="")
    __table_args__ = (Index("ix_sync_run_archive_run", "run_id", "type", "id"),)

"""sync_run_archive: what each sync run archived or tried to archive

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_run_archive",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_run_archive", schema=None) as batch_op:
        batch_op.create_index("ix_sync_run_archive_run", ["run_id", "type", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_run_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_archive_run")
    op.drop_table("sync_run_archive")

"""merges of duplicate students: student_merge

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "student_merge",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("op_id", sa.String(length=64), nullable=False),
        sa.Column("survivor_id", sa.String(length=36), nullable=False),
        sa.Column("merged_id", sa.String(length=36), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("merged_student", sa.JSON(), nullable=False),
        sa.Column("moved_links", sa.JSON(), nullable=False),
        sa.Column("moved_enrollments", sa.JSON(), nullable=False),
        sa.Column("dropped_links", sa.JSON(), nullable=False),
        sa.Column("dropped_enrollments", sa.JSON(), nullable=False),
        sa.Column("survivor_before", sa.JSON(), nullable=False),
        sa.Column("survivor_written", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undo_op_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("student_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_merge_op_id"), ["op_id"], unique=True)
        batch_op.create_index("ix_student_merge_pair", ["survivor_id", "merged_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("student_merge", schema=None) as batch_op:
        batch_op.drop_index("ix_student_merge_pair")
        batch_op.drop_index(batch_op.f("ix_student_merge_op_id"))
    op.drop_table("student_merge")

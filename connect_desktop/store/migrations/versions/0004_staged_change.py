"""staged_change: the records each staged operation creates, updates or deletes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:40:00

Operations staged before this revision each changed one field of their target, or
deleted it; their rows are filled in from `pending_operation` (the mapping below is
frozen as it was then, on purpose).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SET_FIELD = {
    "archive_classroom": ("status", "archived"),
    "unarchive_classroom": ("status", "active"),
    "revoke_staff_access": ("access", "revoked"),
    "restore_staff_access": ("access", "active"),
    "archive_student": ("status", "archived"),
    "unarchive_student": ("status", "active"),
}


def upgrade() -> None:
    with op.batch_alter_table("pending_operation", schema=None) as batch_op:
        batch_op.alter_column("base_version", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "staged_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
    )
    op.create_index("ix_staged_change_record", "staged_change", ["entity_type", "entity_id"])
    op.create_index("ix_staged_change_op", "staged_change", ["op_id"])
    insert = (
        "INSERT INTO staged_change (op_id, entity_type, entity_id, action, fields, old, base_version) "
        "SELECT op_id, target_type, target_id, :action, json_object(:field, :value), '{}', base_version "
        "FROM pending_operation WHERE kind = :kind"
    )
    for kind, (field, value) in _SET_FIELD.items():
        op.execute(sa.text(insert).bindparams(action="update", field=field, value=value, kind=kind))
    op.execute(
        sa.text(
            "INSERT INTO staged_change (op_id, entity_type, entity_id, action, fields, old, base_version) "
            "SELECT op_id, target_type, target_id, 'delete', '{}', '{}', base_version "
            "FROM pending_operation WHERE kind = 'delete_student'"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("pending_operation", schema=None) as batch_op:
        batch_op.alter_column("base_version", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_staged_change_op", table_name="staged_change")
    op.drop_index("ix_staged_change_record", table_name="staged_change")
    op.drop_table("staged_change")

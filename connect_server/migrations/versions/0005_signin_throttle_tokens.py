"""sign-in throttle and token bookkeeping

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_throttle",
        sa.Column("account", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("account", "address"),
    )
    with op.batch_alter_table("signin_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )

    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    tokens = sa.table("access_token", sa.column("token_hash", sa.String), sa.column("public_id", sa.String))
    connection = op.get_bind()
    for (digest,) in connection.execute(sa.select(tokens.c.token_hash)).all():
        connection.execute(
            tokens.update().where(tokens.c.token_hash == digest).values(public_id=str(uuid.uuid4()))
        )
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.alter_column("public_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index(batch_op.f("ix_access_token_public_id"), ["public_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_token_public_id"))
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("public_id")
    with op.batch_alter_table("signin_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_throttle_last_failure_at"))
    op.drop_table("signin_throttle")

"""dismissed_duplicate: pairs of students the user said are not the same child

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissed_duplicate",
        sa.Column("a", sa.String(36), primary_key=True),
        sa.Column("b", sa.String(36), primary_key=True),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dismissed_duplicate")

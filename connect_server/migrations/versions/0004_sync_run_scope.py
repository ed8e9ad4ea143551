"""sync runs scoped by school: sync_run.counts_by_school, sync_run_archive.school_id

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00

Runs recorded before this revision keep `counts_by_school` NULL ("not recorded"): school
admins see no counts for them. Their archive lists get the school of each record that
still exists (a contact: its own school, else its first family link's); records already
gone keep NULL and are shown to district admins only. Every run gets a new feed `seq`
(same version), so caches that pulled a run with the district's counts receive it again
as their user may now read it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OWN_SCHOOL = ("staff", "student", "classroom", "student_contact", "enrollment", "contact")


def upgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counts_by_school", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("sync_run_archive", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_sync_run_archive_school", ["run_id", "school_id", "type", "id"], unique=False
        )
    _backfill_schools()
    _announce_runs_again()


def _announce_runs_again() -> None:
    connection = op.get_bind()
    counter = sa.table("feed_counter", sa.column("id", sa.Integer), sa.column("value", sa.BigInteger))
    runs = sa.table("sync_run", sa.column("id", sa.String), sa.column("seq", sa.BigInteger))
    last = connection.execute(sa.select(counter.c.value).where(counter.c.id == 1)).scalar()
    ids = connection.execute(sa.select(runs.c.id).order_by(runs.c.seq)).scalars().all()
    if last is None or not ids:
        return
    for offset, run_id in enumerate(ids, start=1):
        connection.execute(runs.update().where(runs.c.id == run_id).values(seq=last + offset))
    connection.execute(counter.update().where(counter.c.id == 1).values(value=last + len(ids)))


def _backfill_schools() -> None:
    archive = sa.table(
        "sync_run_archive", sa.column("type", sa.String), sa.column("record_id", sa.String),
        sa.column("school_id", sa.String),
    )  # fmt: skip
    for type_ in _OWN_SCHOOL:
        records = sa.table(type_, sa.column("id", sa.String), sa.column("school_id", sa.String))
        own = sa.select(records.c.school_id).where(records.c.id == archive.c.record_id).scalar_subquery()
        op.execute(archive.update().where(archive.c.type == type_).values(school_id=own))
    links = sa.table("student_contact", sa.column("contact_id", sa.String), sa.column("school_id", sa.String))
    first_link = (
        sa.select(sa.func.min(links.c.school_id))
        .where(links.c.contact_id == archive.c.record_id)
        .scalar_subquery()
    )
    op.execute(
        archive.update()
        .where(archive.c.type == "contact", archive.c.school_id.is_(None))
        .values(school_id=first_link)
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_run_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_archive_school")
        batch_op.drop_column("school_id")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_column("counts_by_school")

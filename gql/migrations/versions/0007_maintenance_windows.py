"""maintenance windows

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:05:17.984900

Maintenance windows that staff schedule (SPEC §3.6): when ordering, top-ups and anonymous
purchases pause, with a notice in Dutch and English. A window is cancelled, never removed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gql.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notice_nl", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("notice_en", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(cancelled_at IS NULL) = (cancelled_by_id IS NULL)", name="cancelled_by_someone"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.ForeignKeyConstraint(["cancelled_by_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_window", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_window_ends_at"), ["ends_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("maintenance_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_window_ends_at"))
    op.drop_table("maintenance_window")

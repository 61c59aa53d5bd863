"""bank files

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 13:50:38.914893

The record of every SEPA file the service makes (pain.001, pain.008) or imports (pain.002,
camt.054): its kind, direction, message id, stored file, SHA-256, who made it, a summary and
what an import changed. A record is complete when written and never changes; a message id
is unique per kind and a file's bytes are recorded once (an import of the same file twice is
recognised, also when both run at once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gql.db
from gql.migrations import guards

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column(
            "original_message_id", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True
        ),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=6), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("changes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint("(channel = 'STAFF') = (created_by_id IS NOT NULL)", name="staff_named"),
        sa.CheckConstraint(
            "(direction = 'OUT') = (kind IN ('PAIN_001', 'PAIN_008'))", name="direction_of_kind"
        ),
        sa.CheckConstraint("channel IN ('STAFF', 'CLI', 'WORKER')", name="bank_file_channel_known"),
        sa.CheckConstraint("direction IN ('OUT', 'IN')", name="bank_file_direction_known"),
        sa.CheckConstraint(
            "kind IN ('PAIN_001', 'PAIN_008', 'PAIN_002', 'CAMT_054')", name="bank_file_kind_known"
        ),
        sa.CheckConstraint("transactions >= 0 AND total_cents >= 0", name="summary_not_negative"),
        sa.ForeignKeyConstraint(["created_by_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["file_id"], ["stored_file.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_id"),
        sa.UniqueConstraint("kind", "message_id", name="uq_bank_file_message"),
        sa.UniqueConstraint("sha256", name="uq_bank_file_sha256"),
    )
    with op.batch_alter_table("bank_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_file_kind"), ["kind"], unique=False)
    # A record says what a file did when it was made or imported: it never changes.
    guards.immutable("bank_file")


def downgrade() -> None:
    guards.drop_immutable("bank_file")
    with op.batch_alter_table("bank_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_file_kind"))
    op.drop_table("bank_file")

"""invoice collections, reminders and transfers

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 14:22:26.819972

Collecting invoices: the direct-debit file each invoice went in (one attempt: unique per
invoice), the reminders and formal notices sent (each kind once per invoice) and payments
by bank transfer (once per invoice). All three are append-only: what was sent or received
never changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql.db
from gql.migrations import guards

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("invoice_collection", "invoice_reminder", "invoice_transfer")


def upgrade() -> None:
    op.create_table(
        "invoice_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("sequence_type", sa.String(length=4), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sequence_type IN ('FRST', 'RCUR')", name="collection_sequence_known"),
        sa.ForeignKeyConstraint(
            ["bank_file_id"],
            ["bank_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["direct_debit_mandate.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
    )
    with op.batch_alter_table("invoice_collection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_collection_bank_file_id"), ["bank_file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_collection_mandate_id"), ["mandate_id"], unique=False
        )

    op.create_table(
        "invoice_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("sent_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("channel IN ('EMAIL', 'POST')", name="reminder_channel_known"),
        sa.CheckConstraint("kind IN ('REMINDER', 'FORMAL_NOTICE')", name="reminder_kind_known"),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_invoice_reminder_kind"),
    )
    op.create_table(
        "invoice_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(source = 'STAFF') = (recorded_by_id IS NOT NULL)", name="transfer_staff_named"
        ),
        sa.CheckConstraint("source IN ('CAMT_054', 'STAFF')", name="transfer_source_known"),
        sa.CheckConstraint("amount_cents > 0", name="transfer_amount_positive"),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
    )
    for table in TABLES:
        guards.append_only(table)


def downgrade() -> None:
    for table in TABLES:
        guards.drop_append_only(table)
    op.drop_table("invoice_transfer")
    op.drop_table("invoice_reminder")
    with op.batch_alter_table("invoice_collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_collection_mandate_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_collection_bank_file_id"))

    op.drop_table("invoice_collection")

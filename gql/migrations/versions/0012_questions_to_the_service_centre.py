"""questions to the service centre

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:48:26.365141

Questions of signed-in accounts to the service centre (the question form) and the one
answer staff give to each: a topic, the text, for an invoice address that did not follow an
address change the old and the new address (and for no other topic), and who answered when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gql.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=24), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("old_street", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("old_house_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("old_postal_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("old_city", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("new_street", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("new_house_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("new_postal_code", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column("new_city", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("asked_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("answered_at", gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'ANSWERED') = (answer IS NOT NULL AND answered_at IS NOT NULL)",
            name="answered_has_answer",
        ),
        sa.CheckConstraint(
            "(topic = 'INVOICE_ADDRESS') = (new_city IS NOT NULL)", name="new_address_for_topic"
        ),
        sa.CheckConstraint(
            "(topic = 'INVOICE_ADDRESS') = (old_city IS NOT NULL)", name="old_address_for_topic"
        ),
        sa.CheckConstraint("status IN ('OPEN', 'ANSWERED')", name="status_known"),
        sa.CheckConstraint(
            "topic IN ('ACCESS_CODE', 'ORDERS_AND_INVOICES', 'INVOICE_ADDRESS', 'PAYMENT_METHOD', 'ANNUAL_ACCOUNTS', 'OTHER')",
            name="topic_known",
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["answered_by_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index("ix_question_account", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_question_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_status")
        batch_op.drop_index("ix_question_account")
    op.drop_table("question")

"""development mark

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:30:00

`seed-demo` puts accounts with published passwords into a database; that must never happen
to a real one. This migration marks the database once: a development database only when
it is migrated with TOEGANG_ENV=development (the default) and holds no accounts other than
the demo ones. Companies made by seed-demo are marked too: demo accounts attach only to
those, never to a real company with the same KVK number.
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

import gql.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEMO_ACCESS_CODES = ("DEMAPRVT2345", "DEMABZNS2345")


def upgrade() -> None:
    op.create_table(
        "database_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("development", sa.Boolean(), nullable=False),
        sa.Column("marked_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("company") as batch_op:
        batch_op.add_column(
            sa.Column("created_by_demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    environment = context.config.attributes.get("environment") or os.environ.get(
        "TOEGANG_ENV", "development"
    )
    others = connection.execute(
        sa.text("SELECT count(*) FROM account WHERE access_code NOT IN (:a, :b)"),
        {"a": DEMO_ACCESS_CODES[0], "b": DEMO_ACCESS_CODES[1]},
    ).scalar()
    development = environment == "development" and not others
    mark = sa.table(
        "database_mark",
        sa.column("id", sa.Integer()),
        sa.column("development", sa.Boolean()),
        sa.column("marked_at", gql.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(mark, [{"id": 1, "development": development, "marked_at": datetime.now(UTC)}])
    if development:
        # Before this migration seed-demo made the companies 90000001-90000022.
        company = sa.table(
            "company",
            sa.column("kvk_number", sa.String()),
            sa.column("created_by_demo", sa.Boolean()),
        )
        connection.execute(
            company.update()
            .where(company.c.kvk_number.between("90000001", "90000022"))
            .values(created_by_demo=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("company") as batch_op:
        batch_op.drop_column("created_by_demo")
    op.drop_table("database_mark")

"""device sessions

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 15:55:52.526612

Device sessions of mobile apps: an `auth_session` of kind TOKEN no longer carries a token of
its own but a chain of access and refresh token pairs (`device_token`, only hashes; a used
pair's successor sealed for the grace period), with the device's name, when the password
was entered and when the chain was last refreshed. Sessions also keep the User-Agent for the
session list.

Bearer-token sessions of the old kind (12 hours) end here: their apps sign in once more and
get a device session.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gql.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("access_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("refresh_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_at", gql.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", gql.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("successor", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["auth_session.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("access_hash"),
        sa.UniqueConstraint("refresh_hash"),
    )
    with op.batch_alter_table("device_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_token_session_id"), ["session_id"], unique=False
        )
    # The old bearer sessions end; their times are filled so the new CHECK holds.
    op.execute(
        "UPDATE auth_session SET ended_at = last_seen_at WHERE kind = 'TOKEN' AND ended_at IS NULL"
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("device_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "user_agent",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("authenticated_at", gql.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("refreshed_at", gql.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("token_hash", existing_type=sa.VARCHAR(length=64), nullable=True)
    op.execute(
        "UPDATE auth_session SET authenticated_at = created_at, refreshed_at = created_at "
        "WHERE kind = 'TOKEN'"
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.alter_column(
            "user_agent",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
            existing_nullable=False,
            server_default=None,
        )
        batch_op.create_check_constraint(
            "device_session_times",
            "kind = 'COOKIE' OR (authenticated_at IS NOT NULL AND refreshed_at IS NOT NULL)",
        )


def downgrade() -> None:
    # Device sessions have no token of the old kind: they are removed with their tokens.
    op.drop_table("device_token")
    op.execute("DELETE FROM auth_session WHERE token_hash IS NULL")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_constraint("device_session_times", type_="check")
        batch_op.alter_column("token_hash", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column("refreshed_at")
        batch_op.drop_column("authenticated_at")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("device_name")

"""sealed TOTP secrets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:00:00

Staff TOTP secrets are sealed at rest (Fernet under the key derived for them from
TOEGANG_SECRET_KEY): a copy of the database no longer hands out the second factor. The
column grows to hold a sealed value, and secrets stored in plain text are sealed now,
which needs the key (`toegang migrate` passes it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

from gql.keys import Purpose, keyring

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A Fernet token starts with its version byte 0x80: base64url "gAAAAA".
SEALED_PREFIX = "gAAAAA"


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sqlmodel.sql.sqltypes.AutoString(length=255),
            existing_nullable=True,
        )
    connection = op.get_bind()
    plain = connection.execute(
        sa.text("SELECT id, totp_secret FROM account WHERE totp_secret IS NOT NULL")
    ).all()
    plain = [(pk, secret) for pk, secret in plain if not secret.startswith(SEALED_PREFIX)]
    if not plain:
        return
    secret_key = context.config.attributes.get("secret_key")
    if not secret_key:
        raise RuntimeError(
            "staff TOTP secrets must be sealed: run `toegang migrate` with TOEGANG_SECRET_KEY"
        )
    keys = keyring(secret_key)
    for pk, secret in plain:
        connection.execute(
            sa.text("UPDATE account SET totp_secret = :sealed WHERE id = :id"),
            {"sealed": keys.seal(Purpose.TOTP_SECRET, secret), "id": pk},
        )


def downgrade() -> None:
    # Sealed secrets stay sealed (opening them needs the key); only the column shrinks back
    # when nothing longer is stored.
    connection = op.get_bind()
    if connection.execute(
        sa.text("SELECT count(*) FROM account WHERE length(totp_secret) > 64")
    ).scalar():
        raise RuntimeError("sealed TOTP secrets do not fit the old column; recreate staff")
    with op.batch_alter_table("account") as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=255),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=True,
        )

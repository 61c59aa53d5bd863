"""one main user per organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00

Staff now name an organisation's main user (and deactivate codes); the database refuses a
second active main user of one organisation, whatever two requests do at the same moment.

Approvals before the company row was locked could, in a race, have made two main users of
one organisation. The index cannot be made over such rows, so they are repaired first: the
organisation's first code (the lowest id, SPEC §2 "its first code") stays its main user,
the later ones become ordinary codes. Staff can name another one afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_account = sa.table(
    "account",
    sa.column("id", sa.Integer()),
    sa.column("kvk_number", sa.String()),
    sa.column("is_main_user", sa.Boolean()),
    sa.column("active", sa.Boolean()),
)


def upgrade() -> None:
    earlier = _account.alias("earlier")
    op.get_bind().execute(
        _account.update()
        .where(
            _account.c.is_main_user.is_(sa.true()),
            _account.c.active.is_(sa.true()),
            sa.exists().where(
                earlier.c.kvk_number == _account.c.kvk_number,
                earlier.c.is_main_user.is_(sa.true()),
                earlier.c.active.is_(sa.true()),
                earlier.c.id < _account.c.id,
            ),
        )
        .values(is_main_user=False)
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(
            "uq_account_main_user",
            ["kvk_number"],
            unique=True,
            sqlite_where=sa.text("is_main_user AND active"),
            postgresql_where=sa.text("is_main_user AND active"),
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_account_main_user",
            sqlite_where=sa.text("is_main_user AND active"),
            postgresql_where=sa.text("is_main_user AND active"),
        )

"""stored states checked by the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00

Every stored state, role and channel is an enum in the code; the database now refuses any
other value for the columns that had no CHECK yet.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES = "'PASSWORD_RESET', 'NEW_ACCESS_CODE'"
CHECKS = [
    ("auth_session", "kind_known", "kind IN ('COOKIE', 'TOKEN')"),
    ("one_time_token", "purpose_known", f"purpose IN ({PURPOSES})"),
    ("recovery_request", "purpose_known", f"purpose IN ({PURPOSES})"),
    (
        "access_code_request",
        "delivered_by_known",
        "delivered_by IS NULL OR delivered_by IN ('EMAIL', 'POST')",
    ),
]


def upgrade() -> None:
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="check")

"""Database guards that migrations install: tables that refuse changes.

Used by the migrations of the tables they protect (the audit trail, the file store, the
ledger); the names of what they make are derived from the table, so downgrades drop them.
"""

from __future__ import annotations

from alembic import op

_PG_FUNCTION = {
    "append_only": (
        "CREATE OR REPLACE FUNCTION toegang_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    ),
    "immutable": (
        "CREATE OR REPLACE FUNCTION toegang_immutable() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'rows of % never change', TG_TABLE_NAME; END $$"
    ),
}


def immutable(table: str) -> None:
    """Refuse UPDATE (a stored row never changes); DELETE stays possible (retention)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'rows of {table} never change'); END"
        )
        return
    op.execute(_PG_FUNCTION["immutable"])
    op.execute(
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION toegang_immutable()"
    )


def drop_immutable(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")


def append_only(table: str) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL): rows are only ever added."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(_PG_FUNCTION["append_only"])
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION toegang_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION toegang_append_only()"
    )


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def fixed_columns(table: str, columns: tuple[str, ...]) -> None:
    """Refuse an UPDATE of these columns (the rest of the row may still change): what was
    issued stays as issued, e.g. an invoice's number, amounts and stored PDF."""
    listed = ", ".join(columns)
    message = f"issued columns of {table} never change"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER {table}_fixed_columns BEFORE UPDATE OF {listed} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {table}_fixed_columns() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fixed_columns BEFORE UPDATE OF {listed} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_fixed_columns()"
    )


def drop_fixed_columns(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed_columns")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed_columns ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_fixed_columns()")

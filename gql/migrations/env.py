"""Alembic environment: migrations are the only way the schema is made."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import gql.models  # noqa: F401  (registers every table)
from gql.db import TextEnum, create_engine
from gql.services.catalog.reference import load_catalog

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """A TextEnum is a plain string column to the database."""
    if type_ == "type" and isinstance(obj, TextEnum):
        return f"sa.String(length={getattr(obj.impl_instance, 'length', None)})"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        # Reference data follows the schema: the catalog of products and prices.
        load_catalog(connection, now=datetime.now(UTC))
        if connection.dialect.name == "sqlite":
            # Foreign keys were off while tables were rebuilt (gql.db.create_engine).
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken foreign keys")


async def _run_async() -> None:
    engine = create_engine(
        config.get_main_option("sqlalchemy.url") or "",
        ca_file=config.attributes.get("database_ca_file"),
        migrations=True,
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `toegang migrate`")
connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())

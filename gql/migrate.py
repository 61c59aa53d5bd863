"""Run Alembic from code (the `toegang migrate` command and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(
    database_url: str, *, ca_file: Path | None = None, **attributes: object
) -> Config:
    """The Alembic configuration; `attributes` reach the migrations (config.attributes)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_ca_file"] = ca_file  # read by migrations/env.py
    config.attributes.update(attributes)
    return config


def upgrade(
    database_url: str,
    revision: str = "head",
    *,
    ca_file: Path | None = None,
    secret_key: str | None = None,
    environment: str | None = None,
) -> None:
    """Migrate the database to `revision` (default: the latest), over verified TLS with a CA file.

    `secret_key` seals what a migration must seal (TOTP secrets); `environment` is
    TOEGANG_ENV (default: the environment variable), which decides whether a new database
    counts as a development database.
    """
    config = alembic_config(
        database_url, ca_file=ca_file, secret_key=secret_key, environment=environment
    )
    command.upgrade(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )

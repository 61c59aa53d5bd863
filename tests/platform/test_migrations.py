"""Migrations make the schema (on SQLite and PostgreSQL), and the app knows when they have not run."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import gql.models  # noqa: F401  (registers every table)
from gql.app import create_app
from gql.db import Database, create_engine
from gql.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.support.api import http_client, make_settings

SQLITE_SCHEMA = """
SELECT type, name, tbl_name, sql FROM sqlite_master
WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name
"""

# Everything a migration can make in PostgreSQL's public schema, as comparable text.
POSTGRES_SCHEMA = """
SELECT 'column', table_name || '.' || column_name,
       data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', event_object_table || '.' || trigger_name,
       event_manipulation || ' ' || action_statement
  FROM information_schema.triggers WHERE trigger_schema = 'public'
UNION ALL
SELECT 'function', proname, pg_get_functiondef(oid)
  FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'sequence', sequence_name, data_type
  FROM information_schema.sequences WHERE sequence_schema = 'public'
UNION ALL
SELECT 'type', typname, typtype::text
  FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'
ORDER BY 1, 2, 3
"""


async def _admin(base: str) -> asyncpg.Connection:
    return await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")


@pytest.fixture
async def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A database with nothing in it: no tables, not even Alembic's."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    base = request.getfixturevalue("postgres_server")
    name = f"e_{uuid.uuid4().hex[:16]}"
    conn = await _admin(base)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    yield f"{base}/{name}"
    conn = await _admin(base)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


async def schema_of(url: str) -> list[tuple[Any, ...]]:
    """Every table, column, index, constraint, trigger and function, as rows of text."""
    engine: AsyncEngine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if not url.startswith("sqlite"):
                return [tuple(row) for row in (await conn.execute(text(POSTGRES_SCHEMA))).all()]
            rows = (await conn.execute(text(SQLITE_SCHEMA))).all()
            # A table rebuilt by a batch migration lists its foreign keys in another order.
            return [
                (*row[:3], sorted(line.strip().rstrip(",") for line in (row[3] or "").split("\n")))
                for row in rows
            ]
    finally:
        await engine.dispose()


async def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


def tables_in(schema: list[tuple[Any, ...]]) -> set[str]:
    names = set()
    for kind, name, *_ in schema:
        if kind == "table":
            names.add(name)
        elif kind == "column":
            names.add(name.split(".")[0])
    return names


async def alembic(action: str, url: str, revision: str) -> None:
    """Alembic runs its own event loop: give it a thread."""
    await asyncio.to_thread(getattr(command, action), alembic_config(url), revision)


async def test_an_empty_database_is_migrated_to_the_latest_revision(
    empty_database_url: str,
) -> None:
    # given
    assert await schema_of(empty_database_url) == []

    # when
    await asyncio.to_thread(upgrade, empty_database_url)

    # then
    assert await revision_of(empty_database_url) == head_revision()
    expected = set(SQLModel.metadata.tables) | {"alembic_version"}
    assert tables_in(await schema_of(empty_database_url)) == expected


async def test_the_migrated_database_matches_the_tables_the_code_declares(
    empty_database_url: str,
) -> None:
    # given
    await asyncio.to_thread(upgrade, empty_database_url)
    engine = create_engine(empty_database_url)

    # when: what Alembic's autogenerate would still want to change
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()

    # then: nothing; a model change without its migration fails here
    assert diff == []


async def test_downgrading_to_base_removes_everything_and_upgrading_again_gives_the_same_schema(
    empty_database_url: str,
) -> None:
    # given
    await asyncio.to_thread(upgrade, empty_database_url)
    migrated = await schema_of(empty_database_url)

    # when
    await alembic("downgrade", empty_database_url, "base")
    downgraded = await schema_of(empty_database_url)
    await asyncio.to_thread(upgrade, empty_database_url)

    # then: only Alembic's own bookkeeping outlives the downgrade
    assert {row[1].split(".")[0] for row in downgraded} <= {
        "alembic_version",
        "alembic_version_pkc",
    }
    assert await schema_of(empty_database_url) == migrated
    assert await revision_of(empty_database_url) == head_revision()


async def test_app_connections_to_sqlite_use_wal_full_sync_and_foreign_keys(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given
    app = create_app(make_settings(sqlite_url, tmp_path / "data"))
    db: Database = app.state.deps.db

    # when
    async with LifespanManager(app), db.read() as session:
        pragmas = {
            name: (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }

    # then
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 30000,
    }


async def test_a_sqlite_write_transaction_takes_the_write_lock_when_it_begins(
    sqlite_url: str,
) -> None:
    # given
    db = Database(sqlite_url)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), timeout=0)
    try:
        # when: a write unit of work has begun but has not written anything yet
        async with db.write():
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")

        # then: once it ended, another writer gets the lock at once
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    finally:
        other.close()
        await db.dispose()


async def test_readyz_answers_503_when_the_database_is_not_at_the_latest_migration(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given: a database that says it has not been migrated
    await alembic("stamp", sqlite_url, "base")
    app = create_app(make_settings(sqlite_url, tmp_path / "data"))

    # when
    async with LifespanManager(app), http_client(app) as client:
        not_ready = await client.get("/readyz")
        alive = await client.get("/healthz")
        await alembic("stamp", sqlite_url, "head")
        ready = await client.get("/readyz")

    # then
    assert not_ready.status_code == 503
    assert not_ready.json() == {"status": "unavailable", "migration": None, "head": head_revision()}
    assert alive.status_code == 200
    assert ready.status_code == 200


async def test_readyz_answers_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    # given: a database file that is no database
    path = tmp_path / "toegang.db"
    path.write_bytes(b"this is not a SQLite database, but some other file" * 100)
    url = f"sqlite+aiosqlite:///{path}"
    app = create_app(make_settings(url, tmp_path / "data"))

    # when
    async with LifespanManager(app), http_client(app) as client:
        response = await client.get("/readyz")

    # then
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}

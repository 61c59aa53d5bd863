"""Database engine and the two kinds of unit of work: read and write.

SQLite runs in WAL mode with synchronous=FULL and foreign keys on, and every write
transaction starts with BEGIN IMMEDIATE so two writers never deadlock on a lock
upgrade. PostgreSQL runs through asyncpg at READ COMMITTED; services that need more
take row locks or use conditional updates.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.types import DateTime, String, TypeDecorator
from sqlalchemy.util.concurrency import await_

from gql.private_files import private_sqlite
from gql.reader import STATEMENT_HOOKS, Reader, trace_statement

_IMMEDIATE = "toegang_immediate"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TextEnum(TypeDecorator[StrEnum]):
    """A StrEnum stored as its text value and read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: StrEnum | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, *, ca_file: Path | None = None, echo: bool = False, migrations: bool = False
) -> AsyncEngine:
    """An engine with the durability settings of SPEC §6 applied on every connection.

    hide_parameters: a database error's message (which reaches the log) never quotes the
    values of the statement: e-mail addresses, names, hashes (SPEC §6: no variables in logs).
    migrations: on SQLite, foreign keys are checked after the migrations (PRAGMA
    foreign_key_check) instead of per statement, because rebuilding a table that others
    refer to (a batch migration) drops it for a moment.
    """
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite(Path(database))
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": 30}
        )
        _configure_sqlite(engine, foreign_keys=not migrations)
        return engine
    connect_args: dict[str, Any] = {}
    if ca_file is not None:
        # CERT_REQUIRED and check_hostname: the server must prove it is the host of the URL.
        # Without it asyncpg tries TLS unverified and falls back to plain text.
        connect_args["ssl"] = ssl.create_default_context(cafile=ca_file)
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=10,
        max_overflow=10,
        # No pre-ping: it is one more round trip per checkout. A connection the server
        # dropped fails its statement once and the pool replaces it; recycling keeps idle
        # connections from outliving a server or proxy timeout.
        pool_recycle=1800,
        connect_args=connect_args,
    )

    if STATEMENT_HOOKS:
        # Tests count statements: asyncpg's query logger misses prepared statements, which
        # is how SQLAlchemy sends them, so the engine reports each one itself.
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def trace_postgresql(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            trace_statement(statement)

    return engine


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool = True) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted content is overwritten, so a removed secret does not linger in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        if STATEMENT_HOOKS:
            await_(dbapi_connection._connection.set_trace_callback(trace_statement))
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Hands out sessions; each use case owns exactly one transaction."""

    def __init__(self, url: str, *, ca_file: Path | None = None, echo: bool = False) -> None:
        # Single-statement reads near the driver (gql/reader.py), opened on first use.
        self.reader = Reader(url, ca_file=ca_file)
        self.url = url
        self.engine = create_engine(url, ca_file=ca_file, echo=echo)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction (BEGIN IMMEDIATE on SQLite), committed only by its owner.

        The block must end with `await session.commit()`. Leaving it any other way — an
        exception, an early `return` after a failed rule, a forgotten commit — rolls back,
        so a half-done use case can never be committed by accident.
        """
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            await session.connection(execution_options={_IMMEDIATE: True})
            try:
                yield session
            finally:
                if session.in_transaction():
                    await session.rollback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (rolled back at the end, whatever happened)."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                # Detach first: a rollback would expire what the caller goes on to read.
                session.expunge_all()
                await session.rollback()

    async def dispose(self) -> None:
        await self.reader.close()
        await self.engine.dispose()

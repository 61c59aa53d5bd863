"""The read connection: one driver call per read, the engine's types, never a write."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import bindparam, select
from starlette.applications import Starlette

from gql.clock import FrozenClock
from gql.db import Database
from gql.models.accounts import Account, Usage
from gql.reader import Read, Reader
from tests.support.factories import add_account, add_company

ACCOUNT = Read(
    select(Account.id, Account.usage, Account.created_at, Account.is_main_user).where(
        Account.email == bindparam("email")
    )
)
BY_CODES = Read(
    select(Account.email).where(Account.access_code.in_(bindparam("codes", expanding=True)))
)  # type: ignore[attr-defined]


async def test_a_read_gives_what_the_engine_gives_typed_and_named(app: Starlette) -> None:
    # given
    await add_account(app, email="anna@example.nl")
    db = app.state.deps.db
    # when
    row = await db.reader.first(ACCOUNT, email="anna@example.nl")
    async with db.read() as session:
        account = (await session.execute(select(Account))).scalar_one()
    # then: the same values and Python types as the ORM reads, by name
    assert row.usage is Usage.PRIVATE
    assert isinstance(row.created_at, datetime) and row.created_at.tzinfo is not None
    assert (row.id, row.created_at, row.is_main_user) == (
        account.id,
        account.created_at,
        account.is_main_user,
    )
    assert await db.reader.first(ACCOUNT, email="nobody@example.nl") is None


async def test_an_in_list_of_any_length_is_one_read(app: Starlette) -> None:
    # given
    codes = [(await add_account(app, email=f"p{n}@example.nl")).replace("-", "") for n in range(3)]
    db = app.state.deps.db
    # when
    one = await db.reader.all(BY_CODES, codes=codes[:1])
    three = await db.reader.all(BY_CODES, codes=codes)
    # then
    assert [r.email for r in one] == ["p0@example.nl"]
    assert sorted(r.email for r in three) == ["p0@example.nl", "p1@example.nl", "p2@example.nl"]
    # and: the text made once per length serves other values of that length, and none
    other = await db.reader.all(BY_CODES, codes=codes[2:])
    again = await db.reader.all(BY_CODES, codes=[codes[1], "NOSUCHCODE", codes[0]])
    assert [r.email for r in other] == ["p2@example.nl"]
    assert sorted(r.email for r in again) == ["p0@example.nl", "p1@example.nl"]
    assert await db.reader.all(BY_CODES, codes=[]) == []


CREATED_SINCE = Read(
    select(Account.email).where(
        Account.access_code.in_(bindparam("codes", expanding=True)),  # type: ignore[attr-defined]
        Account.created_at >= bindparam("since"),
    )
)


async def test_a_timestamp_beside_an_in_list_is_bound_as_the_engine_binds_it(
    app: Starlette, clock: FrozenClock
) -> None:
    # given: an account made at a moment with microseconds
    clock.set(clock.now().replace(microsecond=123456))
    code = (await add_account(app, email="anna@example.nl")).replace("-", "")
    db = app.state.deps.db
    async with db.read() as session:
        created_at = await session.scalar(select(Account.created_at))
    # when: read from exactly that moment on
    rows = await db.reader.all(CREATED_SINCE, codes=[code], since=created_at)
    # then: the moment itself counts (SQLite compares the text the engine stored: the
    # driver's own adapter would have added "+00:00" and missed it)
    assert [r.email for r in rows] == ["anna@example.nl"]


async def test_the_sqlite_read_connection_never_writes_and_never_makes_a_database(
    tmp_path: Path, sqlite_url: str
) -> None:
    # given
    missing = Reader(f"sqlite+aiosqlite:///{tmp_path / 'here.db'}")
    existing = Database(sqlite_url)
    try:
        # when / then: no database is made by reading
        with pytest.raises(sqlite3.OperationalError):
            await missing.all(ACCOUNT, email="x")
        assert not (tmp_path / "here.db").exists()
        # and the connection refuses writes (query_only)
        await existing.reader.all(ACCOUNT, email="x")
        connection = existing.reader._conn
        assert isinstance(connection, aiosqlite.Connection)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await connection.execute("DELETE FROM account")
    finally:
        await missing.close()
        await existing.dispose()


async def test_after_many_reads_a_passive_checkpoint_completes(
    app: Starlette, sqlite_url: str, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the WAL is SQLite's")
    # given: writes, and reads on the read connection in between
    db = app.state.deps.db
    for n in range(20):
        await add_company(app, kvk_number=f"700000{n:02d}", email=None)
        await db.reader.all(ACCOUNT, email="x")
    # when: the read connection is still open
    async with aiosqlite.connect(app.state.deps.settings.database_url.split("///")[1]) as conn:
        [(busy, log, done)] = await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
    # then: no reader held an old snapshot
    assert (busy, log) == (0, done)

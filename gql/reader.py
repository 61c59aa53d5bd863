"""Single-statement reads near the driver: one driver call, fetched completely in one go.

A hot read (the session of a request, a page of a list, a DataLoader batch) is one SQL
statement. Through the engine it costs a connection checkout, BEGIN, the statement and
ROLLBACK, each a trip to aiosqlite's thread (or a round trip to PostgreSQL, plus a pre-ping);
here it is one call on a connection opened at start-up:

- SQLite: ONE aiosqlite connection per process, on the existing file only (`mode=rw`), with
  the engine's pragmas, a busy timeout and `query_only`; autocommit, so each statement reads
  the latest committed data and no transaction stays open. Every result is fetched whole in
  the same call (`execute_fetchall`): a cursor left open would pin an old WAL snapshot and
  keep checkpoints from finishing.
- PostgreSQL: a small asyncpg pool of its own, whose connections keep prepared statements.

The statement is still written with SQLAlchemy (SQLModel tables, Core expressions); it is
compiled once per dialect, and its columns' result processors (UTC timestamps, enums,
booleans) run as the engine would run them. Reads of several statements that must agree with
each other use `Database.read()` (one transaction); writes always go through the engine.

    VIEWER = Read(select(Account.name).where(Account.id == bindparam("id")))
    row = await db.reader.first(VIEWER, id=7)       # a named tuple, or None
    rows = await db.reader.all(COMPANIES, kvk_numbers=["90000001"])
"""

from __future__ import annotations

import asyncio
import ssl
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

# Driver-level statement hooks for tests (sqlite3 trace callback, asyncpg query logger):
# every connection opened while a hook is registered reports each statement it sends.
STATEMENT_HOOKS: list[Callable[[str], None]] = []


def trace_statement(sql: str) -> None:
    for hook in STATEMENT_HOOKS:
        hook(sql)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind parameter names, in the order the driver takes them
    defaults: dict[str, Any]  # values bound inside the statement itself
    binds: dict[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]
    expanding: tuple[str, ...]  # the expanding IN lists' names
    compiled: Any
    # Per length of each IN list: the statement's text and (name, processor) per parameter.
    by_length: dict[tuple[int, ...], tuple[str, tuple[tuple[str, Any], ...]]]


class Read:
    """A read statement, compiled once per dialect; rows come back as named tuples."""

    __slots__ = ("_compiled", "row", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        keys = list(statement.selected_columns.keys())
        self.row: Any = namedtuple("Row", keys, rename=True)  # type: ignore[misc]
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        results = tuple(
            column_type._cached_result_processor(dialect, None)
            for _key, _name, _objects, column_type in compiled._result_columns
        )
        binds = {
            name: processor
            for name, processor in compiled._bind_processors.items()
            if processor is not None
        }
        return _Compiled(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            defaults={k: v for k, v in compiled.params.items() if v is not None},
            binds=binds,  # type: ignore[arg-type]
            results=results,
            expanding=tuple(b.key for b in compiled.binds.values() if b.expanding),
            compiled=compiled,
            by_length={},
        )


class Reader:
    """The read connection of one process (SQLite) or its read pool (PostgreSQL)."""

    def __init__(self, url: str, *, ca_file: Path | None = None) -> None:
        self.url = url
        self.ca_file = ca_file
        self.sqlite = url.startswith("sqlite")
        self.dialect: Dialect = SQLiteDialect_aiosqlite() if self.sqlite else PGDialect_asyncpg()
        self._conn: aiosqlite.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> None:
        async with self._opening:
            if self._conn is not None or self._pool is not None:
                return
            if self.sqlite:
                path = make_url(self.url).database
                # mode=rw: the file must exist (the app never makes a database by reading).
                conn = await aiosqlite.connect(
                    f"file:{path}?mode=rw", uri=True, isolation_level=None
                )
                for pragma in ("busy_timeout=30000", "foreign_keys=ON", "query_only=ON"):
                    await conn.execute(f"PRAGMA {pragma}")
                if STATEMENT_HOOKS:
                    await conn.set_trace_callback(trace_statement)
                self._conn = conn
            else:
                dsn = make_url(self.url).set(drivername="postgresql")
                context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

                async def init(connection: asyncpg.Connection) -> None:
                    if STATEMENT_HOOKS:
                        connection.add_query_logger(lambda record: trace_statement(record.query))

                async def reset(_connection: asyncpg.Connection) -> None:
                    """Nothing to undo: a read connection takes no locks, cursors, LISTENs or
                    settings, and asyncpg's default reset would be one more round trip."""

                self._pool = await asyncpg.create_pool(
                    dsn.render_as_string(hide_password=False),
                    min_size=1,
                    max_size=10,
                    ssl=context,
                    init=init,
                    reset=reset,
                )

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _arguments(self, compiled: _Compiled, params: dict[str, Any]) -> tuple[str, list[Any]]:
        if compiled.expanding:
            # The text is made once per length of each list (SQLAlchemy names the items of
            # list `x` x_1, x_2, ...), not compiled again for every read.
            lengths = tuple(len(params[name]) for name in compiled.expanding)
            found = compiled.by_length.get(lengths)
            if found is None:
                state = compiled.compiled.construct_expanded_state({**compiled.defaults, **params})
                # The expanded list's own processors, else the statement's (a timestamp beside
                # the list is bound as the engine binds it, not left to the driver's adapter).
                processors = {**compiled.binds, **state.processors}
                recipe = tuple((name, processors.get(name)) for name in state.positiontup or ())
                if len(compiled.by_length) >= 64:
                    compiled.by_length.clear()
                found = compiled.by_length[lengths] = (state.statement, recipe)
            text, recipe = found
            given = {**compiled.defaults, **params}
            for name in compiled.expanding:
                given.update({f"{name}_{i}": v for i, v in enumerate(params[name], 1)})
            return text, [
                process(given[name]) if process else given[name] for name, process in recipe
            ]
        values = []
        for name in compiled.names:
            value = params[name] if name in params else compiled.defaults.get(name)
            bind = compiled.binds.get(name)
            values.append(bind(value) if bind is not None else value)
        return compiled.sql, values

    async def all(self, read: Read, **params: Any) -> list[Any]:
        """Every row of `read`, fetched in one driver call."""
        if self._conn is None and self._pool is None:
            await self._open()
        compiled = read.compiled(self.dialect)
        sql, values = self._arguments(compiled, params)
        if self._conn is not None:
            raw: Any = await self._conn.execute_fetchall(sql, values)
        else:
            assert self._pool is not None
            raw = await self._pool.fetch(sql, *values)
        processors = compiled.results
        make = read.row._make
        return [
            make([p(v) if p is not None else v for p, v in zip(processors, row, strict=True)])
            for row in raw
        ]

    async def first(self, read: Read, **params: Any) -> Any:
        """The first row of `read`, or None."""
        rows = await self.all(read, **params)
        return rows[0] if rows else None

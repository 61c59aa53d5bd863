"""Counting the SQL statements a request costs, at the driver, so a list cannot become N+1
unnoticed and a read that bypasses SQLAlchemy (gql/reader.py) is counted all the same.

    @pytest.fixture(autouse=True)
    def _traced(driver_trace): ...            # before the app opens its connections

    async with assert_statements(1):
        await gql(client, "query { viewer { name } }")

Every connection opened while the trace is on reports what it sends (sqlite3's trace
callback, asyncpg's query logger). Transaction control (BEGIN, COMMIT, ROLLBACK) and
PRAGMAs are left out: the two backends send them differently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from gql.reader import STATEMENT_HOOKS

_LEFT_OUT = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "END"}


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.recording = False

    def __call__(self, sql: str) -> None:
        if not self.recording:
            return
        text = " ".join(sql.split())
        if text.split(" ", 1)[0].rstrip(";").upper() not in _LEFT_OUT:
            self.statements.append(text[:200])

    def __len__(self) -> int:
        return len(self.statements)


@contextmanager
def driver_trace() -> Iterator[StatementLog]:
    """Trace every connection opened from now on (install before the app starts)."""
    log = StatementLog()
    STATEMENT_HOOKS.append(log)
    try:
        yield log
    finally:
        STATEMENT_HOOKS.remove(log)


@asynccontextmanager
async def count_statements(log: StatementLog) -> AsyncIterator[StatementLog]:
    log.statements.clear()
    log.recording = True
    try:
        yield log
    finally:
        log.recording = False


@asynccontextmanager
async def assert_statements(log: StatementLog, expected: int) -> AsyncIterator[StatementLog]:
    """Fail unless the block sends exactly `expected` statements to the database."""
    async with count_statements(log):
        yield log
    assert len(log) == expected, f"{len(log)} statements, expected {expected}:\n" + "\n".join(
        log.statements
    )

"""Counting the SQL statements a request costs, so a list cannot become N+1 unnoticed.

    async with assert_statements(app, 1):
        await gql(client, "query { viewer { name } }")

Counted where SQLAlchemy hands a statement to the driver, for every connection of the app's
engine; transaction control (BEGIN, COMMIT, ROLLBACK) is left out, as the two backends
send it differently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette

_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)


@asynccontextmanager
async def count_statements(app: Starlette) -> AsyncIterator[StatementLog]:
    log = StatementLog()
    engine = app.state.deps.db.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = " ".join(statement.split())
        if text.split(" ", 1)[0].upper() not in _TRANSACTION_CONTROL:
            log.statements.append(text[:200])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)


@asynccontextmanager
async def assert_statements(app: Starlette, expected: int) -> AsyncIterator[StatementLog]:
    """Fail unless the block sends exactly `expected` statements to the database."""
    async with count_statements(app) as log:
        yield log
    assert len(log) == expected, f"{len(log)} statements, expected {expected}:\n" + "\n".join(
        log.statements
    )

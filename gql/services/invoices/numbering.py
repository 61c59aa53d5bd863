"""Invoice numbers: per year of issue (Europe/Amsterdam), from YYYY-000001, without gaps.

The number comes from a counter row per year, raised inside the transaction that writes
the invoice: `UPDATE ... SET last_number = last_number + 1 ... RETURNING` takes the row's
lock (as SELECT ... FOR UPDATE would) and holds it until that transaction ends. A
concurrent issuer, in this process or another, waits for it and then reads the committed
value; an issuer that rolls back gives its number back with everything else. On SQLite the
write transaction (BEGIN IMMEDIATE) already serializes every writer. Never max() + 1: two
readers of one maximum would both take the same number.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.invoices import InvoiceCounter


def invoice_number(year: int, sequence: int) -> str:
    """'2026-000123'."""
    return f"{year}-{sequence:06d}"


async def next_sequence(session: AsyncSession, *, year: int) -> int:
    """The next number of `year`, taken under the counter row's lock until the caller's
    transaction ends (keep what follows it short: every issuer waits for it)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The first invoice of a year makes its row; a concurrent maker waits, then does nothing.
    await session.execute(
        insert(InvoiceCounter).values(year=year, last_number=0).on_conflict_do_nothing()
    )
    taken = await session.execute(
        update(InvoiceCounter)
        .where(col(InvoiceCounter.year) == year)
        .values(last_number=col(InvoiceCounter.last_number) + 1)
        .returning(col(InvoiceCounter.last_number))
        .execution_options(synchronize_session=False)
    )
    return int(taken.scalar_one())

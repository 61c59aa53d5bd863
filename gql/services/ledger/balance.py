"""The balance of private accounts ("tegoed"): an append-only ledger in integer cents.

Every change is one entry and one conditional UPDATE of the balance row in the same
transaction, three times guarded: the rule here, the UPDATE's WHERE (its row count is
checked), and the database's CHECKs (balance >= 0, 0 <= held <= balance). Entries are never
changed or removed (a trigger refuses it); the balance always equals the sum of the entries'
amounts and the held amount the sum of their held deltas.

The available balance is the balance minus what is held for refunds that staff have not
decided yet; orders and new refunds spend only what is available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql import i18n
from gql.models.ledger import Balance, EntryKind, LedgerEntry
from gql.reader import Read
from gql.services.ledger import texts  # noqa: F401  (registers texts)
from gql.services.shared.deps import Deps
from gql.services.shared.errors import DomainError
from gql.services.shared.formatting import format_cents


class InsufficientBalanceError(DomainError):
    description = "The available balance is too low for this; nothing was spent or held."
    code_description = "InsufficientBalance: the available balance is too low."
    message_key = "insufficient_balance"
    data: ClassVar[dict[str, tuple[type, str]]] = {
        "available_cents": (int, "What can be spent now (balance minus what is held), in cents."),
        "required_cents": (int, "What this needs, in cents."),
    }

    def message_params(self, language: str) -> dict[str, object]:
        return {
            "available": format_cents(int(self.params["available_cents"]), language),  # type: ignore[call-overload]
            "required": format_cents(int(self.params["required_cents"]), language),  # type: ignore[call-overload]
        }


@dataclass(frozen=True, slots=True)
class BalanceView:
    balance_cents: int
    held_cents: int

    @property
    def available_cents(self) -> int:
        return self.balance_cents - self.held_cents


def _rows(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def _ensure_row(session: AsyncSession, account_id: int, now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Balance)
        .values(account_id=account_id, balance_cents=0, held_cents=0, updated_at=now)
        .on_conflict_do_nothing()
    )


async def _entry(
    session: AsyncSession,
    *,
    account_id: int,
    kind: EntryKind,
    amount_cents: int = 0,
    held_delta_cents: int = 0,
    now: datetime,
    payment_id: int | None = None,
    refund_id: int | None = None,
    order_id: int | None = None,
) -> None:
    session.add(
        LedgerEntry(
            account_id=account_id,
            kind=kind,
            amount_cents=amount_cents,
            held_delta_cents=held_delta_cents,
            payment_id=payment_id,
            refund_id=refund_id,
            order_id=order_id,
            created_at=now,
        )
    )


async def current(session: AsyncSession, account_id: int) -> BalanceView:
    """The balance inside the caller's transaction (zero before the first entry)."""
    row = (
        await session.execute(
            select(Balance.balance_cents, Balance.held_cents).where(
                Balance.account_id == account_id
            )
        )
    ).first()
    return BalanceView(int(row[0]), int(row[1])) if row else BalanceView(0, 0)


async def credit(
    session: AsyncSession,
    *,
    account_id: int,
    amount_cents: int,
    kind: EntryKind,
    now: datetime,
    payment_id: int | None = None,
    refund_id: int | None = None,
) -> None:
    """Money in: a confirmed top-up, a payout the bank returned, a correction."""
    assert amount_cents > 0
    await _ensure_row(session, account_id, now)
    updated = await session.execute(
        update(Balance)
        .where(col(Balance.account_id) == account_id)
        .values(balance_cents=col(Balance.balance_cents) + amount_cents, updated_at=now)
    )
    assert _rows(updated) == 1
    await _entry(
        session,
        account_id=account_id,
        kind=kind,
        amount_cents=amount_cents,
        now=now,
        payment_id=payment_id,
        refund_id=refund_id,
    )


async def debit(
    session: AsyncSession,
    *,
    account_id: int,
    amount_cents: int,
    kind: EntryKind,
    now: datetime,
    order_id: int | None = None,
) -> None:
    """Spend from the available balance (an order), or raise InsufficientBalanceError."""
    assert amount_cents > 0
    spent = await session.execute(
        update(Balance)
        .where(
            col(Balance.account_id) == account_id,
            col(Balance.balance_cents) - col(Balance.held_cents) >= amount_cents,
        )
        .values(balance_cents=col(Balance.balance_cents) - amount_cents, updated_at=now)
    )
    if _rows(spent) != 1:
        raise await _insufficient(session, account_id, amount_cents)
    await _entry(
        session,
        account_id=account_id,
        kind=kind,
        amount_cents=-amount_cents,
        now=now,
        order_id=order_id,
    )


async def hold(
    session: AsyncSession, *, account_id: int, amount_cents: int, refund_id: int, now: datetime
) -> None:
    """Set part of the available balance aside for a refund request."""
    assert amount_cents > 0
    held = await session.execute(
        update(Balance)
        .where(
            col(Balance.account_id) == account_id,
            col(Balance.balance_cents) - col(Balance.held_cents) >= amount_cents,
        )
        .values(held_cents=col(Balance.held_cents) + amount_cents, updated_at=now)
    )
    if _rows(held) != 1:
        raise await _insufficient(session, account_id, amount_cents, field=("amountCents",))
    await _entry(
        session,
        account_id=account_id,
        kind=EntryKind.REFUND_HOLD,
        held_delta_cents=amount_cents,
        now=now,
        refund_id=refund_id,
    )


async def release(
    session: AsyncSession, *, account_id: int, amount_cents: int, refund_id: int, now: datetime
) -> None:
    """A rejected refund: what was held is available again."""
    released = await session.execute(
        update(Balance)
        .where(col(Balance.account_id) == account_id, col(Balance.held_cents) >= amount_cents)
        .values(held_cents=col(Balance.held_cents) - amount_cents, updated_at=now)
    )
    assert _rows(released) == 1, "a refund's hold is missing"
    await _entry(
        session,
        account_id=account_id,
        kind=EntryKind.HOLD_RELEASE,
        held_delta_cents=-amount_cents,
        now=now,
        refund_id=refund_id,
    )


async def pay_out(
    session: AsyncSession, *, account_id: int, amount_cents: int, refund_id: int, now: datetime
) -> None:
    """An approved refund leaves the balance, together with its hold."""
    paid = await session.execute(
        update(Balance)
        .where(
            col(Balance.account_id) == account_id,
            col(Balance.held_cents) >= amount_cents,
            col(Balance.balance_cents) >= amount_cents,
        )
        .values(
            balance_cents=col(Balance.balance_cents) - amount_cents,
            held_cents=col(Balance.held_cents) - amount_cents,
            updated_at=now,
        )
    )
    assert _rows(paid) == 1, "a refund's hold is missing"
    await _entry(
        session,
        account_id=account_id,
        kind=EntryKind.REFUND_PAYOUT,
        amount_cents=-amount_cents,
        held_delta_cents=-amount_cents,
        now=now,
        refund_id=refund_id,
    )


async def _insufficient(
    session: AsyncSession,
    account_id: int,
    required_cents: int,
    field: tuple[str, ...] | None = None,
) -> InsufficientBalanceError:
    now_balance = await current(session, account_id)
    return InsufficientBalanceError(
        field_path=field,
        available_cents=now_balance.available_cents,
        required_cents=required_cents,
    )


# ---- reading ------------------------------------------------------------------------------

_balance = Balance.__table__  # type: ignore[attr-defined]
_entry_table = LedgerEntry.__table__  # type: ignore[attr-defined]
_BALANCE = Read(
    select(_balance.c.balance_cents, _balance.c.held_cents).where(
        _balance.c.account_id == bindparam("account_id")
    )
)
_ENTRY_COLUMNS = select(
    _entry_table.c.id,
    _entry_table.c.kind,
    _entry_table.c.amount_cents,
    _entry_table.c.held_delta_cents,
    _entry_table.c.payment_id,
    _entry_table.c.refund_id,
    _entry_table.c.order_id,
    _entry_table.c.created_at,
)
_ENTRIES = {
    after: Read(
        _ENTRY_COLUMNS.where(
            _entry_table.c.account_id == bindparam("account_id"),
            *([_entry_table.c.id < bindparam("before_id")] if after else []),
        )
        .order_by(_entry_table.c.id.desc())
        .limit(bindparam("limit"))
    )
    for after in (False, True)
}


_DESCRIPTIONS = {
    EntryKind.TOP_UP: "entry_top_up",
    EntryKind.ORDER: "entry_order",
    EntryKind.REFUND_HOLD: "entry_refund_hold",
    EntryKind.HOLD_RELEASE: "entry_hold_release",
    EntryKind.REFUND_PAYOUT: "entry_refund_payout",
    EntryKind.PAYOUT_RETURNED: "entry_payout_returned",
    EntryKind.CORRECTION: "entry_correction",
}


def describe(kind: EntryKind, language: str) -> str:
    """What an entry records, for people to read."""
    return i18n.text(_DESCRIPTIONS[kind], language)


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    kind: EntryKind
    amount_cents: int
    held_delta_cents: int
    payment_id: int | None
    refund_id: int | None
    order_id: int | None
    created_at: datetime


async def balance_of(deps: Deps, *, account_id: int) -> BalanceView:
    row = await deps.db.reader.first(_BALANCE, account_id=account_id)
    return BalanceView(row.balance_cents, row.held_cents) if row else BalanceView(0, 0)


async def entries(
    deps: Deps, *, account_id: int, before_id: int | None, limit: int
) -> list[EntryView]:
    """The ledger newest first (one statement)."""
    rows = await deps.db.reader.all(
        _ENTRIES[before_id is not None], account_id=account_id, before_id=before_id, limit=limit
    )
    return [EntryView(**row._asdict()) for row in rows]

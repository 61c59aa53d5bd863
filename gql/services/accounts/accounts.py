"""Accounts: the one way an account is made, and how one is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.accounts import Account, PaymentMethod, Usage
from gql.reader import Read
from gql.services.accounts import access_codes
from gql.services.shared.deps import Deps
from gql.services.shared.validation import normalize_email


@dataclass(frozen=True, slots=True)
class AccountView:
    """What a client may read of an account (never its hash or TOTP secret)."""

    id: int
    access_code: str
    usage: Usage
    name: str
    email: str
    kvk_number: str | None
    is_main_user: bool


def view_of(account: Account) -> AccountView:
    assert account.id is not None
    return AccountView(
        id=account.id,
        access_code=account.access_code,
        usage=Usage(account.usage),
        name=account.name,
        email=account.email,
        kvk_number=account.kvk_number,
        is_main_user=account.is_main_user,
    )


async def new_unique_code(session: AsyncSession) -> str:
    """A fresh access code that no account has had."""
    while True:
        code = access_codes.generate()
        taken = await session.scalar(select(func.count()).where(Account.access_code == code))
        if not taken:
            return code


async def new_account(
    session: AsyncSession,
    *,
    usage: Usage,
    name: str,
    email: str,
    password_hash: str,
    now: datetime,
    language: str = "nl",
    kvk_number: str | None = None,
    is_main_user: bool = False,
    sealed_totp_secret: str | None = None,
    access_code: str | None = None,
) -> Account:
    """Add an active account with a new unique access code (or the given one) and flush it.

    The only place an Account row is made: services, demo data, tests and the benchmark.
    """
    account = Account(
        access_code=access_code or await new_unique_code(session),
        usage=usage,
        name=name,
        email=email,
        email_normalized=normalize_email(email),
        kvk_number=kvk_number,
        is_main_user=is_main_user,
        # An organisation pays by its direct-debit mandate; a private account starts on its
        # balance and may switch.
        payment_method=PaymentMethod.DIRECT_DEBIT
        if usage == Usage.BUSINESS
        else PaymentMethod.BALANCE,
        password_hash=password_hash,
        language=language,
        totp_secret=sealed_totp_secret,
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    await session.flush()
    return account


async def active_business_codes(
    session: AsyncSession, *, email_normalized: str, kvk_number: str
) -> int:
    """How many active business codes this person (e-mail) holds for this organisation."""
    return int(
        await session.scalar(
            select(func.count()).where(
                Account.email_normalized == email_normalized,
                Account.kvk_number == kvk_number,
                col(Account.active).is_(True),
            )
        )
        or 0
    )


async def get_account(deps: Deps, *, account_id: int) -> AccountView | None:
    async with deps.db.read() as session:
        account = await session.get(Account, account_id)
        return view_of(account) if account else None


_account_table = Account.__table__  # type: ignore[attr-defined]
_NAMES = Read(
    select(_account_table.c.id, _account_table.c.name, _account_table.c.access_code).where(
        _account_table.c.id.in_(bindparam("ids", expanding=True))
    )
)


async def display_names(deps: Deps, *, account_ids: list[int]) -> dict[int, str]:
    """ "Name (access code)" of accounts by id, in one statement (a DataLoader batch)."""
    rows = await deps.db.reader.all(_NAMES, ids=account_ids)
    return {row.id: f"{row.name} ({access_codes.display(row.access_code)})" for row in rows}

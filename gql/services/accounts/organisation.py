"""Roles inside an organisation: staff deactivate the code of a person who left and name the
organisation's main user (SPEC §2).

Decisions:
- The main user cannot be deactivated while the organisation has another active code: staff
  name the successor first (`staff_make_main_user`), so an organisation never silently loses
  the code that sees every order and invoice and changes the mandate. Its last active code may
  go: the organisation then has none, and the next approved request becomes its main user
  (`applications.approve_request` counts active main users).
- A deactivated code holds no role: `is_main_user` is cleared with `active`, so nothing that
  forgets the `active` filter mistakes a former employee for the main user.
- Every role change of an organisation runs under the row lock of its company, taken before
  any account row is written (as approvals do): two at once run one after the other on
  PostgreSQL (SQLite has one writer anyway), and lock the same rows in the same order. The
  partial unique index `uq_account_main_user` refuses a second active main user whatever
  happens.
- Who is told: the organisation, at its registered e-mail address (SPEC §2), or by letter to
  its registered postal address when the register has none. A deactivated code's holder is
  told too: the code was their credential, and every change of a credential is confirmed to
  its holder (SPEC §3.1); a mistaken or malicious deactivation is then noticed by the person
  it hurts. Not when the holder's address is the register's: one mail says it. Naming a main
  user changes no one's credential, so only the organisation is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql import i18n
from gql.models.accounts import Account, Usage
from gql.models.register import Company
from gql.reader import Read
from gql.services import register
from gql.services.accounts import access_codes, mails, sessions, texts  # noqa: F401
from gql.services.accounts.applications import emails_match
from gql.services.accounts.credentials import revoke_tokens
from gql.services.shared import audit, outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import InvalidStateError, NotFoundError, raises
from gql.services.shared.formatting import format_moment

# The register keeps no language for an organisation: it is written to in Dutch.
ORGANISATION_LANGUAGE = "nl"
_FIELD = ("accountId",)


@dataclass(frozen=True, slots=True)
class CodeView:
    """An access code of an organisation as staff see it: the code itself masked."""

    id: int
    name: str
    email: str
    masked_code: str
    kvk_number: str
    is_main_user: bool
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MainUserChange:
    """The new main user, and the one it replaced (None when the organisation had none)."""

    account: CodeView
    previous: CodeView | None


def _view(row: Any) -> CodeView:
    """From an Account or a row of `_CODES`: both carry the columns' names."""
    return CodeView(
        id=row.id,
        name=row.name,
        email=row.email,
        masked_code=access_codes.masked(row.access_code),
        kvk_number=row.kvk_number,
        is_main_user=row.is_main_user,
        active=row.active,
        created_at=row.created_at,
    )


_account = Account.__table__  # type: ignore[attr-defined]
# One statement on the read connection (gql/reader.py), oldest first: the first is the one
# that became the main user, unless staff named another.
_CODES = Read(
    select(
        _account.c.id,
        _account.c.name,
        _account.c.email,
        _account.c.access_code,
        _account.c.kvk_number,
        _account.c.is_main_user,
        _account.c.active,
        _account.c.created_at,
    )
    .where(_account.c.kvk_number == bindparam("kvk_number"))
    .order_by(_account.c.id)
)


async def list_codes(deps: Deps, *, kvk_number: str) -> list[CodeView]:
    """Every access code of the organisation, active and deactivated, oldest first."""
    rows = await deps.db.reader.all(_CODES, kvk_number=kvk_number.strip())
    return [_view(row) for row in rows]


async def _locked_code(session: AsyncSession, account_id: int) -> tuple[Account, Company]:
    """The business account, read again after its organisation's company row is locked."""
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFoundError(field_path=_FIELD)
    if account.usage != Usage.BUSINESS or account.kvk_number is None:
        raise InvalidStateError(field_path=_FIELD, message_key="not_a_business_code")
    company = await register.get_company(session, account.kvk_number, lock=True)
    assert company is not None
    # Another role change of this organisation may have committed while this one waited for
    # the lock (PostgreSQL, READ COMMITTED): decide on what is stored now.
    await session.refresh(account)
    return account, company


async def _other_active_codes(session: AsyncSession, account: Account) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                Account.kvk_number == account.kvk_number,
                col(Account.active).is_(True),
                Account.id != account.id,
            )
        )
        or 0
    )


async def _tell_organisation(
    deps: Deps,
    session: AsyncSession,
    company: Company,
    *,
    template: str,
    params: dict[str, object],
    now: datetime,
) -> None:
    """By e-mail to the registered address, else by letter to the registered postal address."""
    params = {"company_name": company.name, "kvk_number": company.kvk_number, **params}
    if company.email:
        await outbox.enqueue_email(
            session,
            to=company.email,
            template=template,
            language=ORGANISATION_LANGUAGE,
            params=params,
            now=now,
            settings=deps.settings,
        )
        return
    await outbox.enqueue_letter(
        session,
        addressee=i18n.text("organisation_addressee", ORGANISATION_LANGUAGE),
        address_lines=register.postal_address_lines(company),
        template=template,
        language=ORGANISATION_LANGUAGE,
        params=params,
        now=now,
        settings=deps.settings,
    )


@raises(NotFoundError, InvalidStateError)
async def staff_deactivate_access_code(deps: Deps, *, caller: Caller, account_id: int) -> CodeView:
    """Stop a business code at once: no sign-in, every session ended, open links voided."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        account, company = await _locked_code(session, account_id)
        assert account.id is not None
        if not account.active:
            raise InvalidStateError(field_path=_FIELD, message_key="code_already_inactive")
        was_main_user = account.is_main_user
        if was_main_user and await _other_active_codes(session, account):
            raise InvalidStateError(field_path=_FIELD, message_key="main_user_needs_successor")
        account.active = False
        account.is_main_user = False
        await session.flush()
        await sessions.end_all(session, account_id=account.id, now=now)
        await revoke_tokens(session, account_id=account.id, now=now)
        masked = access_codes.masked(account.access_code)
        await _tell_organisation(
            deps,
            session,
            company,
            template="organisation_code_deactivated",
            params={
                "masked_code": masked,
                "holder_name": account.name,
                "at": format_moment(now, ORGANISATION_LANGUAGE),
                "note": i18n.text("last_code_deactivated", ORGANISATION_LANGUAGE)
                if was_main_user
                else "",
            },
            now=now,
        )
        if not emails_match(account.email, company.email):
            await outbox.mail_account(
                session,
                account=account,
                template="access_code_deactivated",
                params={
                    "masked_code": masked,
                    "company_name": company.name,
                    "at": format_moment(now, account.language),
                },
                now=now,
                settings=deps.settings,
            )
        await audit.record(
            session,
            caller=caller,
            action="account.deactivated",
            subject=f"account:{account.id}",
            details=f"kvk {company.kvk_number}; was main user: {'yes' if was_main_user else 'no'}",
            now=now,
        )
        view = _view(account)
        await session.commit()
        return view


@raises(NotFoundError, InvalidStateError)
async def staff_make_main_user(deps: Deps, *, caller: Caller, account_id: int) -> MainUserChange:
    """Name an active business code the organisation's main user; the previous one is no more."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        account, company = await _locked_code(session, account_id)
        if not account.active:
            raise InvalidStateError(field_path=_FIELD, message_key="code_inactive")
        if account.is_main_user:
            raise InvalidStateError(field_path=_FIELD, message_key="already_main_user")
        previous = await session.scalar(
            select(Account).where(
                Account.kvk_number == company.kvk_number,
                col(Account.is_main_user).is_(True),
                col(Account.active).is_(True),
            )
        )
        if previous is not None:
            previous.is_main_user = False
            # Written first, on its own: the unique index is checked per statement, and one
            # flush would order the two updates by primary key, not as meant here.
            await session.flush()
        account.is_main_user = True
        await session.flush()
        await _tell_organisation(
            deps,
            session,
            company,
            template="organisation_main_user_changed",
            params={
                "masked_code": access_codes.masked(account.access_code),
                "holder_name": account.name,
                "at": format_moment(now, ORGANISATION_LANGUAGE),
                "previous": i18n.text(
                    "previous_main_user",
                    ORGANISATION_LANGUAGE,
                    masked_code=access_codes.masked(previous.access_code),
                    name=previous.name,
                )
                if previous is not None
                else "",
            },
            now=now,
        )
        await audit.record(
            session,
            caller=caller,
            action="account.made_main_user",
            subject=f"account:{account.id}",
            details=f"kvk {company.kvk_number}; previous main user: "
            + (f"account {previous.id}" if previous is not None else "none"),
            now=now,
        )
        change = MainUserChange(_view(account), _view(previous) if previous else None)
        await session.commit()
        return change

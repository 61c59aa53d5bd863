"""Digital invoices (seed: "Nooit meer een factuur kwijtraken? Kies voor digitale facturen")
and a changed invoice e-mail address ("Meld het nieuwe en oude e-mailadres en je
KVK-nummer").

Only the organisation's main user asks for either (others: FORBIDDEN). A change needs the
old address (the current one), the new one and the KVK number, all matching the
organisation; anything else is one neutral InvoiceEmailMismatch that does not say which
part differs, and nothing changes. Both send a confirmation: to the new address and to the
account, and for a change to the new and the old address, naming both and the KVK number.
Each request is counted against the mail limits (per target, per client address) before
anything else, so guesses are limited too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gql.models.accounts import Account, Usage
from gql.models.invoices import InvoiceEmail
from gql.models.register import Company
from gql.services.invoices import texts  # noqa: F401  (registers texts and mails)
from gql.services.invoices.reading import DeliveryView, delivery_of
from gql.services.shared import outbox, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    DomainError,
    ForbiddenError,
    InvalidInputError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_moment
from gql.services.shared.validation import email_field, mailbox_key, normalize_email


class InvoiceEmailMismatchError(DomainError):
    description = (
        "The old invoice e-mail address, the KVK number or both do not match the "
        "organisation's digital invoices. Deliberately does not say which; nothing changed."
    )
    code_description = "InvoiceEmailMismatch: the details do not match the organisation."
    message_key = "invoice_email_mismatch"


async def main_user(deps: Deps, caller: Caller) -> Account:
    """The signed-in main user of an organisation; FORBIDDEN for anyone else."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None or not account.active:
        raise UnauthenticatedError()
    if account.usage != Usage.BUSINESS or not account.is_main_user:
        raise ForbiddenError()
    return account


async def _count_mail(deps: Deps, caller: Caller, target: str) -> None:
    """Counted in a transaction of its own: a refused or mismatching request counts too."""
    async with deps.db.write() as session:
        await throttle.hit_mail_limits(
            session, deps, target=mailbox_key(target), client_ip=caller.client_ip
        )
        await session.commit()


@raises(InvalidInputError)
async def request_digital_invoices(deps: Deps, *, caller: Caller, email: str) -> DeliveryView:
    """From now on the organisation's invoices go by e-mail to `email` (not by post)."""
    account = await main_user(deps, caller)
    problems = Problems()
    address = email_field(problems, "email", email)
    problems.raise_if_any()
    await _count_mail(deps, caller, address)
    kvk = account.kvk_number
    assert kvk is not None and account.id is not None
    now = deps.clock.now()
    for attempt in range(2):
        try:
            await _set_digital(deps, account, kvk, address, now)
            break
        except IntegrityError:
            # Two first requests at once: the other made the row; this one updates it.
            if attempt:
                raise
    return await delivery_of(deps, kvk_number=kvk)


async def _set_digital(deps: Deps, account: Account, kvk: str, address: str, now: datetime) -> None:
    """Record the address (made or changed) and queue both confirmations, in one transaction."""
    assert account.id is not None
    async with deps.db.write() as session:
        company = await session.get(Company, kvk)
        assert company is not None
        digital = await session.get(InvoiceEmail, kvk, with_for_update=True)
        if digital is None:
            session.add(
                InvoiceEmail(
                    kvk_number=kvk,
                    email=address,
                    requested_at=now,
                    changed_at=now,
                    changed_by_id=account.id,
                )
            )
        else:
            digital.email, digital.changed_at, digital.changed_by_id = address, now, account.id
        params = {
            "company": company.name,
            "kvk_number": kvk,
            "email": address,
            "at": format_moment(now, account.language),
        }
        for to in _distinct(address, account.email):
            await _confirm(session, deps, account, to, "digital_invoices_confirmed", params, now)
        await session.commit()


@raises(InvalidInputError, InvoiceEmailMismatchError)
async def change_invoice_email(
    deps: Deps, *, caller: Caller, old_email: str, new_email: str, kvk_number: str
) -> DeliveryView:
    """Digital invoices go to `new_email` from now on, if all three match the organisation."""
    account = await main_user(deps, caller)
    problems = Problems()
    new_address = email_field(problems, "newEmail", new_email)
    problems.raise_if_any()
    await _count_mail(deps, caller, new_address)
    kvk = account.kvk_number
    assert kvk is not None and account.id is not None
    now = deps.clock.now()
    async with deps.db.write() as session:
        digital = await session.get(InvoiceEmail, kvk, with_for_update=True)
        # One answer for every mismatch, whichever part it is (and for post invoices).
        matches = (
            digital is not None
            and normalize_email(old_email) == normalize_email(digital.email)
            and kvk_number.strip() == kvk
        )
        if not matches or digital is None:
            raise InvoiceEmailMismatchError()
        old_address = digital.email
        company = await session.get(Company, kvk)
        assert company is not None
        digital.email, digital.changed_at, digital.changed_by_id = new_address, now, account.id
        params = {
            "company": company.name,
            "kvk_number": kvk,
            "new_email": new_address,
            "old_email": old_address,
            "at": format_moment(now, account.language),
        }
        for to in _distinct(new_address, old_address):
            await _confirm(session, deps, account, to, "invoice_email_changed", params, now)
        await session.commit()
    return await delivery_of(deps, kvk_number=kvk)


def _distinct(*addresses: str) -> list[str]:
    """Each mailbox once, in the order given."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(normalize_email(address), address)
    return list(seen.values())


async def _confirm(
    session: AsyncSession,
    deps: Deps,
    account: Account,
    to: str,
    template: str,
    params: dict[str, object],
    now: datetime,
) -> None:
    await outbox.enqueue_email(
        session,
        to=to,
        template=template,
        language=account.language,
        params={"name": account.name, **params},
        now=now,
        settings=deps.settings,
        account_id=account.id,
    )

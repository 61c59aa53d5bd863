"""The payment method of an account: its balance, or SEPA direct debit on a signed mandate.

A private account chooses; it may switch to direct debit (a new mandate) and back to its
balance. A business account always pays by its organisation's mandate, which only the main
user changes. A new IBAN is a new mandate for new orders; an invoice already sent is
collected on the mandate printed on it. Every change is confirmed by a "was this you?" mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from gql.models.accounts import Account, PaymentMethod, Usage
from gql.models.mandates import DirectDebitMandate
from gql.models.register import Company
from gql.services import mandates
from gql.services.payments import texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_moment


@dataclass(frozen=True, slots=True)
class MandateView:
    reference: str
    iban_masked: str
    account_holder: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentMethodView:
    method: PaymentMethod
    mandate: MandateView | None
    #: Whether this code may change it (private accounts; an organisation's main user).
    can_change: bool


def _mandate_view(mandate: DirectDebitMandate | None) -> MandateView | None:
    if mandate is None:
        return None
    return MandateView(
        reference=mandate.reference,
        iban_masked=mandates.mask_iban(mandate.iban),
        account_holder=mandate.account_holder,
        signed_at=mandate.signed_at,
    )


def _may_change(account: Account) -> bool:
    return account.usage == Usage.PRIVATE or (
        account.usage == Usage.BUSINESS and account.is_main_user
    )


def _owner(account: Account) -> dict[str, object]:
    if account.usage == Usage.BUSINESS:
        return {"kvk_number": account.kvk_number}
    return {"account_id": account.id}


async def payment_method_of(deps: Deps, *, caller: Caller) -> PaymentMethodView | None:
    """The signed-in account's method and the mandate new orders are collected on."""
    if caller.account_id is None or caller.is_staff:
        return None
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
        if account is None or account.usage == Usage.STAFF:
            return None
        mandate = await mandates.active_mandate(session, **_owner(account))  # type: ignore[arg-type]
        return PaymentMethodView(
            method=PaymentMethod(account.payment_method),
            mandate=_mandate_view(mandate),
            can_change=_may_change(account),
        )


@raises(InvalidInputError)
async def change_payment_method(
    deps: Deps,
    *,
    caller: Caller,
    method: PaymentMethod,
    mandate: mandates.MandateInput | None,
) -> PaymentMethodView:
    """Switch to direct debit on a new mandate, or (private accounts) back to the balance."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    now = deps.clock.now()
    async with deps.db.write() as session:
        account = await session.get(Account, caller.account_id, with_for_update=True)
        if account is None or not account.active:
            raise UnauthenticatedError()
        if not _may_change(account):
            raise ForbiddenError()  # staff, and an organisation's other codes
        problems = Problems()
        clean = None
        if method == PaymentMethod.DIRECT_DEBIT:
            if mandate is None:
                problems.add("mandate", "required")
            else:
                clean = mandates.validate_mandate(problems, mandate, field="mandate")
        elif account.usage == Usage.BUSINESS:
            problems.add("method", "business_pays_by_direct_debit")
        elif mandate is not None:
            problems.add("mandate", "mandate_only_for_direct_debit")
        problems.raise_if_any()
        owner = _owner(account)
        company = None
        if account.usage == Usage.BUSINESS:
            # One change at a time per organisation (PostgreSQL; SQLite writes one at a time).
            company = (
                await session.execute(
                    select(Company)
                    .where(Company.kvk_number == account.kvk_number)
                    .with_for_update()
                )
            ).scalar_one()
        current = await mandates.active_mandate(session, **owner)  # type: ignore[arg-type]
        if clean is None:
            if account.payment_method == PaymentMethod.BALANCE:
                return PaymentMethodView(PaymentMethod.BALANCE, None, True)
            await mandates.end_mandate(session, account_id=account.id)  # type: ignore[arg-type]
            account.payment_method = PaymentMethod.BALANCE
            await outbox.mail_account(
                session,
                account=account,
                template="payment_method_balance",
                params={"at": format_moment(now, account.language)},
                now=now,
                settings=deps.settings,
            )
            await session.commit()
            return PaymentMethodView(PaymentMethod.BALANCE, None, True)
        if (
            current is not None
            and account.payment_method == PaymentMethod.DIRECT_DEBIT
            and (current.iban, current.account_holder) == (clean.iban, clean.account_holder)
        ):
            # The same mandate again: nothing changes, nothing to confirm.
            return PaymentMethodView(PaymentMethod.DIRECT_DEBIT, _mandate_view(current), True)
        signed = await mandates.sign_mandate(
            session,
            iban=clean.iban,
            account_holder=clean.account_holder,
            now=now,
            **owner,  # type: ignore[arg-type]
        )
        account.payment_method = PaymentMethod.DIRECT_DEBIT
        await outbox.mail_account(
            session,
            account=account,
            template="payment_method_changed",
            params={
                "holder_text": company.name if company else account.name,
                "iban_masked": mandates.mask_iban(signed.iban),
                "reference": signed.reference,
                "at": format_moment(now, account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
        return PaymentMethodView(PaymentMethod.DIRECT_DEBIT, _mandate_view(signed), True)

"""Refunds ("retourformulier"): unused balance asked back, held at once, decided by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql.models.accounts import Account, Usage
from gql.models.ledger import RefundRequest, RefundStatus
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.services import mandates
from gql.services.ledger import balance, texts  # noqa: F401  (registers texts and mails)
from gql.services.ledger.balance import InsufficientBalanceError
from gql.services.shared import audit, outbox
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_cents, format_moment
from gql.services.shared.validation import text_field


@dataclass(frozen=True, slots=True)
class RefundView:
    id: int
    account_id: int
    amount_cents: int
    iban: str | None
    iban_masked: str | None
    account_holder: str | None
    reason: str | None
    status: RefundStatus
    requested_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    #: Staff: whether a top-up into this balance was ever paid from this IBAN.
    iban_funded_balance: bool
    #: Staff: whose request it is.
    requested_by: str


async def private_account(deps: Deps, caller: Caller) -> Account:
    """The signed-in private account (a balance is theirs only)."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None or not account.active:
        raise UnauthenticatedError()
    if account.usage != Usage.PRIVATE:
        raise ForbiddenError()
    return account


@raises(InvalidInputError, InsufficientBalanceError)
async def request_refund(
    deps: Deps,
    *,
    caller: Caller,
    amount_cents: int,
    iban: str,
    account_holder: str,
    reason: str,
) -> RefundView:
    """Hold the amount at once and ask staff to pay it out; a "was this you?" mail goes out."""
    account = await private_account(deps, caller)
    problems = Problems()
    if amount_cents <= 0:
        problems.add("amountCents", "amount_positive")
    clean_iban = mandates.iban_field(problems, "iban", iban)
    holder = text_field(problems, "accountHolder", account_holder, maximum=200)
    cleaned_reason = text_field(problems, "reason", reason, maximum=500) if reason.strip() else ""
    problems.raise_if_any()
    now = deps.clock.now()
    assert account.id is not None
    async with deps.db.write() as session:
        refund = RefundRequest(
            account_id=account.id,
            amount_cents=amount_cents,
            iban=clean_iban,
            account_holder=holder,
            reason=cleaned_reason or None,
            requested_at=now,
        )
        session.add(refund)
        await session.flush()
        assert refund.id is not None
        await balance.hold(
            session, account_id=account.id, amount_cents=amount_cents, refund_id=refund.id, now=now
        )
        await outbox.mail_account(
            session,
            account=account,
            template="refund_requested",
            params={
                "amount": format_cents(amount_cents, account.language),
                "iban_masked": mandates.mask_iban(clean_iban),
                "holder": holder,
                "at": format_moment(now, account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
        return await _view(session, refund)


def _funded_by_iban() -> Any:
    """Whether a top-up into the request's balance was ever paid from the request's IBAN."""
    return (
        exists()
        .where(
            Payment.account_id == RefundRequest.account_id,
            Payment.purpose == PaymentPurpose.TOP_UP,
            Payment.status == PaymentState.PAID,
            Payment.payer_iban == RefundRequest.iban,
        )
        .correlate(RefundRequest)
        .label("funded")
    )


def _to_view(refund: RefundRequest, funded: bool, name: str, access_code: str) -> RefundView:
    assert refund.id is not None
    return RefundView(
        id=refund.id,
        account_id=refund.account_id,
        amount_cents=refund.amount_cents,
        iban=refund.iban,
        iban_masked=mandates.mask_iban(refund.iban) if refund.iban else None,
        account_holder=refund.account_holder,
        reason=refund.reason,
        status=RefundStatus(refund.status),
        requested_at=refund.requested_at,
        decided_at=refund.decided_at,
        rejection_reason=refund.rejection_reason,
        iban_funded_balance=bool(funded),
        requested_by=f"{name} ({access_code})",
    )


def _select() -> Any:
    return select(RefundRequest, _funded_by_iban(), Account.name, Account.access_code).join(
        Account, Account.id == RefundRequest.account_id
    )


async def _view(session: AsyncSession, refund: RefundRequest) -> RefundView:
    row = (await session.execute(_select().where(RefundRequest.id == refund.id))).one()
    return _to_view(*row)


async def _decidable(session: AsyncSession, refund_id: int) -> tuple[RefundRequest, Account]:
    refund = await session.get(RefundRequest, refund_id, with_for_update=True)
    if refund is None:
        raise NotFoundError(field_path=("refundId",))
    if refund.status != RefundStatus.REQUESTED:
        raise InvalidStateError(field_path=("refundId",), message_key="refund_already_decided")
    account = await session.get(Account, refund.account_id)
    assert account is not None
    return refund, account


@raises(NotFoundError, InvalidStateError)
async def approve_refund(deps: Deps, *, caller: Caller, refund_id: int) -> RefundView:
    """Pay the held amount out of the balance; it is then "approved, to be paid out" (the
    bank's credit-transfer file takes it from there)."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        refund, account = await _decidable(session, refund_id)
        assert refund.id is not None and account.id is not None
        await balance.pay_out(
            session,
            account_id=account.id,
            amount_cents=refund.amount_cents,
            refund_id=refund.id,
            now=now,
        )
        refund.status = RefundStatus.APPROVED
        refund.decided_at = now
        refund.decided_by_id = caller.account_id
        await outbox.mail_account(
            session,
            account=account,
            template="refund_approved",
            params={
                "amount": format_cents(refund.amount_cents, account.language),
                "iban_masked": mandates.mask_iban(refund.iban or ""),
            },
            now=now,
            settings=deps.settings,
        )
        await audit.record(
            session,
            caller=caller,
            action="refund.approved",
            subject=f"refund_request:{refund.id}",
            details=f"account {account.id}; {refund.amount_cents} cents",
            now=now,
        )
        await session.commit()
        return await _view(session, refund)


@raises(NotFoundError, InvalidStateError, InvalidInputError)
async def reject_refund(deps: Deps, *, caller: Caller, refund_id: int, reason: str) -> RefundView:
    """Release the hold and tell the customer why (the reason stays on the request)."""
    problems = Problems()
    cleaned = text_field(problems, "reason", reason, maximum=500)
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.write() as session:
        refund, account = await _decidable(session, refund_id)
        assert refund.id is not None and account.id is not None
        await balance.release(
            session,
            account_id=account.id,
            amount_cents=refund.amount_cents,
            refund_id=refund.id,
            now=now,
        )
        refund.status = RefundStatus.REJECTED
        refund.decided_at = now
        refund.decided_by_id = caller.account_id
        refund.rejection_reason = cleaned
        await outbox.mail_account(
            session,
            account=account,
            template="refund_rejected",
            params={
                "amount": format_cents(refund.amount_cents, account.language),
                "reason": cleaned,
            },
            now=now,
            settings=deps.settings,
        )
        await audit.record(
            session,
            caller=caller,
            action="refund.rejected",
            subject=f"refund_request:{refund.id}",
            details=f"account {account.id}; {refund.amount_cents} cents; "
            "reason: see rejection_reason of the request",
            now=now,
        )
        await session.commit()
        return await _view(session, refund)


# ---- reading ------------------------------------------------------------------------------


async def list_refunds(
    deps: Deps,
    *,
    account_id: int | None,
    status: RefundStatus | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[RefundView]:
    """Newest first, one statement: one account's (the customer), or everyone's (staff)."""
    query = _select().order_by(RefundRequest.id.desc()).limit(limit)  # type: ignore[union-attr]
    if account_id is not None:
        query = query.where(RefundRequest.account_id == account_id)
    if status is not None:
        query = query.where(RefundRequest.status == status)
    if before_id is not None:
        query = query.where(RefundRequest.id < before_id)
    async with deps.db.read() as session:
        return [_to_view(*row) for row in (await session.execute(query)).all()]


async def get_refund(deps: Deps, *, caller: Caller, refund_id: int) -> RefundView | None:
    """A request for its own account or for staff; None otherwise (like an unknown id)."""
    if caller.account_id is None:
        return None
    query = _select().where(RefundRequest.id == refund_id)
    if not caller.is_staff:
        query = query.where(RefundRequest.account_id == caller.account_id)
    async with deps.db.read() as session:
        row = (await session.execute(query)).one_or_none()
    return _to_view(*row) if row else None

"""Top-up invoices: every confirmed top-up gets one, already paid, e-mailed to the account.

It is issued in the transaction that settles the payment (a settlement of the payments
domain), inside a savepoint: a failure to invoice never keeps money received from being
credited. Such a top-up stays "to be invoiced" (`payment.invoice_id` empty) and the
worker's hourly sweep issues its invoice; so does it for top-ups confirmed before invoices
existed. Two issuers of one top-up never both succeed: `payment.invoice_id` is set only
while empty and `invoice.payment_id` is unique.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql import i18n
from gql.models.accounts import Account
from gql.models.invoices import Invoice, InvoiceKind
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.services.invoices import issuing
from gql.services.payments.payments import Settlement, register_settlement
from gql.services.shared.deps import Deps
from gql.services.shared.formatting import local_date

log = logging.getLogger("toegang.invoices")


class _InvoicedAlreadyError(Exception):
    """Another issuer linked an invoice to the payment first."""


async def invoice_top_up(
    session: AsyncSession, deps: Deps, payment: Payment, now: datetime, *, paid_at: datetime
) -> Invoice | None:
    """Issue the invoice of a paid top-up in the caller's transaction (None: it has one)."""
    assert payment.id is not None and payment.account_id is not None
    if payment.invoice_id is not None:
        return None
    account = await session.get(Account, payment.account_id)
    assert account is not None
    invoice = await issuing.issue(
        session,
        deps,
        kind=InvoiceKind.TOP_UP,
        payer=issuing.account_payer(account),
        lines=[
            issuing.NewLine(
                description=i18n.text("invoice_line_top_up", account.language),
                service_date=local_date(paid_at),
                amount_cents=payment.amount_cents,
            )
        ],
        now=now,
        payment=issuing.OnlinePayment(id=payment.id, method=payment.method, paid_at=paid_at),
    )
    linked = await session.execute(
        update(Payment)
        .where(col(Payment.id) == payment.id, col(Payment.invoice_id).is_(None))
        .values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)
    )
    if int(cast(CursorResult[Any], linked).rowcount or 0) != 1:
        raise _InvoicedAlreadyError()
    return invoice


async def _settled(
    session: AsyncSession, deps: Deps, payment: Payment, state: PaymentState, now: datetime
) -> None:
    """A top-up confirmed: its invoice, unless invoicing fails (the sweep tries again)."""
    if state != PaymentState.PAID:
        return
    try:
        async with session.begin_nested():
            # Paid now: the row this session loaded still has the settlement before, if any.
            await invoice_top_up(session, deps, payment, now, paid_at=now)
    except Exception:
        log.exception("payment %s: top-up invoice not issued now; the sweep will", payment.id)


register_settlement(PaymentPurpose.TOP_UP, Settlement(_settled))


async def issue_top_up_invoice(deps: Deps, *, payment_id: int) -> Invoice | None:
    """The invoice of one paid top-up that has none yet, in a transaction of its own."""
    now = deps.clock.now()
    try:
        async with deps.db.write() as session:
            payment = (
                await session.execute(
                    select(Payment).where(col(Payment.id) == payment_id).with_for_update()
                )
            ).scalar_one_or_none()
            if (
                payment is None
                or payment.purpose != PaymentPurpose.TOP_UP
                or payment.status != PaymentState.PAID
            ):
                return None
            invoice = await invoice_top_up(
                session, deps, payment, now, paid_at=payment.settled_at or now
            )
            await session.commit()
            return invoice
    except (IntegrityError, _InvoicedAlreadyError):
        # Another issuer was first; its invoice stands.
        return None


async def issue_missing_top_up_invoices(deps: Deps, *, now: datetime, limit: int = 50) -> int:
    """The worker (hourly): paid top-ups still without an invoice get theirs."""
    async with deps.db.read() as session:
        ids = list(
            (
                await session.execute(
                    select(col(Payment.id))
                    .where(
                        col(Payment.purpose) == PaymentPurpose.TOP_UP,
                        col(Payment.status) == PaymentState.PAID,
                        col(Payment.invoice_id).is_(None),
                    )
                    .order_by(col(Payment.id))
                    .limit(limit)
                )
            ).scalars()
        )
    issued = 0
    for payment_id in ids:
        try:
            issued += await issue_top_up_invoice(deps, payment_id=payment_id) is not None
        except Exception:
            log.exception("payment %s: issuing its top-up invoice failed", payment_id)
    if issued:
        log.info("issued %d top-up invoice(s) that were missing", issued)
    return issued

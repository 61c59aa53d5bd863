"""Payments at the payment provider: starting them, and settling them when the provider says.

The balance rises only when the provider confirms. The provider's webhook says only which
payment changed; the app then asks the provider for its status (so a forged, replayed or
reordered webhook can at worst make the app ask), and the worker asks too for payments left
open too long, so a payment whose webhooks were all lost is settled anyway. A payment moves
out of OPEN once; PAID is final (money received is always credited, even after the app had
seen it expire or fail), and nothing ever moves a payment back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, or_, select, update
from sqlmodel import col

from gql.models.accounts import Account
from gql.models.ledger import EntryKind
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.psp.port import PaymentMethod as OnlineMethod
from gql.psp.port import PaymentStatus, ProviderStatus
from gql.reader import Read
from gql.services.ledger import balance
from gql.services.payments import texts  # noqa: F401  (registers texts and mails)
from gql.services.shared import outbox
from gql.services.shared.deps import Deps
from gql.services.shared.errors import DomainError
from gql.services.shared.formatting import format_cents, format_moment

log = logging.getLogger("toegang.payments")

#: A payment still open after this is asked about at the provider by the worker…
ASK_AFTER = timedelta(minutes=5)
#: …at most once per this interval.
ASK_EVERY = timedelta(minutes=1)
# A client (or the return page) reading an open payment asks at most this often.
ASK_WHEN_READ = timedelta(seconds=5)


class PaymentProviderUnavailableError(DomainError):
    description = (
        "The payment provider could not be reached; nothing was charged. Try again in a few "
        "minutes (with the same idempotency key)."
    )
    code_description = "PaymentProviderUnavailable: the payment provider could not be reached."
    message_key = "payment_provider_unavailable"


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a payment's purpose does when it settles: `in_transaction(session, deps, payment,
    state, now)` with the payment's change, and `after_commit(deps, payment_id, state)`."""

    in_transaction: Callable[[Any, Deps, Payment, PaymentState, datetime], Awaitable[None]]
    after_commit: Callable[[Deps, int, PaymentState], Awaitable[None]] | None = None


SETTLEMENTS: dict[PaymentPurpose, Settlement] = {}


def register_settlement(purpose: PaymentPurpose, settlement: Settlement) -> None:
    """A domain that takes payments says what settling one of its payments does."""
    if purpose in SETTLEMENTS:
        raise ValueError(f"settlement of {purpose} is already registered")
    SETTLEMENTS[purpose] = settlement


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    public_id: str
    account_id: int | None
    purpose: PaymentPurpose
    amount_cents: int
    method: str
    status: PaymentState
    payment_url: str | None
    created_at: datetime
    expires_at: datetime | None
    settled_at: datetime | None


def new_public_id() -> str:
    return secrets.token_urlsafe(18)


_payment = Payment.__table__  # type: ignore[attr-defined]
_VIEW_COLUMNS = select(
    _payment.c.id,
    _payment.c.public_id,
    _payment.c.account_id,
    _payment.c.purpose,
    _payment.c.amount_cents,
    _payment.c.method,
    _payment.c.status,
    _payment.c.payment_url,
    _payment.c.created_at,
    _payment.c.expires_at,
    _payment.c.settled_at,
)
_BY_ID = Read(_VIEW_COLUMNS.where(_payment.c.id == bindparam("payment_id")))
_BY_PUBLIC_ID = Read(_VIEW_COLUMNS.where(_payment.c.public_id == bindparam("public_id")))


def _view(row: Any) -> PaymentView:
    values = row._asdict()
    values["purpose"] = PaymentPurpose(values["purpose"])
    values["status"] = PaymentState(values["status"])
    if values["status"] != PaymentState.OPEN:
        values["payment_url"] = None  # nothing left to pay
    return PaymentView(**values)


async def get_payment(deps: Deps, *, payment_id: int) -> PaymentView | None:
    row = await deps.db.reader.first(_BY_ID, payment_id=payment_id)
    return _view(row) if row else None


async def payment_of(deps: Deps, *, account_id: int, payment_id: int) -> PaymentView | None:
    """The account's own payment; None for anyone else's (exactly like an unknown id).

    A payment still open is asked about at the provider first (at most every few seconds
    per payment), so a client that reads it after the payer's return sees the outcome even
    when the webhook is slow."""
    view = await get_payment(deps, payment_id=payment_id)
    if view is None or view.account_id != account_id:
        return None
    if view.status == PaymentState.OPEN:
        try:
            changed = await ask_provider_once(
                deps, payment_id=payment_id, now=deps.clock.now(), every=ASK_WHEN_READ
            )
        except Exception:
            log.warning("reading payment %s: asking the provider failed", payment_id, exc_info=True)
            return view
        if changed is not None:
            return await get_payment(deps, payment_id=payment_id)
    return view


async def by_public_id(deps: Deps, *, public_id: str) -> PaymentView | None:
    row = await deps.db.reader.first(_BY_PUBLIC_ID, public_id=public_id)
    return _view(row) if row else None


# ---- settling -----------------------------------------------------------------------------

_FINAL = {
    ProviderStatus.PAID: PaymentState.PAID,
    ProviderStatus.CANCELED: PaymentState.CANCELED,
    ProviderStatus.FAILED: PaymentState.FAILED,
    ProviderStatus.EXPIRED: PaymentState.EXPIRED,
}


def _rows(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def settle(deps: Deps, status: PaymentStatus) -> PaymentState | None:
    """Apply what the provider says about a payment, at most once.

    Returns the payment's new state when this call changed it, else None (an open payment,
    a replay, a duplicate, an unknown payment, or a PAID one told otherwise)."""
    new_state = _FINAL.get(ProviderStatus(status.status))
    if new_state is None:
        return None
    now = deps.clock.now()
    async with deps.db.write() as session:
        payment = (
            await session.execute(
                select(Payment).where(
                    or_(
                        col(Payment.provider_id) == status.provider_id,
                        # Started, but the app died before it kept the provider's id.
                        col(Payment.public_id) == status.metadata.get("payment", "-"),
                    )
                )
            )
        ).scalar_one_or_none()
        if payment is None:
            log.warning("provider status for a payment the app does not know; ignored")
            return None
        if payment.amount_cents != status.amount_cents:
            log.error("payment %s: the provider's amount differs; not settled", payment.id)
            return None
        # Out of OPEN once; into PAID from anything but PAID (money received is credited).
        allowed_from = (
            [s for s in PaymentState if s != PaymentState.PAID]
            if new_state == PaymentState.PAID
            else [PaymentState.OPEN]
        )
        changed = await session.execute(
            update(Payment)
            .where(col(Payment.id) == payment.id, col(Payment.status).in_(allowed_from))
            .values(
                status=new_state,
                settled_at=now,
                provider_id=status.provider_id,
                payer_iban=status.payer_iban,
                payer_name=status.payer_name,
            )
            .execution_options(synchronize_session=False)
        )
        if _rows(changed) != 1:
            return None
        if new_state == PaymentState.PAID and payment.purpose == PaymentPurpose.TOP_UP:
            await _credit_top_up(deps, session, payment, now)
        settlement = SETTLEMENTS.get(PaymentPurpose(payment.purpose))
        if settlement is not None:
            await settlement.in_transaction(session, deps, payment, new_state, now)
        await session.commit()
    log.info("payment %s is %s", payment.id, new_state.value)
    if settlement is not None and settlement.after_commit is not None:
        assert payment.id is not None
        await settlement.after_commit(deps, payment.id, new_state)
    return new_state


async def start_at_provider(
    deps: Deps,
    *,
    payment_id: int,
    public_id: str,
    amount_cents: int,
    method: OnlineMethod,
    return_url: str,
    description: str,
) -> None:
    """Start a payment the app has committed as OPEN; keep the provider's id and URL.

    When the provider cannot be reached, the payment is FAILED (nothing was charged) and
    PaymentProviderUnavailable raised: the caller gives its idempotency key up."""
    settings = deps.settings
    try:
        started = await deps.psp.start_payment(
            amount_cents=amount_cents,
            description=description,
            method=method,
            return_url=return_url,
            webhook_url=f"{settings.public_url}/psp/webhook",
            metadata={"payment": public_id},
        )
    except Exception:
        log.warning("starting payment %s at the provider failed", payment_id, exc_info=True)
        await settle_locally(deps, payment_id=payment_id, state=PaymentState.FAILED)
        raise PaymentProviderUnavailableError() from None
    async with deps.db.write() as session:
        await session.execute(
            update(Payment)
            .where(col(Payment.id) == payment_id)
            .values(
                provider_id=started.provider_id,
                payment_url=started.payment_url,
                expires_at=started.expires_at,
            )
        )
        await session.commit()


async def settle_locally(deps: Deps, *, payment_id: int, state: PaymentState) -> None:
    """An OPEN payment that never reached the provider ends (its purpose is told)."""
    now = deps.clock.now()
    async with deps.db.write() as session:
        changed = await session.execute(
            update(Payment)
            .where(col(Payment.id) == payment_id, col(Payment.status) == PaymentState.OPEN)
            .values(status=state, settled_at=now)
            .execution_options(synchronize_session=False)
        )
        payment = await session.get(Payment, payment_id)
        settlement = SETTLEMENTS.get(PaymentPurpose(payment.purpose)) if payment else None
        if _rows(changed) == 1 and payment is not None and settlement is not None:
            await settlement.in_transaction(session, deps, payment, state, now)
        await session.commit()


async def _credit_top_up(deps: Deps, session: Any, payment: Payment, now: datetime) -> None:
    """Whatever the account's payment method is by now: the money is theirs."""
    assert payment.id is not None and payment.account_id is not None
    await balance.credit(
        session,
        account_id=payment.account_id,
        amount_cents=payment.amount_cents,
        kind=EntryKind.TOP_UP,
        now=now,
        payment_id=payment.id,
    )
    account = await session.get(Account, payment.account_id)
    after = await balance.current(session, payment.account_id)
    await outbox.mail_account(
        session,
        account=account,
        template="top_up_received",
        params={
            "amount": format_cents(payment.amount_cents, account.language),
            "at": format_moment(now, account.language),
            "balance": format_cents(after.balance_cents, account.language),
        },
        now=now,
        settings=deps.settings,
    )


async def settle_from_provider(deps: Deps, provider_id: str) -> PaymentState | None:
    """Ask the provider about one payment and settle it (the webhook, the return page)."""
    status = await deps.psp.get_status(provider_id)
    if status is None:
        return None
    return await settle(deps, status)


async def ask_provider_once(
    deps: Deps, *, payment_id: int, now: datetime, every: timedelta = ASK_EVERY
) -> PaymentState | None:
    """Ask the provider about an open payment unless someone asked within `every`.

    The asking is claimed by a conditional UPDATE, so several workers (and return pages)
    never ask about one payment at once."""
    async with deps.db.write() as session:
        claimed = await session.execute(
            update(Payment)
            .where(
                col(Payment.id) == payment_id,
                col(Payment.status) == PaymentState.OPEN,
                col(Payment.provider_id).is_not(None),
                or_(col(Payment.checked_at).is_(None), col(Payment.checked_at) < now - every),
            )
            .values(checked_at=now)
            .execution_options(synchronize_session=False)
        )
        provider_id = (
            await session.scalar(select(Payment.provider_id).where(Payment.id == payment_id))
            if _rows(claimed) == 1
            else None
        )
        await session.commit()
    if provider_id is None:
        return None
    return await settle_from_provider(deps, provider_id)


async def reconcile_open_payments(deps: Deps, *, now: datetime, limit: int = 50) -> int:
    """The worker: ask about payments open longer than ASK_AFTER (their webhooks may be lost),
    each at most once per ASK_EVERY."""
    async with deps.db.read() as session:
        candidates = list(
            (
                await session.execute(
                    select(Payment.id)
                    .where(
                        Payment.status == PaymentState.OPEN,
                        col(Payment.provider_id).is_not(None),
                        col(Payment.created_at) < now - ASK_AFTER,
                        or_(
                            col(Payment.checked_at).is_(None),
                            col(Payment.checked_at) < now - ASK_EVERY,
                        ),
                    )
                    .order_by(col(Payment.checked_at).is_not(None), col(Payment.id))
                    .limit(limit)
                )
            ).scalars()
        )
    settled = 0
    for payment_id in candidates:
        try:
            if await ask_provider_once(deps, payment_id=payment_id, now=now):
                settled += 1
        except Exception:
            # The provider is down: asked again next round, nothing changed meanwhile.
            log.warning("payment %s: asking the provider failed", payment_id, exc_info=True)
    if settled:
        log.info("reconciliation settled %d payment(s)", settled)
    return settled

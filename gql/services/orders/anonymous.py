"""Buying the digitally certified extract without an account (SPEC §3.2, seed: "Wil je
liever met iDeal of creditcard betalen? Dat kan alleen met een Digitaal gewaarmerkt
Uittreksel").

Only this product, paid with iDEAL or a credit card at the provider. The order waits for
the payment (AWAITING_PAYMENT); when the provider confirms it the order is PLACED and its
extract made, and a download link is e-mailed; when the payment fails or expires the order
is CANCELLED. No account, so no invoice: the answer and the mail say the bank or card
statement is the proof of payment. Idempotency keys are per e-mail address; the mail is
throttled per address and per client as for every mail-sending mutation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gql.models.orders import Order, OrderPayment, OrderStatus
from gql.models.payments import Payment, PaymentPurpose, PaymentState
from gql.psp.port import PaymentMethod
from gql.services import register, service
from gql.services.catalog import catalog
from gql.services.orders import delivery, links
from gql.services.orders.orders import OrderView, get_order_view, new_reference
from gql.services.payments.payments import (
    PaymentProviderUnavailableError,
    PaymentView,
    Settlement,
    get_payment,
    new_public_id,
    register_settlement,
    start_at_provider,
)
from gql.services.payments.return_urls import default_return_url, return_url_field
from gql.services.shared import idempotency, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    InvalidInputError,
    NotFoundError,
    Problems,
    raises,
)
from gql.services.shared.validation import email_field, kvk_number_field, mailbox_key

PRODUCT = "CERTIFIED_EXTRACT_DIGITAL"
OPERATION = "buyCertifiedExtract"


@dataclass(frozen=True, slots=True)
class Purchase:
    order: OrderView
    payment: PaymentView


@raises(
    InvalidInputError,
    NotFoundError,
    service.MaintenanceInProgressError,
    idempotency.IdempotencyKeyReusedError,
    idempotency.IdempotencyKeyInProgressError,
    PaymentProviderUnavailableError,
)
async def buy_certified_extract(
    deps: Deps,
    *,
    caller: Caller,
    kvk_number: str,
    email: str,
    method: PaymentMethod,
    return_url: str | None,
    idempotency_key: str,
) -> Purchase:
    """Start the anonymous purchase: an order waiting for its online payment."""
    settings = deps.settings
    problems = Problems()
    kvk = kvk_number_field(problems, "kvkNumber", kvk_number)
    address = email_field(problems, "email", email)
    url = return_url_field(problems, "returnUrl", return_url, settings)
    key = idempotency.key_field(problems, idempotency_key)
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.read() as session:
        product = await catalog.product_for_order(session, PRODUCT, at=now)
    assert product is not None and product.price_cents is not None
    scope = "email:" + deps.keyed_hash(mailbox_key(address))
    fingerprint = idempotency.fingerprint(
        OPERATION, {"kvk": kvk, "email": address, "method": method.value, "returnUrl": url}
    )
    public_id = new_public_id()
    async with deps.db.write() as session:
        first = await idempotency.claim(
            session, scope=scope, key=key, operation=OPERATION, input_hash=fingerprint, now=now
        )
        if first is not None:
            await session.commit()
            return await _purchase(deps, int(first.removeprefix("order:")))
        await service.ensure_no_maintenance(deps, language=caller.language)
        if await register.get_company(session, kvk) is None:
            raise NotFoundError(field_path=("kvkNumber",))
        await throttle.hit_mail_limits(session, deps, target=address, client_ip=caller.client_ip)
        payment = Payment(
            public_id=public_id,
            account_id=None,
            purpose=PaymentPurpose.CERTIFIED_EXTRACT,
            amount_cents=product.price_cents,
            method=method.value,
            return_url=url or default_return_url(settings, public_id),
            created_at=now,
        )
        session.add(payment)
        await session.flush()
        order = Order(
            reference=new_reference(now),
            product_code=PRODUCT,
            kvk_number=kvk,
            price_cents=product.price_cents,
            payment_method=OrderPayment(method.value),
            payment_id=payment.id,
            sealed_email=links.seal_email(deps, address),
            language=caller.language,
            status=OrderStatus.AWAITING_PAYMENT,
            placed_at=now,
        )
        session.add(order)
        await session.commit()
        payment_id, order_id = payment.id, order.id
    assert payment_id is not None and order_id is not None
    try:
        await start_at_provider(
            deps,
            payment_id=payment_id,
            public_id=public_id,
            amount_cents=product.price_cents,
            method=method,
            return_url=url or default_return_url(settings, public_id),
            description=product.name(caller.language),
        )
    except PaymentProviderUnavailableError:
        await idempotency.give_up(deps, scope=scope, key=key)
        raise
    async with deps.db.write() as session:
        await idempotency.complete(
            session, scope=scope, key=key, result_ref=f"order:{order_id}", now=now
        )
        await session.commit()
    return await _purchase(deps, order_id)


async def _purchase(deps: Deps, order_id: int) -> Purchase:
    async with deps.db.read() as session:
        payment_id = await session.scalar(select(Order.payment_id).where(Order.id == order_id))
    order = await get_order_view(deps, order_id)
    payment = await get_payment(deps, payment_id=int(payment_id or 0))
    assert order is not None and payment is not None
    return Purchase(order, payment)


async def _settled(
    session: AsyncSession, deps: Deps, payment: Payment, state: PaymentState, now: datetime
) -> None:
    """The payment's end decides its order: PAID places it, anything else cancels it."""
    new = OrderStatus.PLACED if state == PaymentState.PAID else OrderStatus.CANCELLED
    await session.execute(
        update(Order)
        .where(
            col(Order.payment_id) == payment.id,
            # A payment PAID after it had expired still places its order.
            col(Order.status).in_(
                [OrderStatus.AWAITING_PAYMENT]
                + ([OrderStatus.CANCELLED] if new == OrderStatus.PLACED else [])
            ),
        )
        .values(status=new)
        .execution_options(synchronize_session=False)
    )


async def _after(deps: Deps, payment_id: int, state: PaymentState) -> None:
    if state != PaymentState.PAID:
        return
    async with deps.db.read() as session:
        order_id = await session.scalar(
            select(Order.id).where(Order.payment_id == payment_id)  # type: ignore[arg-type]
        )
    if order_id is not None:
        await delivery.deliver_soon(deps, order_id)


register_settlement(PaymentPurpose.CERTIFIED_EXTRACT, Settlement(_settled, _after))

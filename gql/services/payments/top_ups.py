"""Top-ups ("tegoed storten"): a private account pays online to raise its balance.

One request is three steps, so that no step waits on the provider inside a transaction:
(1) claim the idempotency key and keep the payment as OPEN; (2) start it at the provider;
(3) keep the provider's id and URL and complete the key. A replay of a completed key
answers with the same payment (also during maintenance); a crash between the steps leaves
an OPEN payment whose key is taken over after a few minutes, and a payment the provider
started anyway is still settled (the webhook and the status call find it by its metadata).
"""

from __future__ import annotations

import logging

from gql.models.accounts import PaymentMethod as AccountPaymentMethod
from gql.models.payments import Payment, PaymentPurpose
from gql.psp.port import PaymentMethod
from gql.services import service
from gql.services.ledger.refunds import private_account
from gql.services.payments import texts  # noqa: F401  (registers texts and mails)
from gql.services.payments.payments import (
    PaymentProviderUnavailableError,
    PaymentView,
    get_payment,
    new_public_id,
    start_at_provider,
)
from gql.services.payments.return_urls import default_return_url, return_url_field
from gql.services.shared import idempotency
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    InvalidInputError,
    InvalidStateError,
    Problems,
    raises,
)
from gql.services.shared.formatting import format_cents

log = logging.getLogger("toegang.payments")

MINIMUM_CENTS = 500
OPERATION = "topUp"


@raises(
    InvalidInputError,
    InvalidStateError,
    service.MaintenanceInProgressError,
    idempotency.IdempotencyKeyReusedError,
    idempotency.IdempotencyKeyInProgressError,
    PaymentProviderUnavailableError,
)
async def top_up(
    deps: Deps,
    *,
    caller: Caller,
    amount_cents: int,
    method: PaymentMethod,
    return_url: str | None,
    idempotency_key: str,
) -> PaymentView:
    """Start an online payment into the balance; the balance rises when the provider confirms."""
    account = await private_account(deps, caller)
    assert account.id is not None
    settings = deps.settings
    problems = Problems()
    if amount_cents < MINIMUM_CENTS:
        problems.add(
            "amountCents", "top_up_minimum", minimum=format_cents(MINIMUM_CENTS, caller.language)
        )
    elif amount_cents > settings.top_up_max_cents:
        problems.add(
            "amountCents",
            "top_up_maximum",
            maximum=format_cents(settings.top_up_max_cents, caller.language),
        )
    url = return_url_field(problems, "returnUrl", return_url, settings)
    key = idempotency.key_field(problems, idempotency_key)
    problems.raise_if_any()
    scope = f"account:{account.id}"
    fingerprint = idempotency.fingerprint(
        OPERATION, {"amount": amount_cents, "method": method.value, "returnUrl": url}
    )
    now = deps.clock.now()
    public_id = new_public_id()
    async with deps.db.write() as session:
        first = await idempotency.claim(
            session, scope=scope, key=key, operation=OPERATION, input_hash=fingerprint, now=now
        )
        if first is not None:
            await session.commit()
            replay = await get_payment(deps, payment_id=int(first.removeprefix("payment:")))
            assert replay is not None
            return replay
        # Refusals below roll the claim back with everything else: the key stays free.
        await service.ensure_no_maintenance(deps, language=caller.language)
        if account.payment_method != AccountPaymentMethod.BALANCE:
            raise InvalidStateError(message_key="top_up_on_direct_debit")
        payment = Payment(
            public_id=public_id,
            account_id=account.id,
            purpose=PaymentPurpose.TOP_UP,
            amount_cents=amount_cents,
            method=method.value,
            return_url=url or default_return_url(settings, public_id),
            created_at=now,
        )
        session.add(payment)
        await session.commit()
        payment_id = payment.id
    assert payment_id is not None
    try:
        await start_at_provider(
            deps,
            payment_id=payment_id,
            public_id=public_id,
            amount_cents=amount_cents,
            method=method,
            return_url=url or default_return_url(settings, public_id),
            description=_description(caller.language),
        )
    except PaymentProviderUnavailableError:
        await idempotency.give_up(deps, scope=scope, key=key)
        raise
    async with deps.db.write() as session:
        await idempotency.complete(
            session, scope=scope, key=key, result_ref=f"payment:{payment_id}", now=now
        )
        await session.commit()
    view = await get_payment(deps, payment_id=payment_id)
    assert view is not None
    return view


def _description(language: str) -> str:
    return "Tegoed storten KVK Toegang" if language == "nl" else "Balance top-up KVK Toegang"

"""Resolvers of payments: top-ups through the payment provider, and the payment method."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.accounts import PaymentMethod as AccountPaymentMethod
from gql.models.payments import Payment as PaymentRow
from gql.psp.port import PaymentMethod as ProviderMethod
from gql.resolvers.common import INPUT, Inf, mutation, require_account
from gql.resolvers.node import register_node
from gql.schema.types import payments as t
from gql.schema.types.ids import to_global_id
from gql.services import mandates
from gql.services.payments import methods, payments, top_ups
from gql.services.shared.formatting import format_cents


def payment_type(view: payments.PaymentView) -> t.Payment:
    return t.Payment(
        id=to_global_id("Payment", view.id),
        purpose=t.PaymentPurpose(view.purpose.value),
        amount_cents=view.amount_cents,
        method=t.OnlinePaymentMethod(view.method),
        status=t.PaymentStatus(view.status.value),
        payment_url=view.payment_url,
        created_at=view.created_at,
        expires_at=view.expires_at,
        settled_at=view.settled_at,
    )


async def top_up(info: Inf, input: Annotated[t.TopUpInput, INPUT]) -> t.TopUpResult:
    ctx = info.context
    view = await top_ups.top_up(
        ctx.deps,
        caller=ctx.caller,
        amount_cents=input.amount_cents,
        method=ProviderMethod(input.method.name),
        return_url=input.return_url,
        idempotency_key=input.idempotency_key,
    )
    return t.TopUpPayload(
        payment=payment_type(view),
        message=i18n.text(
            "top_up_started", ctx.language, amount=format_cents(view.amount_cents, ctx.language)
        ),
    )


async def change_payment_method(
    info: Inf, input: Annotated[t.ChangePaymentMethodInput, INPUT]
) -> t.ChangePaymentMethodResult:
    mandate = input.mandate
    view = await methods.change_payment_method(
        info.context.deps,
        caller=require_account(info),
        method=AccountPaymentMethod(input.method.name),
        mandate=mandates.MandateInput(mandate.iban, mandate.account_holder, mandate.consent)
        if mandate
        else None,
    )
    return t.ChangePaymentMethodPayload(payment_method=t.payment_method_info(view))


async def _load_payment(ctx: Context, pk: int) -> t.Payment | None:
    if ctx.caller.account_id is None:
        return None
    view = await payments.payment_of(ctx.deps, account_id=ctx.caller.account_id, payment_id=pk)
    return payment_type(view) if view else None


register_node("Payment", table=PaymentRow, load=_load_payment)


@strawberry.type
class Mutation:
    top_up: t.TopUpResult = mutation(
        top_up,
        description="Top up your balance (private accounts paying from their balance): "
        "starts an iDEAL or credit-card payment; send the payer to payment.paymentUrl. The "
        "balance rises only when the provider confirms the payment.",
    )
    change_payment_method: t.ChangePaymentMethodResult = mutation(
        change_payment_method,
        description="Pay by direct debit on a new mandate, or (private accounts) from the "
        "balance again. For an organisation only its main user may (others: FORBIDDEN). A "
        "confirmation e-mail goes out.",
    )

"""Types of payments: online payments at the provider, top-ups, and an account's payment method."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gql.schema.types.accounts import MandateInput
from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services.payments import methods, top_ups


@strawberry.enum(description="How a payment at the payment provider is paid.")
class OnlinePaymentMethod(Enum):
    IDEAL = strawberry.enum_value("IDEAL", description="iDEAL, from a Dutch bank account.")
    CREDIT_CARD = strawberry.enum_value("CREDIT_CARD", description="By credit card.")


@strawberry.enum(description="Where a payment at the provider stands.")
class PaymentStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting for the payer (or the provider).")
    PAID = strawberry.enum_value("PAID", description="Paid and confirmed by the provider; final.")
    CANCELED = strawberry.enum_value("CANCELED", description="The payer cancelled; final.")
    FAILED = strawberry.enum_value("FAILED", description="The payment failed; final.")
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Not completed in time; final. Nothing was charged."
    )


@strawberry.enum(description="What a payment was for.")
class PaymentPurpose(Enum):
    TOP_UP = strawberry.enum_value("TOP_UP", description="A top-up of the balance.")
    CERTIFIED_EXTRACT = strawberry.enum_value(
        "CERTIFIED_EXTRACT", description="An anonymous purchase of a certified extract."
    )


@strawberry.type(
    description="A payment at the payment provider. The balance rises only when it is PAID."
)
class Payment(Node):
    purpose: PaymentPurpose = strawberry.field(description="What it pays for.")
    amount_cents: int = strawberry.field(description="The amount in euro cents.")
    method: OnlinePaymentMethod = strawberry.field(description="iDEAL or credit card.")
    status: PaymentStatus = strawberry.field(description="Where it stands.")
    payment_url: str | None = strawberry.field(
        description="Where the payer pays (send the browser there); null once it is no longer OPEN."
    )
    created_at: datetime = strawberry.field(description="When it was started.")
    expires_at: datetime | None = strawberry.field(
        description="When the provider stops waiting for the payer."
    )
    settled_at: datetime | None = strawberry.field(
        description="When the provider's final answer was received."
    )


@strawberry.input(description="Top up the balance with an online payment (private accounts).")
class TopUpInput:
    amount_cents: int = strawberry.field(
        description="The amount in euro cents: at least 500 (EUR 5); a maximum applies "
        "(the error says which)."
    )
    method: OnlinePaymentMethod = strawberry.field(description="IDEAL or CREDIT_CARD.")
    idempotency_key: str = strawberry.field(
        description="A new random key (a UUID) per top-up; send the same key again when "
        "retrying, and the first payment is answered instead of a second one."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description="Where the payer returns after paying: an address on an allowed origin "
        "of the app, or an app link of a mobile app. Leave it out for the service's own "
        "page that shows the outcome.",
    )


@strawberry.type(description="The payment is started: send the payer to its paymentUrl.")
class TopUpPayload:
    payment: Payment = strawberry.field(
        description="The payment; read it again (node) after the return to show the outcome."
    )
    message: str = strawberry.field(description="What happens next, for people to read.")


TopUpResult = result_union("topUp", TopUpPayload, top_ups.top_up)


# ---- the payment method ----------------------------------------------------------------------


@strawberry.enum(description="How an account's orders are paid.")
class PaymentMethod(Enum):
    BALANCE = strawberry.enum_value(
        "BALANCE", description="From the prepaid balance (private accounts)."
    )
    DIRECT_DEBIT = strawberry.enum_value(
        "DIRECT_DEBIT", description="By SEPA direct debit on a signed mandate."
    )


@strawberry.type(description="A signed SEPA direct-debit mandate.")
class Mandate:
    reference: str = strawberry.field(description="The unique mandate reference.")
    iban_masked: str = strawberry.field(description="The IBAN, all but its edges hidden.")
    account_holder: str = strawberry.field(description="The account holder's name.")
    signed_at: datetime = strawberry.field(description="When it was signed.")


@strawberry.type(description="How the account's orders are paid.")
class PaymentMethodInfo:
    method: PaymentMethod = strawberry.field(description="BALANCE or DIRECT_DEBIT.")
    mandate: Mandate | None = strawberry.field(
        description="The mandate new orders are collected on (the organisation's for "
        "business accounts); null when paying from the balance."
    )
    can_change: bool = strawberry.field(
        description="Whether this code may change it: private accounts, and an "
        "organisation's main user."
    )


@strawberry.input(description="Change how orders are paid.")
class ChangePaymentMethodInput:
    method: PaymentMethod = strawberry.field(
        description="DIRECT_DEBIT (with a mandate), or BALANCE (private accounts)."
    )
    mandate: MandateInput | None = strawberry.field(
        default=None,
        description="For DIRECT_DEBIT: the IBAN, the account holder and consent. A new IBAN "
        "is a new mandate for new orders.",
    )


@strawberry.type(description="The payment method is changed; a confirmation e-mail was sent.")
class ChangePaymentMethodPayload:
    payment_method: PaymentMethodInfo = strawberry.field(description="The method now.")


ChangePaymentMethodResult = result_union(
    "changePaymentMethod", ChangePaymentMethodPayload, methods.change_payment_method
)


def payment_method_info(view: methods.PaymentMethodView) -> PaymentMethodInfo:
    mandate = view.mandate
    return PaymentMethodInfo(
        method=PaymentMethod(view.method.value),
        mandate=Mandate(
            reference=mandate.reference,
            iban_masked=mandate.iban_masked,
            account_holder=mandate.account_holder,
            signed_at=mandate.signed_at,
        )
        if mandate
        else None,
        can_change=view.can_change,
    )

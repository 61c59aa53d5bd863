"""Types of the balance: its ledger entries and refund requests."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.services.ledger import refunds


@strawberry.enum(description="What a ledger entry records.")
class TransactionKind(Enum):
    TOP_UP = strawberry.enum_value("TOP_UP", description="A confirmed top-up: money in.")
    ORDER = strawberry.enum_value("ORDER", description="An order paid from the balance.")
    REFUND_HOLD = strawberry.enum_value(
        "REFUND_HOLD", description="A refund was requested: the amount is held."
    )
    HOLD_RELEASE = strawberry.enum_value(
        "HOLD_RELEASE", description="A refund was rejected: the held amount is free again."
    )
    REFUND_PAYOUT = strawberry.enum_value(
        "REFUND_PAYOUT", description="A refund was approved: the amount leaves the balance."
    )
    PAYOUT_RETURNED = strawberry.enum_value(
        "PAYOUT_RETURNED", description="The bank returned a refund: credited back."
    )
    CORRECTION = strawberry.enum_value("CORRECTION", description="A correction by the service.")


@strawberry.type(
    description="One entry of the balance's ledger; entries are never changed or removed."
)
class BalanceTransaction:
    kind: TransactionKind = strawberry.field(description="What happened.")
    amount_cents: int = strawberry.field(
        description="The change of the balance in cents (negative: money out)."
    )
    held_delta_cents: int = strawberry.field(
        description="The change of the held amount in cents (refund requests)."
    )
    description: str = strawberry.field(description="What happened, for people to read.")
    created_at: datetime = strawberry.field(description="When.")


@strawberry.enum(description="Where a refund request stands.")
class RefundStatus(Enum):
    REQUESTED = strawberry.enum_value(
        "REQUESTED", description="The amount is held; the service decides."
    )
    APPROVED = strawberry.enum_value(
        "APPROVED", description="Approved: paid out of the balance, to be transferred."
    )
    REJECTED = strawberry.enum_value(
        "REJECTED", description="Rejected: the held amount is available again."
    )
    PAID_OUT = strawberry.enum_value("PAID_OUT", description="Transferred by the bank.")
    RETURNED = strawberry.enum_value(
        "RETURNED", description="The bank returned the transfer; credited back."
    )


@strawberry.type(description="A request to pay unused balance back (the return form).")
class RefundRequest(Node):
    amount_cents: int = strawberry.field(description="The amount in cents.")
    status: RefundStatus = strawberry.field(description="Where it stands.")
    iban_masked: str | None = strawberry.field(
        description="The account it goes to, all but its edges hidden."
    )
    account_holder: str | None = strawberry.field(description="The account holder's name.")
    reason: str | None = strawberry.field(description="The reason given, if any.")
    requested_at: datetime = strawberry.field(description="When it was asked.")
    decided_at: datetime | None = strawberry.field(description="When the service decided.")
    rejection_reason: str | None = strawberry.field(description="Why it was rejected.")
    # Staff only (null for customers).
    iban: str | None = strawberry.field(description="Staff only: the full IBAN.")
    iban_funded_balance: bool | None = strawberry.field(
        description="Staff only: whether a top-up into this balance was ever paid from this IBAN."
    )
    requested_by: str | None = strawberry.field(
        description="Staff only: the name and access code of the account."
    )


# ---- requestRefund --------------------------------------------------------------------------


@strawberry.input(description="Ask unused balance back to a bank account (the return form).")
class RequestRefundInput:
    amount_cents: int = strawberry.field(
        description="The amount in cents: at most the available balance."
    )
    iban: str = strawberry.field(description="The IBAN to transfer it to.")
    account_holder: str = strawberry.field(description="The name of the account holder.")
    reason: str = strawberry.field(
        default="", description="Why, if you like (at most 500 characters)."
    )


@strawberry.type(description="The amount is held and the request goes to the service.")
class RequestRefundPayload:
    refund_request: RefundRequest = strawberry.field(description="The request.")
    message: str = strawberry.field(description="What happens next, for people to read.")


RequestRefundResult = result_union("requestRefund", RequestRefundPayload, refunds.request_refund)


# ---- staff -----------------------------------------------------------------------------------


@strawberry.input(description="Approve a refund request: the amount leaves the balance.")
class StaffApproveRefundInput:
    refund_request_id: strawberry.ID = strawberry.field(description="The request's id.")


@strawberry.input(description="Reject a refund request: the held amount is free again.")
class StaffRejectRefundInput:
    refund_request_id: strawberry.ID = strawberry.field(description="The request's id.")
    reason: str = strawberry.field(description="Why; the customer reads it in an e-mail.")


@strawberry.type(description="Approved: to be paid out; the customer was told.")
class StaffApproveRefundPayload:
    refund_request: RefundRequest = strawberry.field(description="The request.")


@strawberry.type(description="Rejected: the hold is released; the customer was told.")
class StaffRejectRefundPayload:
    refund_request: RefundRequest = strawberry.field(description="The request.")


StaffApproveRefundResult = result_union(
    "staffApproveRefund", StaffApproveRefundPayload, refunds.approve_refund
)
StaffRejectRefundResult = result_union(
    "staffRejectRefund", StaffRejectRefundPayload, refunds.reject_refund
)

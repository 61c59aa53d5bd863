"""The balance of private accounts: an append-only ledger in integer cents, and refunds.

The balance row is the ledger's sum, kept in the same transaction as every entry by a
conditional UPDATE; the database refuses a negative balance, a hold above the balance, and
any change to an entry once written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class EntryKind(StrEnum):
    TOP_UP = "TOP_UP"  # a confirmed top-up: + amount
    ORDER = "ORDER"  # an order paid from the balance: - amount
    REFUND_HOLD = "REFUND_HOLD"  # a refund requested: + held
    HOLD_RELEASE = "HOLD_RELEASE"  # a refund rejected: - held
    REFUND_PAYOUT = "REFUND_PAYOUT"  # a refund approved: - amount, - held
    PAYOUT_RETURNED = "PAYOUT_RETURNED"  # the bank returned a payout: + amount
    CORRECTION = "CORRECTION"  # a staff correction


class Balance(SQLModel, table=True):
    __tablename__ = "balance"
    __table_args__ = (
        CheckConstraint("balance_cents >= 0", name="balance_not_negative"),
        CheckConstraint(
            "held_cents >= 0 AND held_cents <= balance_cents", name="held_within_balance"
        ),
    )

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    balance_cents: int = 0
    held_cents: int = 0
    updated_at: datetime = utc_field()


class LedgerEntry(SQLModel, table=True):
    """One change of a balance (`amount_cents`) and/or of its hold (`held_delta_cents`)."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        one_of("kind", EntryKind, name="kind_known"),
        CheckConstraint(
            "amount_cents != 0 OR held_delta_cents != 0", name="entry_changes_something"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: EntryKind = text_enum_field(EntryKind, max_length=20)
    amount_cents: int = 0
    held_delta_cents: int = 0
    # What it is about (one of them, or none for a correction).
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    refund_id: int | None = Field(default=None, foreign_key="refund_request.id")
    order_id: int | None = None
    created_at: datetime = utc_field()


class RefundStatus(StrEnum):
    REQUESTED = "REQUESTED"  # the amount is held; staff decide
    APPROVED = "APPROVED"  # paid out of the balance, to be transferred by the bank
    REJECTED = "REJECTED"  # the hold was released
    PAID_OUT = "PAID_OUT"  # the bank transferred it
    RETURNED = "RETURNED"  # the bank returned the transfer; credited back


class RefundRequest(SQLModel, table=True):
    """The return form ("retourformulier"): unused balance asked back to an IBAN."""

    __tablename__ = "refund_request"
    __table_args__ = (
        one_of("status", RefundStatus, name="status_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    amount_cents: int
    iban: str | None = Field(default=None, max_length=34)  # erased after retention
    account_holder: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    status: RefundStatus = text_enum_field(
        RefundStatus, max_length=12, default=RefundStatus.REQUESTED, index=True
    )
    requested_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    decided_by_id: int | None = Field(default=None, foreign_key="account.id")
    rejection_reason: str | None = Field(default=None, max_length=500)
    # The seam to the bank (the invoices issue): set when a credit-transfer file holds it.
    payout_batch_id: int | None = None

"""Payments at the payment provider, as the app keeps them: top-ups and anonymous purchases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from gql.models._base import one_of, text_enum_field, utc_field


class PaymentPurpose(StrEnum):
    TOP_UP = "TOP_UP"
    CERTIFIED_EXTRACT = "CERTIFIED_EXTRACT"


class PaymentState(StrEnum):
    """OPEN until the provider says otherwise; PAID is final, and so are the others."""

    OPEN = "OPEN"
    PAID = "PAID"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        one_of("purpose", PaymentPurpose, name="purpose_known"),
        one_of("status", PaymentState, name="status_known"),
        # The provider's methods (gql/psp PaymentMethod).
        CheckConstraint("method IN ('IDEAL', 'CREDIT_CARD')", name="method_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        # The invoices' hourly sweep finds confirmed top-ups still without their invoice.
        Index(
            "ix_payment_to_invoice",
            "id",
            sqlite_where=text("purpose = 'TOP_UP' AND status = 'PAID' AND invoice_id IS NULL"),
            postgresql_where=text("purpose = 'TOP_UP' AND status = 'PAID' AND invoice_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # In the return page's address; unguessable, so nobody reads another's outcome.
    public_id: str = Field(unique=True, max_length=40)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    purpose: PaymentPurpose = text_enum_field(PaymentPurpose, max_length=20)
    amount_cents: int
    method: str = Field(max_length=12)
    status: PaymentState = text_enum_field(
        PaymentState, max_length=10, default=PaymentState.OPEN, index=True
    )
    provider_id: str | None = Field(default=None, unique=True, max_length=100)
    payment_url: str | None = Field(default=None, max_length=500)
    return_url: str = Field(max_length=500)
    expires_at: datetime | None = utc_field(nullable=True, default=None)
    created_at: datetime = utc_field()
    settled_at: datetime | None = utc_field(nullable=True, default=None)
    # When the worker last asked the provider about it (payments whose webhooks were lost).
    checked_at: datetime | None = utc_field(nullable=True, default=None)
    payer_iban: str | None = Field(default=None, max_length=34)
    payer_name: str | None = Field(default=None, max_length=200)
    # The seam to invoicing: a confirmed top-up is "to be invoiced" while this is empty.
    invoice_id: int | None = None
